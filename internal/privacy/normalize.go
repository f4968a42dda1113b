package privacy

import (
	"strings"
	"time"
)

// FieldError reports bad personal-data input in a form a handler can show
// directly. Messages never echo the input, because errors end up in logs and
// the input is exactly the personal data we are protecting.
type FieldError struct {
	Code  string // stable machine code, e.g. "phone.mobile"
	Msg   string // zh-CN message for residents and grid workers
	MsgEN string // English message for logs and operators
}

func (e *FieldError) Error() string { return e.MsgEN + " (" + e.Code + ")" }

func fieldErr(code, msg, msgEN string) *FieldError {
	return &FieldError{Code: code, Msg: msg, MsgEN: msgEN}
}

// Error codes returned in FieldError.Code.
const (
	CodePhoneEmpty    = "phone.empty"
	CodePhoneChars    = "phone.chars"
	CodePhoneCountry  = "phone.country"
	CodePhoneMobile   = "phone.mobile"
	CodePhoneLandline = "phone.landline"
	CodePhoneNoArea   = "phone.no_area_code"

	CodeIDEmpty     = "idno.empty"
	CodeIDLegacy15  = "idno.legacy15"
	CodeIDLength    = "idno.length"
	CodeIDChars     = "idno.chars"
	CodeIDRegion    = "idno.region"
	CodeIDBirthDate = "idno.birthdate"
	CodeIDChecksum  = "idno.checksum"
)

// maxPhoneDigits bounds work on hostile input; the longest accepted form,
// 0086 + 4-digit area code + 8-digit number, has 16 digits.
const maxPhoneDigits = 16

// NormalizePhone validates a mainland China phone number and returns its
// canonical form, so that the blind index matches however the number was
// typed. Mobiles (1[3-9] + 9 digits) come back as 11 digits, with any +86,
// 0086 or 86 prefix removed. Landlines come back as "area-local", e.g.
// "0530-5551234". Spaces, dashes, parentheses and full-width digits from
// Chinese input methods are accepted. Empty input is an error: callers with
// optional phone fields should skip normalisation for "".
func NormalizePhone(s string) (string, error) {
	var d []byte
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r >= '０' && r <= '９':
			d = append(d, byte('0'+r-'０'))
		case r == '+' || r == '＋':
			if plus || len(d) > 0 {
				return "", errPhoneChars()
			}
			plus = true
		case isPhoneSeparator(r):
		default:
			return "", errPhoneChars()
		}
		if len(d) > maxPhoneDigits {
			return "", errPhoneGeneric(d)
		}
	}
	if len(d) == 0 {
		if plus {
			return "", errPhoneChars()
		}
		return "", fieldErr(CodePhoneEmpty, "请填写电话号码", "phone number is required")
	}

	num := string(d)
	international := false
	switch {
	case plus:
		rest, ok := strings.CutPrefix(num, "86")
		if !ok {
			return "", errPhoneCountry()
		}
		num, international = rest, true
	case strings.HasPrefix(num, "00"):
		rest, ok := strings.CutPrefix(num, "0086")
		if !ok {
			return "", errPhoneCountry()
		}
		num, international = rest, true
	case len(num) == 13 && strings.HasPrefix(num, "86") && isMobile(num[2:]):
		// A bare 86 prefix is only recognised in front of a complete mobile;
		// elsewhere it could just as well be the start of a local number.
		num = num[2:]
	}
	if num == "" {
		return "", errPhoneGeneric(nil)
	}
	// International landline numbers drop the trunk 0 of the area code
	// (+86 530 5551234, +86 10 62345678); put it back.
	if international && num[0] != '0' && !isMobile(num) {
		num = "0" + num
	}

	switch num[0] {
	case '1':
		if isMobile(num) {
			return num, nil
		}
		return "", errPhoneMobile()
	case '0':
		return normalizeLandline(num)
	default:
		if len(num) == 7 || len(num) == 8 {
			return "", fieldErr(CodePhoneNoArea,
				"固定电话请加上区号，如0530-5551234",
				"landline numbers need an area code, e.g. 0530-5551234")
		}
		return "", errPhoneGeneric(d)
	}
}

// normalizeLandline derives the area code length from the number itself
// rather than from where the user put a dash: Beijing (010) and the 02x
// cities have 3-digit codes and every other code has 4. That makes
// "0530 5551234", "05305551234" and "0530-5551234" index identically.
func normalizeLandline(num string) (string, error) {
	areaLen := 4
	switch {
	case strings.HasPrefix(num, "010") || strings.HasPrefix(num, "02"):
		areaLen = 3
	case len(num) < 2 || num[1] == '0' || num[1] == '1':
		return "", errPhoneLandline()
	}
	if len(num) <= areaLen {
		return "", errPhoneLandline()
	}
	local := num[areaLen:]
	// Subscriber numbers never start with 0 or 1 (those lead to trunk and
	// special-service prefixes), so such a "local" part is a typo.
	if len(local) < 7 || len(local) > 8 || local[0] < '2' {
		return "", errPhoneLandline()
	}
	return num[:areaLen] + "-" + local, nil
}

func isMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	return allDigits(s)
}

