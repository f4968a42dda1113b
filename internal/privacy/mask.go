package privacy

import (
	"strings"
	"unicode/utf8"
)

// Every mask keeps the rune count of its input (MaskName apart from trimming
// surrounding space) so that masked values line up in tables the same way
// the originals would, and so nothing about the hidden part leaks through
// its length beyond what the layout already shows.

// MaskPhone hides the middle of a phone number for display:
// "13812345678" -> "138****5678", "0530-5551234" -> "0530-***1234".
// Anything else (legacy or malformed data) is masked except its last two
// characters, so unexpected input errs towards showing less.
func MaskPhone(s string) string {
	if s == "" {
		return ""
	}
	if len(s) == 11 && s[0] == '1' && allDigits(s) {
		return s[:3] + "****" + s[7:]
	}
	if area, local, ok := strings.Cut(s, "-"); ok &&
		len(area) >= 3 && len(area) <= 4 && area[0] == '0' && allDigits(area) &&
		len(local) >= 7 && len(local) <= 8 && allDigits(local) {
		return area + "-" + strings.Repeat("*", len(local)-4) + local[len(local)-4:]
	}
	return maskAllButLast(s, 2)
}

// MaskIDNumber keeps the 6-digit region and the last 4 characters and hides
// the birth date and sequence: "371722199001011234" -> "371722********1234".
// Input of any other length is masked except its last two characters.
func MaskIDNumber(s string) string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(s) != 18 {
		return maskAllButLast(s, 2)
	}
	r := []rune(s)
	return string(r[:6]) + "********" + string(r[14:])
}

// MaskName keeps the first rune and replaces every other rune, spaces
// included, with '*': "张三" -> "张*", "欧阳娜娜" -> "欧***",
// "Wang Fang" -> "W********". Masking the spaces too hides how a Latin name
// splits into parts. A single-rune name is returned as is, since masking it
// would leave nothing recognisable to the worker reading the screen.
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return s
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + strings.Repeat("*", n-1)
}

// maskAllButLast replaces all but the last keep runes with '*'. Input no
// longer than keep is masked entirely; showing it would show all of it.
func maskAllButLast(s string, keep int) string {
	r := []rune(s)
	if len(r) <= keep {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-keep) + string(r[len(r)-keep:])
}
