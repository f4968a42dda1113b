package media

import (
	"image"
	"image/draw"
)

// scaleTo shrinks src to a new w×h RGBA image by area averaging (a box
// filter with exact fractional coverage, like OpenCV's INTER_AREA): every
// destination pixel is the weighted mean of the source pixels it covers.
// That is the right filter for large reductions (no aliasing, no ringing) and
// it streams: besides the destination it needs memory for one source row and
// two destination rows, whatever the source size. (A general kernel scaler
// such as golang.org/x/image/draw keeps a dstW×srcH float buffer, 130 MB for
// a 6 MP photo and over 300 MB at 40 MP.)
//
// w and h must not exceed the source size (fit never enlarges). Source rows
// are converted to premultiplied RGBA one at a time with image/draw, which has
// fast paths for the YCbCr, Gray, NRGBA, CMYK and Paletted images the decoders
// return; averaging premultiplied values is correct for transparency.
func scaleTo(src image.Image, w, h int) *image.RGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 {
		return dst
	}
	if w > sw || h > sh {
		// Not used by this package; fall back to nearest neighbour rather
		// than produce garbage.
		nearest(dst, src)
		return dst
	}

	// Horizontal spans. Measure in units where a source pixel is w wide
	// and a destination pixel is sw wide: destination x covers
	// [x*sw, (x+1)*sw), source i covers [i*w, (i+1)*w); the integer
	// overlaps, divided by sw, are the weights and sum to 1.
	xFirst := make([]int32, w) // first source column of each dst column
	xOff := make([]int32, w+1) // start of each dst column's run in xWeights
	xWeights := make([]float32, 0, sw+w)
	for x := 0; x < w; x++ {
		lo, hi := x*sw, (x+1)*sw
		i0, i1 := lo/w, (hi+w-1)/w
		xFirst[x] = int32(i0)
		xOff[x] = int32(len(xWeights))
		for i := i0; i < i1; i++ {
			ov := min(hi, (i+1)*w) - max(lo, i*w)
			xWeights = append(xWeights, float32(ov)/float32(sw))
		}
	}
	xOff[w] = int32(len(xWeights))

	row := image.NewRGBA(image.Rect(0, 0, sw, 1)) // one source row, as RGBA
	hrow := make([]float32, 4*w)                  // that row shrunk horizontally
	acc := make([]float32, 4*w)                   // weighted sum for one dst row
	cached := -1                                  // source row held in hrow

	shrinkRow := func(sy int) {
		if sy == cached {
			return
		}
		cached = sy
		draw.Draw(row, row.Rect, src, image.Pt(sb.Min.X, sb.Min.Y+sy), draw.Src)
		p := row.Pix
		for x := 0; x < w; x++ {
			var r, g, b, a float32
			s := 4 * int(xFirst[x])
			for _, wt := range xWeights[xOff[x]:xOff[x+1]] {
				q := p[s : s+4 : s+4]
				r += float32(q[0]) * wt
				g += float32(q[1]) * wt
				b += float32(q[2]) * wt
				a += float32(q[3]) * wt
				s += 4
			}
			o := hrow[4*x : 4*x+4 : 4*x+4]
			o[0], o[1], o[2], o[3] = r, g, b, a
		}
	}

	// Vertically the same, with source rows h tall and dst rows sh tall.
	for y := 0; y < h; y++ {
		clear(acc)
		lo, hi := y*sh, (y+1)*sh
		for j := lo / h; j < (hi+h-1)/h; j++ {
			wt := float32(min(hi, (j+1)*h)-max(lo, j*h)) / float32(sh)
			shrinkRow(j)
			for i, v := range hrow {
				acc[i] += v * wt
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i := 0; i < len(out); i += 4 {
			a := uint8(min(acc[i+3]+0.5, 255))
			// Float rounding must not break the premultiplied invariant
			// (colour ≤ alpha), or conversion to NRGBA would overflow.
			out[i+0] = min(uint8(min(acc[i+0]+0.5, 255)), a)
			out[i+1] = min(uint8(min(acc[i+1]+0.5, 255)), a)
			out[i+2] = min(uint8(min(acc[i+2]+0.5, 255)), a)
			out[i+3] = a
		}
	}
	return dst
}

// nearest fills dst from src by nearest-neighbour sampling.
func nearest(dst *image.RGBA, src image.Image) {
	sb, db := src.Bounds(), dst.Bounds()
	for y := 0; y < db.Dy(); y++ {
		sy := sb.Min.Y + y*sb.Dy()/db.Dy()
		for x := 0; x < db.Dx(); x++ {
			sx := sb.Min.X + x*sb.Dx()/db.Dx()
			dst.Set(x, y, src.At(sx, sy))
		}
	}
}
