// Package media owns uploaded photos: type checks by content, size limits, metadata (EXIF/GPS) removal, re-encoding and thumbnails, stored under the data directory by content hash.
//
// Every accepted upload is decoded to pixels and encoded again with the Go
// standard encoders, which write no metadata segments at all: no EXIF (and so
// no GPS position, camera serial or time stamp), no XMP, no IPTC, no ICC
// profile, no comments, and nothing appended after the image. Before the
// metadata is dropped, the EXIF Orientation tag is applied to the pixels so
// the photo still looks upright. The case record keeps its location in its own
// field; the stored photo never carries one.
//
// Layout under the store directory (all 0700 directories, 0600 files):
//
//	blobs/ab/abcdef…   stored photos and thumbnails, named by content hash
//	meta/ab/abcdef…json  the Photo record for each blob
//	tmp/               temporary files, renamed into place when complete
package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/image/webp"
)

// Limits bounds what Save accepts and how large the stored images are.
type Limits struct {
	MaxBytes  int64 // longest accepted upload, in bytes
	MaxPixels int   // largest accepted width*height, checked before decoding
	MaxSide   int   // longest side of the stored image; larger photos are scaled down
	ThumbSide int   // longest side of the thumbnail
}

// DefaultLimits suits phone photos: 10 MiB, 40 megapixels, stored at 2048 px
// with 320 px thumbnails.
var DefaultLimits = Limits{MaxBytes: 10 << 20, MaxPixels: 40_000_000, MaxSide: 2048, ThumbSide: 320}

// JPEG qualities of stored photos and of thumbnails.
const (
	PhotoQuality = 85
	ThumbQuality = 75
)

// Photo describes one stored image (a photo or a thumbnail).
type Photo struct {
	ID      string `json:"id"`   // sha256 hex of the stored bytes, first 32 chars
	Type    string `json:"type"` // "image/jpeg" or "image/png"
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	Bytes   int64  `json:"bytes"`
	ThumbID string `json:"thumb_id,omitempty"` // empty for a thumbnail itself
}

// Store keeps photos under one directory. It is safe for concurrent use, also
// by several processes sharing the directory.
type Store struct {
	dir string
	lim Limits
	// sem bounds how many uploads are decoded at once: a full-size decode
	// can take several hundred MB at MaxPixels.
	sem chan struct{}
	// noSync skips fsync (fuzz tests only; never set in production).
	noSync bool
}

const (
	blobsDir = "blobs"
	metaDir  = "meta"
	tmpDir   = "tmp"
	idLen    = 32
)

// NewStore opens (creating if needed) a store in dir. Zero fields of lim take
// their value from DefaultLimits; negative ones are an error.
func NewStore(dir string, lim Limits) (*Store, error) {
	if dir == "" {
		return nil, errors.New("media: empty store directory")
	}
	if lim.MaxBytes < 0 || lim.MaxPixels < 0 || lim.MaxSide < 0 || lim.ThumbSide < 0 {
		return nil, fmt.Errorf("media: negative limit in %+v", lim)
	}
	if lim.MaxBytes == 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxPixels == 0 {
		lim.MaxPixels = DefaultLimits.MaxPixels
	}
	if lim.MaxSide == 0 {
		lim.MaxSide = DefaultLimits.MaxSide
	}
	if lim.ThumbSide == 0 {
		lim.ThumbSide = DefaultLimits.ThumbSide
	}
	if lim.ThumbSide > lim.MaxSide {
		lim.ThumbSide = lim.MaxSide
	}
	for _, d := range []string{dir, filepath.Join(dir, blobsDir), filepath.Join(dir, metaDir), filepath.Join(dir, tmpDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
	}
	s := &Store{dir: dir, lim: lim, sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
	s.cleanTmp(time.Hour)
	return s, nil
}

// Limits returns the effective limits (after defaults were applied).
func (s *Store) Limits() Limits { return s.lim }

// Dir returns the store directory.
func (s *Store) Dir() string { return s.dir }

// cleanTmp removes temporary files left by a crash. Only old files go, since
// another process may be writing into the same directory right now.
func (s *Store) cleanTmp(age time.Duration) {
	d := filepath.Join(s.dir, tmpDir)
	ents, err := os.ReadDir(d)
	if err != nil {
		return
	}
	for _, e := range ents {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			_ = os.Remove(filepath.Join(d, e.Name()))
		}
	}
}

// Save validates, cleans and stores one uploaded image read from r; see the
// package documentation. Rejections are *Error values with a user-facing
// message; other errors are internal (I/O). Nothing is written for rejected
// input. Saving the same content again returns the same Photo and writes
// nothing.
func (s *Store) Save(r io.Reader) (Photo, error) {
	// Read at most MaxBytes+1 so an over-long stream is detected without
	// reading (or buffering) the rest of it.
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(r, s.lim.MaxBytes+1)); err != nil {
		return Photo{}, fmt.Errorf("media: reading upload: %w", err)
	}
	data := buf.Bytes()
	if len(data) == 0 {
		return Photo{}, errEmpty()
	}
	if int64(len(data)) > s.lim.MaxBytes {
		return Photo{}, errTooLarge(s.lim.MaxBytes)
	}

	photo, thumb, err := s.processGuarded(data)
	if err != nil {
		return Photo{}, err
	}

	p := Photo{ID: hashID(photo.data), Type: photo.typ, Width: photo.w, Height: photo.h, Bytes: int64(len(photo.data))}
	t := Photo{ID: hashID(thumb.data), Type: thumb.typ, Width: thumb.w, Height: thumb.h, Bytes: int64(len(thumb.data))}
	p.ThumbID = t.ID

	// Blobs first, records after, the photo's record last: a record only
	// exists once everything it points at is complete.
	if err := s.put(t, thumb.data); err != nil {
		return Photo{}, err
	}
	if err := s.put(p, photo.data); err != nil {
		return Photo{}, err
	}
	return p, nil
}

