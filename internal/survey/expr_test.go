package survey

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestExprEval(t *testing.T) {
	env := Env{
		Answers: map[string]any{
			"age":    float64(34),
			"agestr": "34",
			"jn":     json.Number("7"),
			"name":   "王小明",
			"fruits": []string{"apple", "pear"},
			"anyl":   []any{"x", "y", "z"},
			"one":    "apple",
			"d":      "2026-05-01",
			"yes":    true,
			"loc":    map[string]any{"lat": 35.2, "lng": 115.4},
		},
		Self:  "13912345678",
		Today: "2026-11-29",
	}
	tests := []struct {
		expr string
		want any
	}{
		{"1 + 2 * 3", float64(7)},
		{"(1 + 2) * 3", float64(9)},
		{"7 div 2", 3.5},
		{"7 mod 3", float64(1)},
		{"-3 + 1", float64(-2)},
		{"- -3", float64(3)},
		{"10 - 2 - 3", float64(5)},
		{"${age} >= 18 and ${age} <= 120", true},
		{"${age} = '34'", true},
		{"${agestr} = 34", true},
		{"${agestr} > 4", true},    // a numeric string compares as a number
		{"'10' > '9'", true},       // both numeric: numbers
		{"'b' > 'a'", true},        // neither numeric: strings
		{"${jn} * 2", float64(14)}, // json.Number
		{"${missing} = ''", true},  // unanswered is the empty string
		{"${missing} > 3", false},  // NaN compares false
		{"${missing} != 3", true},  //  … except !=
		{"${missing}", ""},
		{"string-length(${name})", float64(3)},
		{"string-length(.)", float64(11)},
		{"regex(., '^1[3-9][0-9]{9}$')", true},
		{"regex(${name}, '^[a-z]+$')", false},
		{"selected(${fruits}, 'pear')", true},
		{"selected(${fruits}, 'kiwi')", false},
		{"selected(${one}, 'apple')", true},
		{"selected(${one}, 'app')", false},
		{"selected(${anyl}, 'y')", true},
		{"count-selected(${fruits})", float64(2)},
		{"count-selected(${missing})", float64(0)},
		{"count-selected(${one})", float64(1)},
		{"not(${age} > 60)", true},
		{"not(selected(${fruits}, 'apple')) or ${age} = 34", true},
		{"today()", "2026-11-29"},
		{"${d} <= today()", true},
		{"${d} > today()", false},
		{"${yes} = true()", true},
		{"${yes} = 1", true},
		{"false() or true()", true},
		{"\"double\" = 'double'", true},
		{".5 + .5", float64(1)},
		{"${loc}", "35.2 115.4"},
		{"1 div 0 > 1000", true},
		{"1 or 0 and 0", true}, // and binds tighter
		{"1 = 1 = 1", true},    // (1=1)=1 → true = 1
	}
	for _, tt := range tests {
		e, err := ParseExpr(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		got, err := e.Eval(env)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s = %#v, %v; want %#v", tt.expr, got, err, tt.want)
		}
	}
}

func TestExprRefs(t *testing.T) {
	e, err := ParseExpr("${a} > 1 and selected(${b}, 'x') or ${a} = ${c} or .")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Refs(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("refs %v", got)
	}
	if !e.UsesSelf() {
		t.Error("UsesSelf false")
	}
	e, _ = ParseExpr("${a} = 1")
	if e.UsesSelf() || e.String() != "${a} = 1" {
		t.Error("UsesSelf true or String wrong")
	}
}

func TestExprErrors(t *testing.T) {
	tests := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"", 0, "unexpected"},
		{"1 +", 3, "unexpected"},
		{"(1", 2, "expected )"},
		{"${a", 0, "${name}"},
		{"${}", 0, "${name}"},
		{"${1a}", 0, "${name}"},
		{"$a", 0, "${name}"},
		{"'abc", 0, "unterminated"},
		{"foo(1)", 0, "unknown function"},
		{"age > 3", 0, "unknown function"},
		{"selected(${a})", 0, "takes 2"},
		{"today(1)", 0, "takes 0"},
		{"regex(., ${p})", 0, "quoted string"},
		{"regex(., '(')", 0, "bad regex"},
		{"regex(., '" + strings.Repeat("a", 201) + "')", 0, "longer than 200"},
		{"1 ! 2", 2, "!="},
		{"1 # 2", 2, "unexpected character"},
		{"1 2", 2, "unexpected"},
		{"not 1", 4, "expected ("},
		{strings.Repeat("(", 50) + "1" + strings.Repeat(")", 50), 41, "nested too deeply"},
		{strings.Repeat("-", 60) + "1", 41, "nested too deeply"},
		{strings.Repeat("1+", 500) + "1", 1000, "longer than 1000"},
	}
	for _, tt := range tests {
		_, err := ParseExpr(tt.expr)
		var ee *ExprError
		if !errors.As(err, &ee) {
			t.Errorf("%.40s: err %v, want ExprError", tt.expr, err)
			continue
		}
		if ee.Pos != tt.pos || !strings.Contains(ee.Msg, tt.msg) {
			t.Errorf("%.40s: %v; want pos %d and %q", tt.expr, err, tt.pos, tt.msg)
		}
	}
	if _, err := ParseExpr(strings.Repeat("1+", 499) + "1"); err != nil {
		t.Errorf("a long flat expression within the limit: %v", err)
	}
}

func TestExprTrueAndNil(t *testing.T) {
	e, _ := ParseExpr("${x}")
	if ok, _ := e.True(Env{Answers: map[string]any{"x": []string{}}}); ok {
		t.Error("empty list is true")
	}
	if ok, _ := e.True(Env{Answers: map[string]any{"x": "a"}}); !ok {
		t.Error("non-empty string is false")
	}
	var nilExpr *Expr
	if _, err := nilExpr.Eval(Env{}); err == nil {
		t.Error("nil Expr evaluated")
	}
}

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"${a} > 1 and ${b} != 'x'", "regex(., '^[0-9]+$')", "not(selected(${m}, 'a')) or count-selected(${m}) >= 2",
		"string-length(.) <= 10", "(1 + 2) * 3 div 4 mod 5 - -1", ". <= today()", "\"s\" = 's'", "${a}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExpr(s)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) || ee.Pos < 0 || ee.Pos > len(s) {
				t.Fatalf("%q: bad error %v", s, err)
			}
			return
		}
		env := Env{Answers: map[string]any{}, Self: s, Today: "2026-01-01"}
		for i, r := range e.Refs() {
			switch i % 3 {
			case 0:
				env.Answers[r] = s
			case 1:
				env.Answers[r] = []string{"a", s}
			case 2:
				env.Answers[r] = float64(i)
			}
		}
		if _, err := e.Eval(env); err != nil {
			t.Fatal(err)
		}
	})
}