func isPhoneSeparator(r rune) bool {
	switch r {
	case ' ', '\t', '\u00a0', '\u3000', // ASCII, no-break and ideographic spaces
		'-', '－', '‐', '‑', '–', '—', // ASCII, full-width and typographic dashes
		'(', ')', '（', '）':
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func errPhoneChars() *FieldError {
	return fieldErr(CodePhoneChars,
		"电话号码只能包含数字、空格、短横线，以及开头的+号",
		"phone number may contain only digits, spaces, dashes and a leading +")
}

func errPhoneCountry() *FieldError {
	return fieldErr(CodePhoneCountry,
		"仅支持中国大陆电话号码（+86）",
		"only mainland China phone numbers (+86) are accepted")
}

func errPhoneMobile() *FieldError {
	return fieldErr(CodePhoneMobile,
		"手机号码应为11位数字，以13至19开头",
		"mobile number must be 11 digits starting with 13 to 19")
}

func errPhoneLandline() *FieldError {
	return fieldErr(CodePhoneLandline,
		"固定电话应为3至4位区号加7至8位号码，如0530-5551234",
		"landline must be a 3-4 digit area code and a 7-8 digit number, e.g. 0530-5551234")
}

// errPhoneGeneric picks the more helpful of the mobile and landline messages.
func errPhoneGeneric(d []byte) *FieldError {
	if len(d) > 0 && d[0] == '0' {
		return errPhoneLandline()
	}
	return errPhoneMobile()
}

// idWeights are the GB 11643-1999 (ISO 7064 MOD 11-2) position weights.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// idProvinces are the valid first two digits. 71, 81, 82 and 83 cover Taiwan,
// Hong Kong and Macau residence permits, which carry GB 11643 numbers; a
// leading 9 is the 2023 foreigners' permanent residence card, also GB 11643.
var idProvinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// idMinYear rejects obviously mistyped centuries while allowing records of
// the oldest residents, living or deceased.
const idMinYear = 1850

// chinaTime decides "today" for the future-birth-date check; the fixed zone
// avoids depending on tzdata being installed in the container.
var chinaTime = time.FixedZone("CST", 8*60*60)

// NormalizeIDNumber validates an 18-character resident ID number
// (GB 11643-1999): region, birth date and check character. It returns the
// number with an uppercase X and without spaces; full-width digits and a
// lowercase x are accepted. 15-digit pre-1999 numbers are rejected with their
// own message because their holders must have been issued an 18-digit one.
func NormalizeIDNumber(s string) (string, error) {
	var d []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, byte(r))
		case r >= '０' && r <= '９':
			d = append(d, byte('0'+r-'０'))
		case r == 'x' || r == 'X' || r == 'ｘ' || r == 'Ｘ':
			d = append(d, 'X')
		case r == ' ' || r == '\t' || r == '\u00a0' || r == '\u3000':
		default:
			return "", errIDChars()
		}
		if len(d) > 18 {
			return "", errIDLength()
		}
	}
	id := string(d)
	switch {
	case len(id) == 0:
		return "", fieldErr(CodeIDEmpty, "请填写身份证号码", "ID number is required")
	case len(id) == 15 && allDigits(id):
		return "", fieldErr(CodeIDLegacy15,
			"不支持15位旧身份证号码，请填写18位居民身份证号码",
			"15-digit legacy ID numbers are not accepted; enter the 18-character resident ID number")
	case len(id) != 18:
		return "", errIDLength()
	case !allDigits(id[:17]):
		return "", errIDChars()
	}
	if !idProvinces[id[:2]] && id[0] != '9' {
		return "", fieldErr(CodeIDRegion,
			"身份证号码的地区代码无效",
			"ID number has an invalid region code")
	}
	if !validBirthDate(id[6:14], time.Now().In(chinaTime)) {
		return "", fieldErr(CodeIDBirthDate,
			"身份证号码中的出生日期无效",
			"ID number contains an invalid birth date")
	}
	if idCheckChar(id[:17]) != id[17] {
		return "", fieldErr(CodeIDChecksum,
			"身份证号码校验位不正确，请仔细核对",
			"ID number check character does not match; please re-check the number")
	}
	return id, nil
}

// idCheckChar computes the GB 11643 check character of 17 ASCII digits.
func idCheckChar(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// validBirthDate checks an 8-digit YYYYMMDD string for a real calendar date
// between idMinYear and today.
func validBirthDate(ymd string, now time.Time) bool {
	y := atoi(ymd[0:4])
	m := atoi(ymd[4:6])
	day := atoi(ymd[6:8])
	if y < idMinYear || m < 1 || m > 12 || day < 1 || day > 31 {
		return false
	}
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, chinaTime)
	// time.Date normalises 0230 to 0302; a changed date means it did not exist.
	if t.Year() != y || int(t.Month()) != m || t.Day() != day {
		return false
	}
	ny, nm, nd := now.Date()
	return !t.After(time.Date(ny, nm, nd, 0, 0, 0, 0, chinaTime))
}

// atoi is only called on strings already checked to be ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func errIDLength() *FieldError {
	return fieldErr(CodeIDLength,
		"身份证号码应为18位",
		"ID number must be 18 characters")
}

func errIDChars() *FieldError {
	return fieldErr(CodeIDChars,
		"身份证号码前17位应为数字，最后一位为数字或X",
		"ID number must be 17 digits followed by a digit or X")
}
