package privacy

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	canonicalMobile   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	canonicalLandline = regexp.MustCompile(`^(010|02[0-9]|0[3-9][0-9]{2})-[2-9][0-9]{6,7}$`)
	canonicalID       = regexp.MustCompile(`^[1-9][0-9]{16}[0-9X]$`)
	longDigitRun      = regexp.MustCompile(`[0-9]{5,}`)
)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"13812345678", "+86 138 1234 5678", "008613812345678", "8613812345678",
		"0530-5551234", "+86 10 62345678", "（0530）5551234", "１３８１２３４５６７８",
		"", "+", "abc", "5551234", "0", "0086", "+86",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizePhone(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Code == "" || fe.Msg == "" || fe.MsgEN == "" {
				t.Fatalf("NormalizePhone(%q): error %v is not a complete FieldError", s, err)
			}
			if out != "" {
				t.Fatalf("NormalizePhone(%q) returned %q with an error", s, out)
			}
			return
		}
		if !canonicalMobile.MatchString(out) && !canonicalLandline.MatchString(out) {
			t.Fatalf("NormalizePhone(%q) = %q, not canonical", s, out)
		}
		// Canonical output must be a fixed point, or the same number could be
		// indexed under two different blind indexes.
		again, err := NormalizePhone(out)
		if err != nil || again != out {
			t.Fatalf("NormalizePhone not idempotent: %q -> %q -> %q, %v", s, out, again, err)
		}
	})
}

func FuzzNormalizeIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "11010519491231002x", "440524188001010014",
		"37172219900230123X", "371722900101123", "", "X", "３７１７０２１９８５１１２０３４５１",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeIDNumber(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Code == "" || fe.Msg == "" || fe.MsgEN == "" {
				t.Fatalf("NormalizeIDNumber(%q): error %v is not a complete FieldError", s, err)
			}
			return
		}
		if !canonicalID.MatchString(out) || idCheckChar(out[:17]) != out[17] {
			t.Fatalf("NormalizeIDNumber(%q) = %q, not a valid canonical number", s, out)
		}
		again, err := NormalizeIDNumber(out)
		if err != nil || again != out {
			t.Fatalf("NormalizeIDNumber not idempotent: %q -> %q -> %q, %v", s, out, again, err)
		}
		if m := MaskIDNumber(out); m[6:14] != "********" || strings.Contains(m, out[6:14]) {
			t.Fatalf("MaskIDNumber(%q) = %q leaks the birth date", out, m)
		}
	})
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{
		"13812345678", "0530-5551234", "010-62345678", "371722199001011234",
		"张三", "欧阳娜娜", "Wang Fang", "", "1", "\xff\xfe", "138 1234 5678",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mp := MaskPhone(s)
		mi := MaskIDNumber(s)
		mn := MaskName(s)

		n := utf8.RuneCountInString(s)
		if got := utf8.RuneCountInString(mp); got != n {
			t.Fatalf("MaskPhone(%q) = %q: %d runes, want %d", s, mp, got, n)
		}
		if got := utf8.RuneCountInString(mi); got != n {
			t.Fatalf("MaskIDNumber(%q) = %q: %d runes, want %d", s, mi, got, n)
		}
		if trimmed := strings.TrimSpace(s); utf8.RuneCountInString(mn) != utf8.RuneCountInString(trimmed) {
			t.Fatalf("MaskName(%q) = %q changes rune count", s, mn)
		}
		// Whatever the input, a masked phone never shows more than 4 digits
		// in a row, so no phone number can be read back from it.
		if longDigitRun.MatchString(mp) {
			t.Fatalf("MaskPhone(%q) = %q shows a long digit run", s, mp)
		}
		if s != "" && !strings.Contains(mp, "*") {
			t.Fatalf("MaskPhone(%q) = %q masks nothing", s, mp)
		}
		if s != "" && !strings.Contains(mi, "*") {
			t.Fatalf("MaskIDNumber(%q) = %q masks nothing", s, mi)
		}

		if m, err := NormalizePhone(s); err == nil && canonicalMobile.MatchString(m) {
			got := MaskPhone(m)
			if got[3:7] != "****" || got != m[:3]+"****"+m[7:] {
				t.Fatalf("MaskPhone(%q) = %q does not hide the middle digits", m, got)
			}
			if utf8.RuneCountInString(got) != utf8.RuneCountInString(m) {
				t.Fatalf("MaskPhone(%q) = %q changes length", m, got)
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	// Fixed rather than freshly sealed: each fuzz worker process runs this
	// setup again, and a random nonce would give every worker a different
	// "valid" value from the one in the seed corpus.
	k := testKeys(f, 0)
	const (
		aad   = "people.name:1"
		plain = "张三"
		valid = "v1.VRMqOKfZsYKxwL0u8qIn76_YQO4GfHcfZimHfNR77dSYpg"
	)
	for _, s := range []string{valid, "", "v1.", "v1.AAAA", "v2." + valid[3:], valid[:20], valid + "A", "v1.\n", "v1.===="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := k.Open(s, aad)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("Open(%q) error %v is not ErrDecrypt", s, err)
			}
			if got != "" {
				t.Fatalf("Open(%q) returned %q with an error", s, got)
			}
			return
		}
		// Only the one genuine ciphertext (or "") may open: anything else
		// opening would be a forgery or an alternative spelling.
		switch {
		case s == "" && got == "":
		case s == valid && got == plain:
		default:
			t.Fatalf("Open(%q) = %q unexpectedly succeeded", s, got)
		}
	})
}
