package survey

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Evaluation of parsed expressions, with ODK's coercions between strings,
// numbers, booleans and multiple-choice lists.

func eval(n *node, env *Env) any {
	switch n.kind {
	case nLit:
		return n.val
	case nRef:
		return exprValue(env.Answers[n.name])
	case nSelf:
		return exprValue(env.Self)
	case nNeg:
		return -toNum(eval(n.args[0], env))
	case nBin:
		switch n.op {
		case "and":
			return toBool(eval(n.args[0], env)) && toBool(eval(n.args[1], env))
		case "or":
			return toBool(eval(n.args[0], env)) || toBool(eval(n.args[1], env))
		}
		a, b := eval(n.args[0], env), eval(n.args[1], env)
		switch n.op {
		case "+":
			return toNum(a) + toNum(b)
		case "-":
			return toNum(a) - toNum(b)
		case "*":
			return toNum(a) * toNum(b)
		case "div":
			return toNum(a) / toNum(b)
		case "mod":
			return math.Mod(toNum(a), toNum(b))
		}
		return compare(n.op, a, b)
	case nCall:
		switch n.name {
		case "true":
			return true
		case "false":
			return false
		case "today":
			return env.Today
		case "not":
			return !toBool(eval(n.args[0], env))
		case "string-length":
			return float64(utf8.RuneCountInString(toStr(eval(n.args[0], env))))
		case "count-selected":
			return float64(len(toList(eval(n.args[0], env))))
		case "selected":
			want := strings.TrimSpace(toStr(eval(n.args[1], env)))
			for _, c := range toList(eval(n.args[0], env)) {
				if c == want {
					return true
				}
			}
			return false
		case "regex":
			return n.re.MatchString(toStr(eval(n.args[0], env)))
		}
	}
	return ""
}

// exprValue turns an answer as stored or decoded from JSON into an expression
// value: numbers become float64, lists []string, a location "lat lng" (as
// ODK's geopoint), anything else unanswered.
func exprValue(v any) any {
	switch v := v.(type) {
	case nil:
		return ""
	case string, bool, float64, []string:
		return v
	case json.Number:
		if f, ok := parseNumber(v); ok {
			return f
		}
		return string(v)
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case float32:
		return float64(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, toStr(exprValue(x)))
		}
		return out
	case map[string]any:
		lat, ok1 := parseNumber(v["lat"])
		lng, ok2 := parseNumber(v["lng"])
		if ok1 && ok2 {
			return fmtNum(lat) + " " + fmtNum(lng)
		}
	}
	return ""
}

func toBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	case []string:
		return len(v) > 0
	}
	return false
}

func toNum(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
		return 0
	case string:
		if f, ok := parseNumber(v); ok {
			return f
		}
	case []string:
		if len(v) == 1 {
			return toNum(v[0])
		}
	}
	return math.NaN()
}

func fmtNum(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func toStr(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return fmtNum(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case []string:
		return strings.Join(v, " ")
	}
	return ""
}

// toList reads a multiple-choice value; a string is split on spaces as ODK
// stores select_multiple, so selected() on a single answer is equality.
func toList(v any) []string {
	if l, ok := v.([]string); ok {
		return l
	}
	return strings.Fields(toStr(v))
}

var decimalRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// parseNumber reads a finite number written in decimal (as a number or a
// string); "Inf", hex and the like are not numbers to a respondent.
func parseNumber(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case float32:
		return parseNumber(float64(v))
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case json.Number:
		s = string(v)
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, false
	}
	if len(s) > 64 || !decimalRe.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// compare follows XPath 1.0: with a boolean, compare booleans; with a
// number, or relationally when both sides read as numbers, compare numbers;
// otherwise compare strings (so dates compare in calendar order).
func compare(op string, a, b any) bool {
	if la, ok := a.([]string); ok {
		a = strings.Join(la, " ")
	}
	if lb, ok := b.([]string); ok {
		b = strings.Join(lb, " ")
	}
	_, ab := a.(bool)
	_, bb := b.(bool)
	if ab || bb {
		x, y := toBool(a), toBool(b)
		switch op {
		case "=":
			return x == y
		case "!=":
			return x != y
		}
		a, b = toNum(x), toNum(y)
	}
	_, an := a.(float64)
	_, bn := b.(float64)
	if !an && !bn && (op == "=" || op == "!=") {
		return (toStr(a) == toStr(b)) == (op == "=")
	}
	if !an && !bn {
		if _, ok := parseNumber(a); !ok {
			return cmpOrd(op, strings.Compare(toStr(a), toStr(b)))
		}
		if _, ok := parseNumber(b); !ok {
			return cmpOrd(op, strings.Compare(toStr(a), toStr(b)))
		}
	}
	x, y := toNum(a), toNum(b)
	if math.IsNaN(x) || math.IsNaN(y) {
		return op == "!="
	}
	c := 0
	if x < y {
		c = -1
	} else if x > y {
		c = 1
	}
	return cmpOrd(op, c)
}

func cmpOrd(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case ">=":
		return c >= 0
	}
	return false
}
