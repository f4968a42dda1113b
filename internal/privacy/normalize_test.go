package privacy

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNormalizePhone(t *testing.T) {
	ok := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{"19912345678", "19912345678"},
		{"138 1234 5678", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"  13812345678\t", "13812345678"},
		{"+8613812345678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+86-138-1234-5678", "13812345678"},
		{"008613812345678", "13812345678"},
		{"0086 138 1234 5678", "13812345678"},
		{"8613812345678", "13812345678"},
		{"86 138 1234 5678", "13812345678"},
		{"１３８１２３４５６７８", "13812345678"},
		{"＋８６ １３８　１２３４　５６７８", "13812345678"},
		{"0530-5551234", "0530-5551234"},
		{"0530 5551234", "0530-5551234"},
		{"05305551234", "0530-5551234"},
		{"(0530)5551234", "0530-5551234"},
		{"（0530）5551234", "0530-5551234"},
		{"0530－5551234", "0530-5551234"},
		{"0531-85551234", "0531-85551234"},
		{"010-62345678", "010-62345678"},
		{"01062345678", "010-62345678"},
		{"021-52345678", "021-52345678"},
		{"+86 530 5551234", "0530-5551234"},
		{"+86 10 62345678", "010-62345678"},
		{"0086 21 52345678", "021-52345678"},
		{"+86 0530 5551234", "0530-5551234"},
	}
	for _, c := range ok {
		got, err := NormalizePhone(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}

	bad := []struct{ in, code string }{
		{"", CodePhoneEmpty},
		{"   ", CodePhoneEmpty},
		{"-", CodePhoneEmpty},
		{"1381234567a", CodePhoneChars},
		{"138l2345678", CodePhoneChars},
		{"phone", CodePhoneChars},
		{"13812345678 ext 1", CodePhoneChars},
		{"138.1234.5678", CodePhoneChars},
		{"13812345678+", CodePhoneChars},
		{"++8613812345678", CodePhoneChars},
		{"+", CodePhoneChars},
		{"1381234567", CodePhoneMobile},   // too short
		{"138123456789", CodePhoneMobile}, // too long
		{"12812345678", CodePhoneMobile},  // 12x is not a mobile range
		{"10086", CodePhoneMobile},
		{"1", CodePhoneMobile},
		{"+1 415 555 1234", CodePhoneCountry},
		{"+852 9123 4567", CodePhoneCountry},
		{"001 415 555 1234", CodePhoneCountry},
		{"+86", CodePhoneMobile},
		{"+86 12345", CodePhoneLandline},
		{"0530-555123", CodePhoneLandline},    // local part too short
		{"0530-555123456", CodePhoneLandline}, // too long
		{"0530-0551234", CodePhoneLandline},   // local part starts with 0
		{"0530-1551234", CodePhoneLandline},   // local part starts with 1
		{"0110-5551234", CodePhoneLandline},   // no 011x area codes
		{"0", CodePhoneLandline},
		{"5551234", CodePhoneNoArea},
		{"85551234", CodePhoneNoArea},
		{"555123", CodePhoneMobile},
		{"12345678901234567890", CodePhoneMobile}, // hostile length
		{strings.Repeat("1", 10000), CodePhoneMobile},
	}
	for _, c := range bad {
		got, err := NormalizePhone(c.in)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want FieldError %s", c.in, got, err, c.code)
			continue
		}
		if fe.Code != c.code {
			t.Errorf("NormalizePhone(%q) code = %s, want %s", c.in, fe.Code, c.code)
		}
		if fe.Msg == "" || fe.MsgEN == "" || !containsHan(fe.Msg) {
			t.Errorf("NormalizePhone(%q): incomplete messages %+v", c.in, fe)
		}
		if got != "" {
			t.Errorf("NormalizePhone(%q) returned %q with an error", c.in, got)
		}
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	ok := []struct{ in, want string }{
		{"11010519491231002X", "11010519491231002X"}, // example from GB 11643-1999
		{"11010519491231002x", "11010519491231002X"},
		{"440524188001010014", "440524188001010014"}, // example from GB 11643-1999
		{"371722199001011230", "371722199001011230"},
		{"320106200002290027", "320106200002290027"}, // 2000 is a leap year
		{" 371702 19851120 3451 ", "371702198511203451"},
		{"３７１７０２１９８５１１２０３４５１", "371702198511203451"},
		{"11010819920315007ｘ", "11010819920315007X"},
		{"910105198001010015", "910105198001010015"}, // foreigners' permanent residence card
	}
	for _, c := range ok {
		got, err := NormalizeIDNumber(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeIDNumber(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}

	bad := []struct{ in, code string }{
		{"", CodeIDEmpty},
		{"  ", CodeIDEmpty},
		{"371722199001011234", CodeIDChecksum},
		{"11010519491231002Y", CodeIDChars},
		{"110105194912310021", CodeIDChecksum},
		{"37172219900230123X", CodeIDBirthDate}, // 19900230, correct check char
		{"320106190002290020", CodeIDBirthDate}, // 1900 is not a leap year
		{"371722299001011239", CodeIDBirthDate}, // year 2990
		{"371722184901011234", CodeIDBirthDate}, // before idMinYear
		{"371722199013011234", CodeIDBirthDate}, // month 13
		{"371722199000011234", CodeIDBirthDate}, // month 0
		{"371722199001001234", CodeIDBirthDate}, // day 0
		{"000105198001010010", CodeIDRegion},
		{"990105198001010010", CodeIDChecksum}, // 9x passes region, then fails checksum
		{"371722900101123", CodeIDLegacy15},
		{"37172219900101123", CodeIDLength},
		{"3717221990010112300", CodeIDLength},
		{"3717", CodeIDLength},
		{"X71722199001011230", CodeIDChars},
		{"37172219900101X230", CodeIDChars},
		{"371722-19900101-1230", CodeIDChars},
		{"身份证371722199001011230", CodeIDChars},
		{strings.Repeat("1", 10000), CodeIDLength},
	}
	for _, c := range bad {
		got, err := NormalizeIDNumber(c.in)
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("NormalizeIDNumber(%q) = %q, %v; want FieldError %s", c.in, got, err, c.code)
			continue
		}
		if fe.Code != c.code {
			t.Errorf("NormalizeIDNumber(%q) code = %s, want %s", c.in, fe.Code, c.code)
		}
		if fe.Msg == "" || fe.MsgEN == "" || !containsHan(fe.Msg) {
			t.Errorf("NormalizeIDNumber(%q): incomplete messages %+v", c.in, fe)
		}
		if strings.Contains(fe.Error(), c.in) && c.in != "" && strings.TrimSpace(c.in) != "" {
			t.Errorf("error text echoes the input: %q", fe.Error())
		}
	}
}

func TestLegacyMessageIsSpecific(t *testing.T) {
	_, err := NormalizeIDNumber("371722900101123")
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "15位") || !strings.Contains(fe.MsgEN, "15-digit") {
		t.Errorf("15-digit error not explicit: %v", err)
	}
}

