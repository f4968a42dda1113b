package workcal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits on what Parse accepts. Years outside [MinYear, MaxYear] are refused so
// that the precomputed tables stay small; a holiday-cn year file is about 5 KB.
const (
	MinYear      = 1900
	MaxYear      = 2199
	maxFileBytes = 1 << 20
	maxNameRunes = 64
	dateLayout   = "2006-01-02"
)

// Error is a problem found by Parse. Msg is Chinese, MsgEN English; both name
// the offending entry as days[Index] and its date when known. Index is -1 when
// the problem is not about one entry of "days".
type Error struct {
	Msg   string
	MsgEN string
	Index int
}

func (e *Error) Error() string { return "workcal: " + e.MsgEN }

func fileErr(zh, en string) *Error { return &Error{Msg: zh, MsgEN: en, Index: -1} }

func entryErr(i int, date, zh, en string) *Error {
	where := "days[" + strconv.Itoa(i) + "]"
	if date != "" {
		return &Error{Msg: where + "（" + date + "）：" + zh, MsgEN: where + " (" + date + "): " + en, Index: i}
	}
	return &Error{Msg: where + "：" + zh, MsgEN: where + ": " + en, Index: i}
}

type field struct {
	key string
	raw json.RawMessage
}

// objectFields reads one JSON object keeping keys exactly as written (encoding/json
// would match them case-insensitively) and refusing duplicate keys.
func objectFields(raw []byte) ([]field, string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, "", err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, "", errNotObject
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, "", errNotObject
		}
		for _, f := range out {
			if f.key == key {
				return nil, key, errDupKey
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, "", err
		}
		out = append(out, field{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, "", err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, "", errTrailing
	}
	return out, "", nil
}

var (
	errNotObject = errors.New("not a JSON object")
	errDupKey    = errors.New("duplicate key")
	errTrailing  = errors.New("data after the JSON value")
)

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// Parse reads one year of the official holiday calendar in the NateScarlet/holiday-cn
// format:
//
//	{"year":2026,"papers":["https://www.gov.cn/..."],
//	 "days":[{"name":"元旦","date":"2026-01-01","isOffDay":true}, ...]}
//
// It checks the JSON shape (only the fields $schema, $id, year, papers, days at
// the top and name, date, isOffDay in each entry, all exactly spelled, none
// repeated or null), that every date is a real date inside the stated year, that
// no date appears twice and that there is at least one entry. Errors are *Error.
func Parse(r io.Reader) (year int, days []Day, err error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return 0, nil, fileErr("读取节假日文件失败："+err.Error(), "reading the holiday file: "+err.Error())
	}
	if len(data) > maxFileBytes {
		return 0, nil, fileErr("节假日文件超过 1 MiB", "holiday file is larger than 1 MiB")
	}
	if !json.Valid(data) {
		return 0, nil, fileErr("不是有效的 JSON", "not valid JSON")
	}
	fields, dupKey, err := objectFields(data)
	if err != nil {
		if err == errDupKey {
			return 0, nil, fileErr("字段 "+strconv.Quote(dupKey)+" 重复", "field "+strconv.Quote(dupKey)+" appears twice")
		}
		return 0, nil, fileErr("顶层必须是 JSON 对象", "the top level must be a JSON object")
	}
	var rawYear, rawDays json.RawMessage
	for _, f := range fields {
		switch f.key {
		case "$schema", "$id":
			var s string
			if isNull(f.raw) || json.Unmarshal(f.raw, &s) != nil {
				return 0, nil, fileErr("字段 "+f.key+" 必须是字符串", "field "+f.key+" must be a string")
			}
		case "papers":
			var p []string
			if isNull(f.raw) || json.Unmarshal(f.raw, &p) != nil {
				return 0, nil, fileErr("字段 papers 必须是字符串数组", "field papers must be an array of strings")
			}
		case "year":
			rawYear = f.raw
		case "days":
			rawDays = f.raw
		default:
			return 0, nil, fileErr("未知字段 "+strconv.Quote(f.key), "unknown field "+strconv.Quote(f.key))
		}
	}
	if rawYear == nil {
		return 0, nil, fileErr("缺少字段 year", "missing field year")
	}
	if isNull(rawYear) || json.Unmarshal(rawYear, &year) != nil {
		return 0, nil, fileErr("字段 year 必须是整数", "field year must be an integer")
	}
	if year < MinYear || year > MaxYear {
		return 0, nil, fileErr(fmt.Sprintf("年份 %d 超出范围 %d–%d", year, MinYear, MaxYear),
			fmt.Sprintf("year %d is outside %d–%d", year, MinYear, MaxYear))
	}
	if rawDays == nil {
		return 0, nil, fileErr("缺少字段 days", "missing field days")
	}
	var entries []json.RawMessage
	if isNull(rawDays) || json.Unmarshal(rawDays, &entries) != nil {
		return 0, nil, fileErr("字段 days 必须是数组", "field days must be an array")
	}
	if len(entries) == 0 {
		return 0, nil, fileErr(fmt.Sprintf("%d 年的 days 为空", year), fmt.Sprintf("days of %d is empty", year))
	}
	seen := make(map[string]int, len(entries))
	days = make([]Day, 0, len(entries))
	for i, raw := range entries {
		d, err := parseEntry(i, year, raw)
		if err != nil {
			return 0, nil, err
		}
		if j, dup := seen[d.Date]; dup {
			return 0, nil, entryErr(i, d.Date, fmt.Sprintf("日期与 days[%d] 重复", j), fmt.Sprintf("date repeats days[%d]", j))
		}
		seen[d.Date] = i
		days = append(days, d)
	}
	return year, days, nil
}