// processGuarded runs process under the decode semaphore. A panic in a
// decoder (none is known; the input is hostile) becomes a "corrupt" rejection
// instead of taking down the server and leaking the semaphore slot.
func (s *Store) processGuarded(data []byte) (photo, thumb encoded, err error) {
	s.sem <- struct{}{}
	defer func() {
		<-s.sem
		if v := recover(); v != nil {
			photo, thumb, err = encoded{}, encoded{}, errCorrupt(fmt.Errorf("decoder panic: %v", v))
		}
	}()
	return process(data, s.lim)
}

// put stores one blob and its record, skipping files that already exist.
func (s *Store) put(p Photo, data []byte) error {
	if err := s.writeOnce(s.blobPath(p.ID), data); err != nil {
		return err
	}
	rec, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return s.writeOnce(s.metaPath(p.ID), rec)
}

// writeOnce writes data to path atomically (temp file, fsync, rename, fsync
// of the directory) unless path already exists. Content addressing makes an
// existing file the right one.
func (s *Store) writeOnce(path string, data []byte) (err error) {
	if _, err := os.Lstat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "up-*")
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("media: writing %s: %w", filepath.Base(path), err)
	}
	if !s.noSync {
		syncDir(dir)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Open returns the stored bytes of a photo or thumbnail and its record.
// Unknown ids give a *Error with Code "not_found" (errors.Is(err,
// fs.ErrNotExist) also holds); malformed ids give "invalid_id".
func (s *Store) Open(id string) (io.ReadSeekCloser, Photo, error) {
	if !validID(id) {
		return nil, Photo{}, errInvalidID()
	}
	rec, err := os.ReadFile(s.metaPath(id))
	if err != nil {
		return nil, Photo{}, s.openErr(err)
	}
	var p Photo
	if err := json.Unmarshal(rec, &p); err != nil || p.ID != id {
		return nil, Photo{}, fmt.Errorf("media: damaged record for %s: %v", id, err)
	}
	f, err := os.Open(s.blobPath(id))
	if err != nil {
		return nil, Photo{}, s.openErr(err)
	}
	return f, p, nil
}

// Path returns the file name of a stored photo or thumbnail, for callers
// that serve files directly (http.ServeFile). The id is validated and the
// file must exist.
func (s *Store) Path(id string) (string, error) {
	if !validID(id) {
		return "", errInvalidID()
	}
	p := s.blobPath(id)
	if _, err := os.Stat(p); err != nil {
		return "", s.openErr(err)
	}
	return p, nil
}

// Exists says whether id is a stored photo.
func (s *Store) Exists(id string) bool {
	_, err := s.Path(id)
	return err == nil
}

// Delete removes a photo, its record and its thumbnail (for erasure requests
// and deleted cases). Identical uploads share one stored photo, so callers
// must only delete an id no other case still refers to. Deleting a missing
// photo is not an error.
func (s *Store) Delete(id string) error {
	if !validID(id) {
		return errInvalidID()
	}
	ids := []string{id}
	if rec, err := os.ReadFile(s.metaPath(id)); err == nil {
		var p Photo
		if json.Unmarshal(rec, &p) == nil && validID(p.ThumbID) {
			ids = append(ids, p.ThumbID)
		}
	}
	var errs []error
	for _, id := range ids {
		// Record first: once it is gone, Open reports not_found.
		for _, path := range []string{s.metaPath(id), s.blobPath(id)} {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("media: delete %s: %w", id, errors.Join(errs...))
	}
	return nil
}

func (s *Store) openErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errNotFound(fs.ErrNotExist)
	}
	return fmt.Errorf("media: %w", err)
}

// validID accepts exactly 32 lower-case hexadecimal digits, so an id can
// never name anything outside the store (no "/", "..", NUL, etc.).
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) blobPath(id string) string {
	return filepath.Join(s.dir, blobsDir, id[:2], id)
}

