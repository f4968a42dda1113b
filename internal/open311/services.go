package open311

import (
	"context"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"civicgrid/internal/cases"
	"civicgrid/internal/i18n"
)

// attrDef is an extra question asked for every service of a class. The
// civicgrid taxonomy has none of its own yet; these few are what the
// handling units ask callers on the phone.
type attrDef struct {
	code        string
	datatype    string // string | number | singlevaluelist
	required    bool
	label       text // recorded in the case description as "label：value"
	description text
	hint        text // datatype_description
	values      []attrValue
	maxLen      int // string: runes
}

type attrValue struct {
	key  string
	name text
}

var facilityID = attrDef{
	code: "facility_id", datatype: "string", maxLen: 50,
	label:       text{"设施编号", "Facility number"},
	description: text{"设施上喷印或挂牌的编号（井盖、路灯杆、消防栓、站亭等），没有可不填。", "The number painted or tagged on the facility (manhole cover, lamp post, hydrant, shelter); leave empty if there is none."},
	hint:        text{"单行文本，不超过 50 个字符", "One line, at most 50 characters"},
}

// classAttributes are the questions per class (大类) code.
var classAttributes = map[string][]attrDef{
	"01": {facilityID},
	"02": {facilityID},
	"03": {facilityID},
	"04": {facilityID},
	"15": {{
		code: "hazard_level", datatype: "singlevaluelist",
		label:       text{"隐患等级", "Hazard level"},
		description: text{"您判断的隐患严重程度。", "How serious the hazard looks to you."},
		hint:        text{"单选", "Choose one"},
		values: []attrValue{
			{"general", text{"一般", "General"}},
			{"significant", text{"较大", "Significant"}},
			{"major", text{"重大", "Major"}},
		},
	}},
	"16": {{
		code: "parties_count", datatype: "number",
		label:       text{"涉及人数", "People involved"},
		description: text{"纠纷涉及的当事人人数（估计即可）。", "How many people the dispute involves (an estimate will do)."},
		hint:        text{"正整数", "A whole number"},
	}},
}

// privateClasses are classes whose requests tell about people, not places:
// family and neighbour disputes, welfare needs (an elderly person living
// alone), tips to the police. GET requests shows their status but withholds
// the description, the address and the status notes, and blurs the point to
// about a kilometre, so the public list does not point at a household.
var privateClasses = map[string]bool{"16": true, "17": true, "19": true}

func (d attrDef) wire(lang i18n.Lang, order int) Attribute {
	a := Attribute{Variable: true, Code: d.code, Datatype: d.datatype, Required: d.required, Order: order,
		Description: d.description.in(lang), DatatypeDescription: optString(d.hint.in(lang))}
	for _, v := range d.values {
		a.Values.Items = append(a.Values.Items, Value{Key: v.key, Name: v.name.in(lang)})
	}
	return a
}

// check validates the values given for the attribute and returns the
// canonical value (a list's key) or a reason in lang.
func (d attrDef) check(lang i18n.Lang, vals []string) (string, string) {
	if len(vals) != 1 {
		return "", msgAttrOne.in(lang)
	}
	v := strings.TrimSpace(vals[0])
	switch d.datatype {
	case "singlevaluelist":
		keys := make([]string, len(d.values))
		for i, o := range d.values {
			keys[i] = o.key
			// Clients that send the option's name instead of its key are
			// understood too.
			if v == o.key || v == o.name.zh || strings.EqualFold(v, o.name.en) {
				return o.key, ""
			}
		}
		return "", msgAttrList.in(lang, strings.Join(keys, ", "))
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || len(v) > 20 {
			return "", msgAttrNumber.in(lang)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), ""
	}
	if utf8.RuneCountInString(v) > d.maxLen || strings.ContainsAny(v, "\r\n") {
		return "", msgAttrString.in(lang, d.maxLen)
	}
	return v, ""
}

// display is how an answer is written into the case description.
func (d attrDef) display(key string) string {
	for _, o := range d.values {
		if o.key == key {
			return d.label.zh + "：" + o.name.zh
		}
	}
	return d.label.zh + "：" + key
}

// taxonomy is the category list indexed for one request.
type taxonomy struct {
	byCode map[string]cases.Category
	subs   []cases.Category
}

func (h *Handler) taxonomy(ctx context.Context) (taxonomy, error) {
	cs, err := h.cases.Categories(ctx)
	if err != nil {
		return taxonomy{}, err
	}
	t := taxonomy{byCode: make(map[string]cases.Category, len(cs))}
	for _, c := range cs {
		t.byCode[c.Code] = c
		if !c.IsClass() {
			t.subs = append(t.subs, c)
		}
	}
	sort.Slice(t.subs, func(i, j int) bool { return t.subs[i].Code < t.subs[j].Code })
	return t, nil
}

// keywordSep splits a Chinese name into its parts: 井盖破损、缺失 → 井盖破损, 缺失.
var keywordSep = strings.NewReplacer("、", ",", "，", ",", "（", ",", "）", ",", "(", ",", ")", ",")

func (t taxonomy) service(lang i18n.Lang, c cases.Category) Service {
	class := t.byCode[c.ParentCode]
	var kw []string
	seen := map[string]bool{}
	for _, k := range append(strings.Split(keywordSep.Replace(c.Name), ","), class.Name, c.NameEN, class.NameEN) {
		if k = strings.TrimSpace(k); k != "" && !seen[k] {
			seen[k] = true
			kw = append(kw, k)
		}
	}
	desc := c.NameEN
	if c.FilingStandard != "" {
		desc += " / " + text{"立案标准：", "accepted when: "}.in(lang) + c.FilingStandard
	}
	return Service{Code: c.Code, Name: c.Name, Description: desc, Metadata: len(classAttributes[c.ParentCode]) > 0,
		Type: "realtime", Keywords: strings.Join(kw, ", "), Group: class.Name}
}

func (h *Handler) services(w http.ResponseWriter, r *http.Request, f format) {
	t, err := h.taxonomy(r.Context())
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	lang := langOf(r)
	list := serviceList{Items: make([]Service, 0, len(t.subs))}
	for _, c := range t.subs {
		list.Items = append(list.Items, t.service(lang, c))
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	h.write(w, r, f, http.StatusOK, list, list.Items)
}

func (h *Handler) definition(w http.ResponseWriter, r *http.Request, f format, code string) {
	t, err := h.taxonomy(r.Context())
	if err != nil {
		h.fail(w, r, f, err)
		return
	}
	lang := langOf(r)
	c, ok := t.byCode[code]
	if !ok || c.IsClass() {
		h.errors(w, r, f, http.StatusNotFound, msgNoService.in(lang, code))
		return
	}
	def := ServiceDefinition{Code: c.Code}
	for i, d := range classAttributes[c.ParentCode] {
		def.Attributes.Items = append(def.Attributes.Items, d.wire(lang, i+1))
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	h.write(w, r, f, http.StatusOK, def, def)
}
