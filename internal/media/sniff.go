package media

import (
	"bytes"
	"unicode/utf8"
)

// MIME types of stored photos (and of accepted WebP input).
const (
	typeJPEG = "image/jpeg"
	typePNG  = "image/png"
	typeWebP = "image/webp"
)

var pngSig = []byte("\x89PNG\r\n\x1a\n")

// sniff identifies the format from the first bytes of the content. It returns
// one of the accepted types, or "" and a kind naming a recognised but rejected
// format (for a helpful message). File names and declared Content-Types are
// never consulted.
func sniff(b []byte) (typ, kind string) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return typeJPEG, ""
	case bytes.HasPrefix(b, pngSig):
		return typePNG, ""
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return typeWebP, ""
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return "", kindGIF
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "avif", "avis":
			return "", kindAVIF
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1", "mif2":
			return "", kindHEIC
		}
		return "", kindUnknown
	case bytes.HasPrefix(b, []byte("BM")) && len(b) >= 14:
		return "", kindBMP
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		return "", kindTIFF
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "", kindPDF
	case looksLikeText(b):
		return "", kindText
	}
	return "", kindUnknown
}

// looksLikeText reports whether the first 512 bytes are valid UTF-8 without
// control characters other than whitespace.
func looksLikeText(b []byte) bool {
	if len(b) > 512 {
		b = b[:512]
		// Do not fail on a multi-byte character cut at the boundary.
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			return false
		}
		if c == 0x7F {
			return false
		}
	}
	return true
}
