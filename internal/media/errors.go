package media

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Error codes returned in Error.Code.
const (
	CodeTooLarge        = "too_large"        // the stream is longer than Limits.MaxBytes
	CodeTooManyPixels   = "too_many_pixels"  // width*height exceeds Limits.MaxPixels
	CodeUnsupportedType = "unsupported_type" // not JPEG, PNG or WebP (by content)
	CodeCorrupt         = "corrupt"          // the content claims a supported type but does not decode
	CodeEmpty           = "empty"            // no bytes at all
	CodeInvalidID       = "invalid_id"       // Open/Path: the id is not 32 lower-case hex digits
	CodeNotFound        = "not_found"        // Open/Path: no such photo; errors.Is(err, fs.ErrNotExist) holds
)

// Error is a rejection of an upload (or of a photo id) that is safe to show to
// the user: Msg is in simplified Chinese, MsgEN in English. Internal failures
// (disk full, a broken reader) are returned as ordinary errors instead.
type Error struct {
	Code  string
	Msg   string // zh-CN
	MsgEN string
	cause error // for logs only; never shown to users
}

func (e *Error) Error() string {
	s := "media: " + e.Code + ": " + e.MsgEN
	if e.cause != nil {
		s += " (" + e.cause.Error() + ")"
	}
	return s
}

// Unwrap returns the underlying decoder or file-system error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == "" && t.MsgEN == ""
}

// IsCode reports whether err is (or wraps) a *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

const supportedZH = "请上传 JPEG、PNG 或 WebP 格式的照片。"
const supportedEN = "please upload a JPEG, PNG or WebP photo."

func errEmpty() *Error {
	return &Error{Code: CodeEmpty,
		Msg:   "没有收到照片内容，请重新选择照片。",
		MsgEN: "No photo data was received; please choose the photo again."}
}

func errTooLarge(max int64) *Error {
	zh, en := sizeText(max)
	return &Error{Code: CodeTooLarge,
		Msg:   "照片文件太大，最大允许 " + zh + "。请压缩或截图后重新上传。",
		MsgEN: "The photo file is too large; the maximum is " + en + ". Please compress it or upload a screenshot."}
}

func errTooManyPixels(w, h, max int) *Error {
	return &Error{Code: CodeTooManyPixels,
		Msg: fmt.Sprintf("照片分辨率过高（%d×%d），最多允许 %s 万像素。请降低相机分辨率或截图后重新上传。",
			w, h, trimFloat(float64(max)/1e4)),
		MsgEN: fmt.Sprintf("The image resolution is too high (%d×%d); the maximum is %s megapixels. Please lower the camera resolution or upload a screenshot.",
			w, h, trimFloat(float64(max)/1e6))}
}

func errCorrupt(cause error) *Error {
	return &Error{Code: CodeCorrupt,
		Msg:   "照片文件已损坏或不完整，请重新拍摄或重新选择照片后上传。",
		MsgEN: "The photo file is damaged or incomplete; please take or choose the photo again.",
		cause: cause}
}

// unsupported kinds, detected by content.
const (
	kindUnknown  = ""
	kindGIF      = "gif"
	kindHEIC     = "heic"
	kindAVIF     = "avif"
	kindAnimWebP = "animated-webp"
	kindBadJPEG  = "jpeg-variant"
	kindBMP      = "bmp"
	kindTIFF     = "tiff"
	kindPDF      = "pdf"
	kindText     = "text"
)

func errUnsupported(kind string, cause error) *Error {
	e := &Error{Code: CodeUnsupportedType, cause: cause}
	switch kind {
	case kindGIF:
		e.Msg = "不支持 GIF 图片（包括动图），" + supportedZH
		e.MsgEN = "GIF images (including animations) are not supported; " + supportedEN
	case kindHEIC:
		e.Msg = "暂不支持 HEIC/HEIF 格式的照片。请在手机相机设置中选择“兼容性最佳”（JPEG），或将照片转换为 JPEG 后重新上传。"
		e.MsgEN = "HEIC/HEIF photos are not supported. Set the phone camera to \"Most Compatible\" (JPEG) or convert the photo to JPEG, then upload it again."
	case kindAVIF:
		e.Msg = "暂不支持 AVIF 格式的图片，" + supportedZH
		e.MsgEN = "AVIF images are not supported; " + supportedEN
	case kindAnimWebP:
		e.Msg = "不支持动态 WebP 图片，请上传静态照片（JPEG、PNG 或 WebP）。"
		e.MsgEN = "Animated WebP images are not supported; please upload a still photo (JPEG, PNG or WebP)."
	case kindBadJPEG:
		e.Msg = "不支持这种 JPEG 编码方式（如 12 位或算术编码），请在相册中重新保存或截图后上传。"
		e.MsgEN = "This JPEG encoding (e.g. 12-bit or arithmetic coding) is not supported; re-save the photo or upload a screenshot."
	case kindBMP:
		e.Msg = "不支持 BMP 图片，" + supportedZH
		e.MsgEN = "BMP images are not supported; " + supportedEN
	case kindTIFF:
		e.Msg = "不支持 TIFF 图片，" + supportedZH
		e.MsgEN = "TIFF images are not supported; " + supportedEN
	case kindPDF:
		e.Msg = "这是 PDF 文件而不是照片，" + supportedZH
		e.MsgEN = "This is a PDF document, not a photo; " + supportedEN
	case kindText:
		e.Msg = "这是文本文件而不是照片（与文件名无关），" + supportedZH
		e.MsgEN = "This is a text file, not a photo (whatever its file name says); " + supportedEN
	default:
		e.Msg = "无法识别的文件类型，" + supportedZH
		e.MsgEN = "Unrecognised file type; " + supportedEN
	}
	return e
}

func errInvalidID() *Error {
	return &Error{Code: CodeInvalidID,
		Msg:   "照片编号无效。",
		MsgEN: "Invalid photo id."}
}

func errNotFound(cause error) *Error {
	return &Error{Code: CodeNotFound,
		Msg:   "找不到该照片。",
		MsgEN: "Photo not found.",
		cause: cause}
}

// sizeText renders a byte count as "10 MB" / "512 KB" / "100 字节".
func sizeText(n int64) (zh, en string) {
	switch {
	case n >= 1<<20:
		s := trimFloat(float64(n) / (1 << 20))
		return s + " MB", s + " MB"
	case n >= 1<<10:
		s := trimFloat(float64(n) / (1 << 10))
		return s + " KB", s + " KB"
	default:
		s := strconv.FormatInt(n, 10)
		return s + " 字节", s + " bytes"
	}
}

// trimFloat formats f with at most one decimal: 10 → "10", 9.5 → "9.5".
func trimFloat(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
