package geo

import "math"

// GCJ-02 is the obfuscated datum that Chinese map SDKs (Amap/Gaode,
// Tencent, and Baidu before its own BD-09 step) report. Phones in the field
// therefore send GCJ-02, while boundaries are stored in WGS-84. The forward
// transform below is the widely published approximation of the official
// algorithm; it agrees with the real one to within a metre or two, which is
// below phone GPS noise.

// Krasovsky 1940 ellipsoid, which GCJ-02 is defined on.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
)

// OutOfChina reports whether p lies outside the rough bounding box of
// mainland China used by the published algorithm. Outside it GCJ-02 is
// defined to equal WGS-84. (The box includes neighbouring countries; that is
// how every other implementation behaves too, so conversions stay
// interoperable.)
func OutOfChina(p Point) bool {
	return p.Lng < 72.004 || p.Lng > 137.8347 || p.Lat < 0.8293 || p.Lat > 55.8271
}

func gcjTransformLat(x, y float64) float64 {
	r := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	r += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return r
}

func gcjTransformLng(x, y float64) float64 {
	r := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	r += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	r += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return r
}

// gcjDelta is the GCJ-02 offset (in degrees) added to a WGS-84 point.
func gcjDelta(p Point) (dLng, dLat float64) {
	x, y := p.Lng-105.0, p.Lat-35.0
	dLat = gcjTransformLat(x, y)
	dLng = gcjTransformLng(x, y)
	radLat := p.Lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLng, dLat
}

// WGSToGCJ converts a WGS-84 point to GCJ-02. Points outside China are
// returned unchanged.
func WGSToGCJ(p Point) Point {
	if OutOfChina(p) {
		return p
	}
	dLng, dLat := gcjDelta(p)
	return Point{p.Lng + dLng, p.Lat + dLat}
}

// GCJToWGS converts a GCJ-02 point (what a phone map SDK reports) to WGS-84.
//
// There is no closed-form inverse, and the common one-step shortcut
// (subtract the offset computed at the GCJ point) is off by up to a couple
// of metres, which is enough to put a report in the neighbouring grid. The
// offset field is smooth (it changes by well under 1% over its own
// magnitude of ~500 m), so fixed-point iteration w ← w + (g − f(w))
// contracts fast: three or four rounds reach 1e-9° (0.1 mm).
func GCJToWGS(p Point) Point {
	if OutOfChina(p) {
		return p
	}
	w := p
	for i := 0; i < 30; i++ {
		g := WGSToGCJ(w)
		dx, dy := p.Lng-g.Lng, p.Lat-g.Lat
		w.Lng += dx
		w.Lat += dy
		if math.Abs(dx) < 1e-10 && math.Abs(dy) < 1e-10 {
			break
		}
	}
	return w
}