func parseEntry(i, year int, raw json.RawMessage) (Day, error) {
	fields, dupKey, err := objectFields(raw)
	if err != nil {
		if err == errDupKey {
			return Day{}, entryErr(i, "", "字段 "+strconv.Quote(dupKey)+" 重复", "field "+strconv.Quote(dupKey)+" appears twice")
		}
		return Day{}, entryErr(i, "", "必须是 JSON 对象", "must be a JSON object")
	}
	// Find the date first so that every later message can name it.
	var d Day
	var haveDate, haveName, haveOff bool
	for _, f := range fields {
		if f.key != "date" {
			continue
		}
		if isNull(f.raw) || json.Unmarshal(f.raw, &d.Date) != nil {
			return Day{}, entryErr(i, "", "date 必须是字符串", "date must be a string")
		}
		haveDate = true
	}
	shown := d.Date
	if !utf8.ValidString(shown) || len(shown) > 32 {
		shown = strconv.Quote(shown)
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
	}
	for _, f := range fields {
		switch f.key {
		case "date":
		case "name":
			if isNull(f.raw) || json.Unmarshal(f.raw, &d.Name) != nil {
				return Day{}, entryErr(i, shown, "name 必须是字符串", "name must be a string")
			}
			haveName = true
		case "isOffDay":
			if isNull(f.raw) || json.Unmarshal(f.raw, &d.Off) != nil {
				return Day{}, entryErr(i, shown, "isOffDay 必须是 true 或 false", "isOffDay must be true or false")
			}
			haveOff = true
		default:
			return Day{}, entryErr(i, shown, "未知字段 "+strconv.Quote(f.key), "unknown field "+strconv.Quote(f.key))
		}
	}
	if !haveDate {
		return Day{}, entryErr(i, "", "缺少字段 date", "missing field date")
	}
	t, err := time.Parse(dateLayout, d.Date)
	if err != nil || t.Format(dateLayout) != d.Date {
		return Day{}, entryErr(i, shown, "日期无效，应为 YYYY-MM-DD", "invalid date, want YYYY-MM-DD")
	}
	if t.Year() != year {
		return Day{}, entryErr(i, shown, fmt.Sprintf("日期不在 %d 年内", year), fmt.Sprintf("date is outside the year %d", year))
	}
	if !haveName || d.Name == "" {
		return Day{}, entryErr(i, shown, "缺少节日名称 name", "missing name")
	}
	if utf8.RuneCountInString(d.Name) > maxNameRunes {
		return Day{}, entryErr(i, shown, fmt.Sprintf("name 超过 %d 个字符", maxNameRunes), fmt.Sprintf("name is longer than %d characters", maxNameRunes))
	}
	if !haveOff {
		return Day{}, entryErr(i, shown, "缺少字段 isOffDay", "missing field isOffDay")
	}
	return d, nil
}
