package qrcode

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestPNG(t *testing.T) {
	for _, tc := range []struct {
		text string
		size int
	}{
		{"https://example.org/v/ZS-371722-2026-000123", 256},
		{"https://example.org/v/ZS-371722-2026-000123", 97}, // not a multiple of the module count
		{"签到:活动01J8Z6K3", 200},
	} {
		b, err := PNG(tc.text, tc.size)
		if err != nil {
			t.Fatalf("PNG(%q, %d): %v", tc.text, tc.size, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("PNG(%q, %d) is not a PNG: %v", tc.text, tc.size, err)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, tc.size, tc.size) {
			t.Errorf("PNG(%q, %d) is %v", tc.text, tc.size, got)
		}
		// A symbol: white corners (quiet zone), and a fair share of black.
		if !isWhite(img.At(0, 0)) || !isWhite(img.At(tc.size-1, tc.size-1)) {
			t.Errorf("PNG(%q, %d): corners are not white", tc.text, tc.size)
		}
		black := 0
		for y := 0; y < tc.size; y++ {
			for x := 0; x < tc.size; x++ {
				if !isWhite(img.At(x, y)) {
					black++
				}
			}
		}
		if share := float64(black) / float64(tc.size*tc.size); share < 0.2 || share > 0.6 {
			t.Errorf("PNG(%q, %d): %.0f%% black, not a QR symbol", tc.text, tc.size, 100*share)
		}
	}
}

func TestPNGDeterministic(t *testing.T) {
	a, _ := PNG("https://example.org/v/1", 120)
	b, _ := PNG("https://example.org/v/1", 120)
	c, _ := PNG("https://example.org/v/2", 120)
	if !bytes.Equal(a, b) {
		t.Error("same text, different PNGs")
	}
	if bytes.Equal(a, c) {
		t.Error("different texts, same PNG")
	}
}

func TestPNGErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		size int
		want string
	}{
		{"empty text", "", 100, "empty"},
		{"zero size", "x", 0, "not positive"},
		{"negative size", "x", -4, "not positive"},
		{"too small", "https://example.org/v/ZS-371722-2026-000123", 20, "cannot hold"},
		{"too long", strings.Repeat("志", 3000), 4000, "qrcode:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PNG(tc.text, tc.size)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PNG() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func isWhite(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r > 0xf000 && g > 0xf000 && b > 0xf000
}
