package survey

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The expression language of skip logic (relevant) and constraints: the
// subset of XPath that XLSForm authors write, so that a form imported from
// XLSForm keeps its logic and one written here exports unchanged.
//
// Values are strings, float64 numbers, booleans and, for a multiple-choice
// answer, []string. As in ODK, an unanswered reference is the empty string,
// and a comparison with a number compares numbers.

const (
	maxExprLen   = 1000
	maxExprDepth = 40  // nesting of parentheses, calls and unary minus
	maxRegexLen  = 200 // bytes of a regex() pattern
)

// Env is what an expression is evaluated against.
type Env struct {
	Answers map[string]any // the answers so far, by question name
	Self    any            // the answer being checked (".")
	Today   string         // YYYY-MM-DD, for today()
}

// Expr is a parsed expression.
type Expr struct {
	src  string
	root *node
	refs []string
	self bool // uses "."
}

// ExprError says where an expression is wrong; Pos is a byte offset.
type ExprError struct {
	Pos int
	Msg string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("expression: at offset %d: %s", e.Pos, e.Msg)
}

type nodeKind uint8

const (
	nLit  nodeKind = iota // val
	nRef                  // name
	nSelf                 // .
	nBin                  // op, args[0], args[1]
	nNeg                  // -args[0]
	nCall                 // name(args...)
)

type node struct {
	kind nodeKind
	op   string
	name string
	val  any
	args []*node
	re   *regexp.Regexp // regex(): compiled once at parse time
}

// ParseExpr parses an expression.
func ParseExpr(s string) (*Expr, error) {
	if len(s) > maxExprLen {
		return nil, &ExprError{Pos: maxExprLen, Msg: fmt.Sprintf("longer than %d bytes", maxExprLen)}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, e: &Expr{src: s}}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
	}
	p.e.root = root
	return p.e, nil
}

// String returns the source text.
func (e *Expr) String() string { return e.src }

// Refs returns the names referenced as ${name}, each once, in order.
func (e *Expr) Refs() []string { return append([]string(nil), e.refs...) }

// UsesSelf reports whether the expression uses "." (the current answer).
func (e *Expr) UsesSelf() bool { return e.self }

// Eval evaluates the expression.
func (e *Expr) Eval(env Env) (any, error) {
	if e == nil || e.root == nil {
		return nil, fmt.Errorf("expression: empty")
	}
	return eval(e.root, &env), nil
}

// True evaluates the expression as a condition.
func (e *Expr) True(env Env) (bool, error) {
	v, err := e.Eval(env)
	if err != nil {
		return false, err
	}
	return toBool(v), nil
}

// ---- lexer ----

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tRef
	tDot
	tIdent
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
	pos  int
	num  float64
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '$':
			if i+1 >= len(s) || s[i+1] != '{' {
				return nil, &ExprError{Pos: i, Msg: "expected ${name}"}
			}
			j := i + 2
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			if j == i+2 || j >= len(s) || s[j] != '}' || !isIdentStart(s[i+2]) {
				return nil, &ExprError{Pos: i, Msg: "expected ${name}"}
			}
			toks = append(toks, token{kind: tRef, text: s[i+2 : j], pos: start})
			i = j + 1
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, &ExprError{Pos: i, Msg: "unterminated string"}
			}
			toks = append(toks, token{kind: tStr, text: s[i+1 : i+1+j], pos: start})
			i += j + 2
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '.' {
				j++
				for j < len(s) && isDigit(s[j]) {
					j++
				}
			}
			f, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil, &ExprError{Pos: i, Msg: "bad number"}
			}
			toks = append(toks, token{kind: tNum, text: s[i:j], pos: start, num: f})
			i = j
		case c == '.':
			toks = append(toks, token{kind: tDot, text: ".", pos: start})
			i++
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && (isIdentChar(s[j]) || s[j] == '-' && j+1 < len(s) && isIdentStart(s[j+1])) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: s[i:j], pos: start})
			i = j
		case c == '(':
			toks = append(toks, token{kind: tLParen, text: "(", pos: start})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, text: ")", pos: start})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, text: ",", pos: start})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				toks = append(toks, token{kind: tOp, text: s[i : i+2], pos: start})
				i += 2
			} else if c == '!' {
				return nil, &ExprError{Pos: i, Msg: "expected != "}
			} else {
				toks = append(toks, token{kind: tOp, text: s[i : i+1], pos: start})
				i++
			}
		case c == '=' || c == '+' || c == '-' || c == '*':
			toks = append(toks, token{kind: tOp, text: s[i : i+1], pos: start})
			i++
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, &ExprError{Pos: i, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(toks, token{kind: tEOF, text: "end of expression", pos: len(s)}), nil
}