func TestValidBirthDateFuture(t *testing.T) {
	now := time.Date(2024, 6, 15, 10, 0, 0, 0, chinaTime)
	cases := map[string]bool{
		"20240615": true,
		"20240614": true,
		"20240616": false,
		"20250101": false,
		"18500101": true,
		"18491231": false,
		"20240229": true,
		"20230229": false,
		"20240431": false,
	}
	for ymd, want := range cases {
		if got := validBirthDate(ymd, now); got != want {
			t.Errorf("validBirthDate(%s) = %v, want %v", ymd, got, want)
		}
	}
}

// TestIDCheckCharIndependent recomputes the check character the way the
// standard defines it (weights 2^(i-1) mod 11 from the right), so a typo in
// the weight table cannot hide behind tests that share it.
func TestIDCheckCharIndependent(t *testing.T) {
	for _, first17 := range []string{"11010519491231002", "44052418800101001", "37172219900101123", "00000000000000000", "99999999999999999", "12345678901234567"} {
		sum := 0
		for i := 0; i < 17; i++ {
			w := 1
			for range 17 - i {
				w = w * 2 % 11
			}
			sum += int(first17[i]-'0') * w
		}
		want := "10X98765432"[sum%11]
		if got := idCheckChar(first17); got != want {
			t.Errorf("idCheckChar(%s) = %c, want %c", first17, got, want)
		}
	}
}

func TestFieldErrorError(t *testing.T) {
	_, err := NormalizePhone("abc")
	if err == nil || !strings.Contains(err.Error(), CodePhoneChars) {
		t.Errorf("Error() = %v, want it to include the code", err)
	}
}

func containsHan(s string) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
		s = s[n:]
	}
	return false
}