func (s *Store) metaPath(id string) string {
	return filepath.Join(s.dir, metaDir, id[:2], id+".json")
}

func hashID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:idLen]
}

// encoded is one re-encoded image.
type encoded struct {
	data []byte
	typ  string
	w, h int
}

// process is the pure part of Save: bytes in, clean stored image and
// thumbnail out. It touches no files.
func process(data []byte, lim Limits) (photo, thumb encoded, err error) {
	typ, kind := sniff(data)
	if typ == "" {
		return photo, thumb, errUnsupported(kind, nil)
	}

	// 1. Header only: reject decompression bombs before allocating pixels.
	var cfg image.Config
	switch typ {
	case typeJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case typePNG:
		// Absurd sizes (2³¹×2³¹) make the png package fail with a
		// "dimension overflow" error; report them as too many pixels.
		if w, h, ok := pngSize(data); ok && w*h > int64(lim.MaxPixels) {
			return photo, thumb, errTooManyPixels(int(w), int(h), lim.MaxPixels)
		}
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case typeWebP:
		if webpAnimated(data) {
			return photo, thumb, errUnsupported(kindAnimWebP, nil)
		}
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return photo, thumb, decodeErr(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return photo, thumb, errCorrupt(errors.New("zero image dimension"))
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(lim.MaxPixels) {
		return photo, thumb, errTooManyPixels(cfg.Width, cfg.Height, lim.MaxPixels)
	}

	// 2. Full decode.
	var img image.Image
	switch typ {
	case typeJPEG:
		img, err = jpeg.Decode(bytes.NewReader(data))
	case typePNG:
		img, err = png.Decode(bytes.NewReader(data))
	case typeWebP:
		img, err = webp.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return photo, thumb, decodeErr(err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The decoders already guarantee this; keep the pixel limit honest
		// even if a future decoder does not.
		return photo, thumb, errCorrupt(errors.New("decoded size differs from header"))
	}

	// 3. Upright and downscaled. Scale first (cheaper, and has fast paths
	// for YCbCr), then rotate the smaller RGBA image.
	orient := orientationOf(typ, data)
	out := img
	if tw, th := fit(b.Dx(), b.Dy(), lim.MaxSide); tw != b.Dx() || th != b.Dy() {
		out = scaleTo(img, tw, th)
	}
	if orient >= 2 && orient <= 8 {
		out = applyOrientation(toRGBA(out), orient)
	}

	// 4. Re-encode without metadata: PNG stays PNG (screenshots, drawings),
	// everything else becomes JPEG.
	var enc bytes.Buffer
	photo.typ = typeJPEG
	if typ == typePNG {
		photo.typ = typePNG
		pe := png.Encoder{CompressionLevel: png.DefaultCompression}
		err = pe.Encode(&enc, out)
	} else {
		out = flattenForJPEG(out)
		err = jpeg.Encode(&enc, out, &jpeg.Options{Quality: PhotoQuality})
	}
	if err != nil {
		return photo, thumb, fmt.Errorf("media: encoding: %w", err)
	}
	ob := out.Bounds()
	photo.data, photo.w, photo.h = enc.Bytes(), ob.Dx(), ob.Dy()

	// 5. Thumbnail, always JPEG.
	tw, th := fit(ob.Dx(), ob.Dy(), lim.ThumbSide)
	var tm image.Image = out
	if tw != ob.Dx() || th != ob.Dy() {
		tm = scaleTo(out, tw, th)
	}
	tm = flattenForJPEG(tm)
	var tb bytes.Buffer
	if err := jpeg.Encode(&tb, tm, &jpeg.Options{Quality: ThumbQuality}); err != nil {
		return photo, thumb, fmt.Errorf("media: encoding thumbnail: %w", err)
	}
	thumb = encoded{data: tb.Bytes(), typ: typeJPEG, w: tw, h: th}
	return photo, thumb, nil
}

// decodeErr classifies a decoder error: unsupported variants of JPEG
// (12-bit, arithmetic coding, …) are "unsupported_type", everything else is
// "corrupt".
func decodeErr(err error) *Error {
	var ju jpeg.UnsupportedError
	if errors.As(err, &ju) {
		return errUnsupported(kindBadJPEG, err)
	}
	return errCorrupt(err)
}

// webpAnimated reports whether a WebP file has the VP8X animation flag.
func webpAnimated(b []byte) bool {
	// RIFF(4) size(4) WEBP(4) then the first chunk; VP8X must come first.
	return len(b) >= 21 && string(b[12:16]) == "VP8X" && b[20]&0x02 != 0
}

// pngSize reads the width and height from a PNG's leading IHDR chunk.
func pngSize(b []byte) (w, h int64, ok bool) {
	if len(b) < 24 || string(b[12:16]) != "IHDR" {
		return 0, 0, false
	}
	w = int64(binary.BigEndian.Uint32(b[16:]))
	h = int64(binary.BigEndian.Uint32(b[20:]))
	return w, h, w > 0 && h > 0
}