// ---- parser: or < and < = != < < > <= >= < + - < * div mod < unary ----

type parser struct {
	toks []token
	i    int
	e    *Expr
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

// word reports whether the next token is the operator word w (and, or, div, mod).
func (p *parser) word(w string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == w
}

func (p *parser) op(ops ...string) (string, bool) {
	t := p.peek()
	if t.kind != tOp {
		return "", false
	}
	for _, o := range ops {
		if t.text == o {
			return o, true
		}
	}
	return "", false
}

func (p *parser) or(d int) (*node, error) {
	l, err := p.and(d)
	for err == nil && p.word("or") {
		p.next()
		var r *node
		if r, err = p.and(d); err == nil {
			l = &node{kind: nBin, op: "or", args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) and(d int) (*node, error) {
	l, err := p.eq(d)
	for err == nil && p.word("and") {
		p.next()
		var r *node
		if r, err = p.eq(d); err == nil {
			l = &node{kind: nBin, op: "and", args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) eq(d int) (*node, error) {
	l, err := p.rel(d)
	for err == nil {
		o, ok := p.op("=", "!=")
		if !ok {
			break
		}
		p.next()
		var r *node
		if r, err = p.rel(d); err == nil {
			l = &node{kind: nBin, op: o, args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) rel(d int) (*node, error) {
	l, err := p.add(d)
	for err == nil {
		o, ok := p.op("<", ">", "<=", ">=")
		if !ok {
			break
		}
		p.next()
		var r *node
		if r, err = p.add(d); err == nil {
			l = &node{kind: nBin, op: o, args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) add(d int) (*node, error) {
	l, err := p.mul(d)
	for err == nil {
		o, ok := p.op("+", "-")
		if !ok {
			break
		}
		p.next()
		var r *node
		if r, err = p.mul(d); err == nil {
			l = &node{kind: nBin, op: o, args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) mul(d int) (*node, error) {
	l, err := p.unary(d)
	for err == nil {
		o, ok := p.op("*")
		if !ok && (p.word("div") || p.word("mod")) {
			o, ok = p.peek().text, true
		}
		if !ok {
			break
		}
		p.next()
		var r *node
		if r, err = p.unary(d); err == nil {
			l = &node{kind: nBin, op: o, args: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) unary(d int) (*node, error) {
	if d > maxExprDepth {
		return nil, &ExprError{Pos: p.peek().pos, Msg: "nested too deeply"}
	}
	if _, ok := p.op("-"); ok {
		p.next()
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nNeg, args: []*node{x}}, nil
	}
	return p.primary(d)
}

// funcs gives each function's number of arguments.
var funcs = map[string]int{
	"selected": 2, "count-selected": 1, "string-length": 1, "regex": 2,
	"today": 0, "not": 1, "true": 0, "false": 0,
}

func (p *parser) primary(d int) (*node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return &node{kind: nLit, val: t.num}, nil
	case tStr:
		return &node{kind: nLit, val: t.text}, nil
	case tDot:
		p.e.self = true
		return &node{kind: nSelf}, nil
	case tRef:
		add := true
		for _, r := range p.e.refs {
			if r == t.text {
				add = false
			}
		}
		if add {
			p.e.refs = append(p.e.refs, t.text)
		}
		return &node{kind: nRef, name: t.text}, nil
	case tLParen:
		x, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &ExprError{Pos: c.pos, Msg: "expected )"}
		}
		return x, nil
	case tIdent:
		arity, ok := funcs[t.text]
		if !ok {
			return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unknown function or name %q", t.text)}
		}
		if c := p.next(); c.kind != tLParen {
			return nil, &ExprError{Pos: c.pos, Msg: fmt.Sprintf("expected ( after %s", t.text)}
		}
		n := &node{kind: nCall, name: t.text}
		if p.peek().kind != tRParen {
			for {
				a, err := p.or(d + 1)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, a)
				if p.peek().kind != tComma {
					break
				}
				p.next()
			}
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &ExprError{Pos: c.pos, Msg: "expected , or )"}
		}
		if len(n.args) != arity {
			return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("%s takes %d argument(s)", t.text, arity)}
		}
		if t.text == "regex" {
			lit := n.args[1]
			s, ok := lit.val.(string)
			if lit.kind != nLit || !ok {
				return nil, &ExprError{Pos: t.pos, Msg: "the pattern of regex must be a quoted string"}
			}
			if len(s) > maxRegexLen {
				return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("regex pattern longer than %d bytes", maxRegexLen)}
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, &ExprError{Pos: t.pos, Msg: "bad regex pattern: " + err.Error()}
			}
			n.re = re
		}
		return n, nil
	}
	return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unexpected %q", t.text)}
}
