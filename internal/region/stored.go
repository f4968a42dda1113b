package region

import (
	"bytes"
	"errors"
	"strconv"

	"civicgrid/internal/geo"
)

// parseStored reads a boundary as this package stored it (GeoJSON Polygon
// or MultiPolygon written by geo.MarshalGeometry). It is a small hand-rolled
// scanner because start-up parses ~29,000 of them and encoding/json spends
// most of the cold start there; anything it does not recognise falls back to
// the general parser.
func parseStored(b []byte) (geo.MultiPolygon, error) {
	multi := bytes.Contains(b, []byte(`"MultiPolygon"`))
	i := bytes.Index(b, []byte(`"coordinates"`))
	if i < 0 {
		return geo.ParseGeometry(b)
	}
	p := &scanner{b: b, i: i + len(`"coordinates"`)}
	p.skipSpace()
	if !p.eat(':') {
		return geo.ParseGeometry(b)
	}
	var mp geo.MultiPolygon
	var err error
	if multi {
		mp, err = p.multi()
	} else {
		var poly geo.Polygon
		poly, err = p.polygon()
		mp = geo.MultiPolygon{poly}
	}
	if err != nil {
		return geo.ParseGeometry(b)
	}
	return mp, nil
}

type scanner struct {
	b []byte
	i int
}

var errShape = errors.New("unexpected shape")

func (p *scanner) skipSpace() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scanner) eat(c byte) bool {
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// list parses "[ item, item, … ]" calling item for each element.
func (p *scanner) list(item func() error) error {
	if !p.eat('[') {
		return errShape
	}
	if p.eat(']') {
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.eat(']') {
			return nil
		}
		if !p.eat(',') {
			return errShape
		}
	}
}

func (p *scanner) number() (float64, error) {
	p.skipSpace()
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return strconv.ParseFloat(string(p.b[start:p.i]), 64)
}

func (p *scanner) point() (geo.Point, error) {
	var xs [2]float64
	n := 0
	err := p.list(func() error {
		f, err := p.number()
		if err == nil && n < 2 {
			xs[n] = f
		}
		n++
		return err
	})
	if err == nil && n < 2 {
		err = errShape
	}
	return geo.Point{Lng: xs[0], Lat: xs[1]}, err
}

func (p *scanner) ring() (geo.Ring, error) {
	r := make(geo.Ring, 0, 5)
	err := p.list(func() error {
		pt, err := p.point()
		r = append(r, pt)
		return err
	})
	return r, err
}

func (p *scanner) polygon() (geo.Polygon, error) {
	var poly geo.Polygon
	err := p.list(func() error {
		r, err := p.ring()
		poly = append(poly, r)
		return err
	})
	return poly, err
}

func (p *scanner) multi() (geo.MultiPolygon, error) {
	var mp geo.MultiPolygon
	err := p.list(func() error {
		poly, err := p.polygon()
		mp = append(mp, poly)
		return err
	})
	return mp, err
}
