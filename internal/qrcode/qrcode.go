// Package qrcode owns the QR codes civicgrid prints: check-in codes for
// volunteer activities and the verification code on service certificates.
//
// It wraps github.com/skip2/go-qrcode at one fixed error-correction level so
// that every code the application prints behaves the same when scanned.
package qrcode

import (
	"errors"
	"fmt"

	qr "github.com/skip2/go-qrcode"
)

// Medium recovery (about 15% of the symbol may be damaged) is what printed
// codes usually carry: a smudged or folded paper still scans, and a URL stays
// in a small, coarse symbol that a phone reads from a distance.
const level = qr.Medium

// PNG encodes text as a QR code with its quiet zone and returns a black on
// white PNG of exactly size×size pixels. A size smaller than the symbol
// needs (one pixel a module) is an error rather than a bigger image.
func PNG(text string, size int) ([]byte, error) {
	if text == "" {
		return nil, errors.New("qrcode: empty text")
	}
	if size <= 0 {
		return nil, fmt.Errorf("qrcode: size %d is not positive", size)
	}
	q, err := qr.New(text, level)
	if err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	if need := len(q.Bitmap()); size < need {
		return nil, fmt.Errorf("qrcode: %d pixels cannot hold a %d-module symbol", size, need)
	}
	b, err := q.PNG(size)
	if err != nil {
		return nil, fmt.Errorf("qrcode: %w", err)
	}
	return b, nil
}
