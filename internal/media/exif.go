package media

import (
	"bytes"
	"encoding/binary"
)

// This file is a deliberately tiny, allocation-free reader for the one EXIF
// field we need: the Orientation tag (0x0112) in IFD0. Everything else in the
// metadata — GPS position, camera serial numbers, timestamps, XMP — is simply
// never copied, because the stored image is re-encoded from pixels.
//
// All functions take untrusted bytes, check every offset against the slice
// length before use, never recurse and never allocate, so malformed input can
// only make them return 1 ("normal").

const (
	tagOrientation = 0x0112
	typeShort      = 3
	typeLong       = 4
)

// exifHeader prefixes the TIFF structure in a JPEG APP1 segment.
var exifHeader = []byte("Exif\x00\x00")

// orientationOf returns the EXIF orientation (1..8) embedded in an image of the
// given sniffed type, or 1 when there is none or it cannot be read.
func orientationOf(typ string, b []byte) int {
	switch typ {
	case typeJPEG:
		return jpegOrientation(b)
	case typePNG:
		return pngOrientation(b)
	case typeWebP:
		return webpOrientation(b)
	}
	return 1
}

// jpegOrientation walks the JPEG marker segments up to the first SOS and
// returns the orientation from the first APP1 "Exif" segment that has one.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 1 // not at a marker: malformed, give up
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
			continue
		case m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7): // standalone markers
			i += 2
			continue
		case m == 0xDA || m == 0xD9: // start of scan / end of image: no more headers
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, exifHeader) {
			if o, ok := tiffOrientation(seg[len(exifHeader):]); ok {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// pngOrientation reads an eXIf chunk that precedes the image data.
func pngOrientation(b []byte) int {
	if len(b) < len(pngSig) || !bytes.HasPrefix(b, pngSig) {
		return 1
	}
	i := len(pngSig)
	for i+8 <= len(b) {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		end := int64(i) + 8 + n
		if end > int64(len(b)) {
			return 1
		}
		switch typ {
		case "eXIf":
			if o, ok := tiffOrientation(b[i+8 : end]); ok {
				return o
			}
		case "IDAT", "IEND":
			return 1
		}
		i = int(end) + 4 // skip the CRC
	}
	return 1
}

// webpOrientation reads the EXIF chunk of an extended (VP8X) WebP file.
func webpOrientation(b []byte) int {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 1
	}
	i := 12
	for i+8 <= len(b) {
		n := int64(binary.LittleEndian.Uint32(b[i+4:]))
		end := int64(i) + 8 + n
		if end > int64(len(b)) {
			return 1
		}
		if string(b[i:i+4]) == "EXIF" {
			data := b[i+8 : end]
			// Some writers keep the JPEG-style "Exif\0\0" prefix.
			data = bytes.TrimPrefix(data, exifHeader)
			if o, ok := tiffOrientation(data); ok {
				return o
			}
		}
		i = int(end + end&1) // chunks are padded to an even size
	}
	return 1
}

// tiffOrientation parses a TIFF header and IFD0 and returns the Orientation
// tag's value. ok is false when the structure is malformed, the tag is absent
// or its value is outside 1..8.
func tiffOrientation(t []byte) (orient int, ok bool) {
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[0:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0, false
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0, false
	}
	count := int64(bo.Uint16(t[off:]))
	p := off + 2
	for k := int64(0); k < count; k++ {
		if p+12 > int64(len(t)) {
			return 0, false
		}
		e := t[p : p+12]
		p += 12
		if bo.Uint16(e[0:]) != tagOrientation {
			continue
		}
		if bo.Uint32(e[4:]) < 1 { // count
			return 0, false
		}
		var v uint32
		switch bo.Uint16(e[2:]) {
		case typeShort:
			v = uint32(bo.Uint16(e[8:])) // values ≤ 4 bytes are stored inline, left-justified
		case typeLong:
			v = bo.Uint32(e[8:])
		default:
			return 0, false
		}
		if v < 1 || v > 8 {
			return 0, false
		}
		return int(v), true
	}
	return 0, false
}
