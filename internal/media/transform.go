package media

import (
	"image"
	"image/color"
	"image/draw"
)

// fit returns w×h scaled down (never up) so that the longest side is at most
// max, keeping the aspect ratio; each side is at least 1.
func fit(w, h, max int) (int, int) {
	if max <= 0 || (w <= max && h <= max) {
		return w, h
	}
	if w >= h {
		nh := int((int64(h)*int64(max) + int64(w)/2) / int64(w))
		return max, clampMin1(nh)
	}
	nw := int((int64(w)*int64(max) + int64(h)/2) / int64(h))
	return clampMin1(nw), max
}

func clampMin1(v int) int {
	if v < 1 {
		return 1
	}
	return v
}

// toRGBA returns m as an *image.RGBA whose bounds start at (0,0).
func toRGBA(m image.Image) *image.RGBA {
	if r, ok := m.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := m.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), m, b.Min, draw.Src)
	return dst
}

// orientedSize returns the displayed size of a w×h image with EXIF
// orientation o (5..8 swap the axes).
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// applyOrientation returns a copy of src transformed so that it displays
// correctly without the EXIF Orientation tag. Orientation 1 (or any invalid
// value) returns src unchanged.
//
// With source size w×h and destination pixel (dx, dy), the source pixel is:
//
//	1 identity           (dx, dy)
//	2 mirror horizontal  (w-1-dx, dy)
//	3 rotate 180         (w-1-dx, h-1-dy)
//	4 mirror vertical    (dx, h-1-dy)
//	5 transpose          (dy, dx)
//	6 rotate 90 CW       (dy, h-1-dx)
//	7 transverse         (w-1-dy, h-1-dx)
//	8 rotate 90 CCW      (w-1-dy, dx)
func applyOrientation(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dw, dh := orientedSize(w, h, o)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	sp, ss := src.Pix, src.Stride
	base := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y)
	for dy := 0; dy < dh; dy++ {
		row := dst.Pix[dy*dst.Stride : dy*dst.Stride+4*dw]
		for dx := 0; dx < dw; dx++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-dx, dy
			case 3:
				sx, sy = w-1-dx, h-1-dy
			case 4:
				sx, sy = dx, h-1-dy
			case 5:
				sx, sy = dy, dx
			case 6:
				sx, sy = dy, h-1-dx
			case 7:
				sx, sy = w-1-dy, h-1-dx
			case 8:
				sx, sy = w-1-dy, dx
			}
			s := base + sy*ss + 4*sx
			copy(row[4*dx:4*dx+4], sp[s:s+4])
		}
	}
	return dst
}

// flattenForJPEG composites images with transparency onto white, since JPEG
// has no alpha channel (and the encoder would otherwise show premultiplied
// transparent pixels as black). Opaque images are returned unchanged.
func flattenForJPEG(m image.Image) image.Image {
	if o, ok := m.(interface{ Opaque() bool }); ok && o.Opaque() {
		return m
	}
	b := m.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), m, b.Min, draw.Over)
	return dst
}
