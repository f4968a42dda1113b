package api

import (
	"civicgrid/internal/cases"
	"civicgrid/internal/media"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// Op documents one JSON route for the OpenAPI document. The router's table
// carries an Op beside every API route, so the document is built from the
// same list the mux is, and a test checks the two against each other.
type Op struct {
	Summary  string
	Tag      string
	Params   []Param
	Body     string // schema name of a JSON body, or a media type containing "/"
	Response string // schema name of a 2xx JSON body, or a media type containing "/"
	Status   int    // success status, 200 by default
	Public   bool   // no authentication needed
}

// Param is a query parameter (path parameters come from the pattern).
type Param struct {
	Name, Type, Desc string
	Required         bool
}

// Endpoint is a route as the document sees it.
type Endpoint struct {
	Method, Path, Permission string
	Op                       *Op
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// Document builds the OpenAPI 3.1 document.
func Document(version string, eps []Endpoint) ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, ep := range eps {
		if ep.Op == nil {
			continue
		}
		op := ep.Op
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(ep.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range op.Params {
			t := p.Type
			if t == "" {
				t = "string"
			}
			params = append(params, map[string]any{"name": p.Name, "in": "query", "required": p.Required, "description": p.Desc, "schema": map[string]any{"type": t}})
		}
		status := op.Status
		if status == 0 {
			status = 200
		}
		o := map[string]any{
			"summary":     op.Summary,
			"operationId": operationID(ep.Method, ep.Path),
			"tags":        []string{op.Tag},
			"responses": map[string]any{
				itoa(status): map[string]any{"description": "OK", "content": content(op.Response)},
				"default":    map[string]any{"description": "Problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": ref("Problem")}}},
			},
			"x-permission": ep.Permission,
		}
		if op.Public {
			o["security"] = []any{}
		}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.Body != "" {
			o["requestBody"] = map[string]any{"required": true, "content": content(op.Body)}
		}
		if paths[ep.Path] == nil {
			paths[ep.Path] = map[string]any{}
		}
		paths[ep.Path][strings.ToLower(ep.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "civicgrid 基层治理平台 API",
			"version":     version,
			"description": "JSON API of civicgrid. Errors are RFC 9457 problem objects naming the offending field. Lists are paged with next_cursor.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token from `civicgrid token create`"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "cg_session"},
			},
			"schemas": schemas,
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func content(s string) map[string]any {
	switch {
	case s == "":
		return nil
	case strings.Contains(s, "/"):
		return map[string]any{s: map[string]any{"schema": map[string]any{}}}
	case strings.HasPrefix(s, "Page:"):
		item := strings.TrimPrefix(s, "Page:")
		return map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type": "object", "required": []string{"items"},
			"properties": map[string]any{"items": map[string]any{"type": "array", "items": ref(item)}, "next_cursor": map[string]any{"type": "string"}},
		}}}
	}
	return map[string]any{"application/json": map[string]any{"schema": ref(s)}}
}

func operationID(method, path string) string {
	parts := strings.FieldsFunc(strings.TrimPrefix(path, "/api/v1/"), func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '.' })
	return strings.ToLower(method) + "_" + strings.Join(parts, "_")
}

// SchemaNames lists the component schemas (for tests).
func SchemaNames() []string {
	var out []string
	for k := range schemas {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func obj(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": required, "properties": props}
}

var (
	str  = map[string]any{"type": "string"}
	num  = map[string]any{"type": "number"}
	inte = map[string]any{"type": "integer"}
	ts   = map[string]any{"type": "string", "format": "date-time"}
)

var refSchema = map[string]any{"type": "object", "required": []string{"code", "name", "level"}, "properties": map[string]any{"code": str, "name": str, "level": str}}

// caseSchemas are derived from the case domain's wire types.
func init() {
	for name, v := range map[string]any{
		"Category": cases.Category{}, "Case": cases.Case{}, "CaseView": CaseView{}, "Report": cases.Report{}, "Intake": cases.Intake{},
		"CaseInput": cases.Input{}, "Rates": cases.Rates{}, "Unit": cases.Unit{}, "Responsibility": cases.Responsibility{},
		"Reliability": cases.Reliability{}, "NewUnit": NewUnit{}, "Photo": media.Photo{},
		"HolidayYear": HolidayYear{}, "HolidayImport": HolidayImport{}, "Alerts": cases.Alerts{}, "AlertsSeenRequest": AlertsSeenRequest{},
	} {
		schemas[name] = schemaOf(v)
	}
}

var schemas = map[string]any{
	"Problem": obj([]string{"type", "title", "status", "code"}, map[string]any{
		"type": str, "title": str, "status": inte, "detail": str, "instance": str, "code": str,
		"field":  map[string]any{"type": "string", "description": "path of the offending input field"},
		"errors": map[string]any{"type": "array", "items": obj([]string{"field", "detail"}, map[string]any{"field": str, "detail": str})},
	}),
	"RegionRef": refSchema,
	"Region": obj([]string{"code", "name", "level", "kind"}, map[string]any{
		"code": str, "parent": str, "name": str, "level": map[string]any{"type": "string", "enum": []string{"city", "county", "town", "village", "grid"}},
		"kind": map[string]any{"type": "string", "enum": []string{"admin", "zone"}}, "households": inte, "grids": inte, "children": inte,
		"has_boundary": map[string]any{"type": "boolean"}, "chain": map[string]any{"type": "array", "items": ref("RegionRef")},
	}),
	"Location": obj([]string{"grid", "chain", "wgs84"}, map[string]any{
		"grid": ref("RegionRef"), "chain": map[string]any{"type": "array", "items": ref("RegionRef")},
		"wgs84": obj([]string{"lng", "lat"}, map[string]any{"lng": num, "lat": num}),
	}),
	"ImportResult": obj([]string{"features", "created", "updated"}, map[string]any{"features": inte, "created": inte, "updated": inte}),
	"User": obj([]string{"id", "username", "role", "region_code", "status"}, map[string]any{
		"id": str, "username": str, "display_name": str, "role": str, "region_code": str, "region_name": str, "unit": str,
		"phone": map[string]any{"type": "string", "description": "masked, e.g. 138****5678"}, "status": str, "created_at": ts, "last_login_at": ts,
	}),
	"Me": obj([]string{"user", "permissions"}, map[string]any{"user": ref("User"), "permissions": map[string]any{"type": "array", "items": str}}),
	"NewUser": obj([]string{"username", "password", "role", "region_code"}, map[string]any{
		"username": str, "password": str, "display_name": str,
		"role":        map[string]any{"type": "string", "enum": []string{"city_admin", "official", "dept_handler", "grid_leader", "grid_worker", "parttime_worker", "volunteer", "resident", "auditor"}},
		"region_code": str, "unit": str, "phone": str,
	}),
	"UserUpdate":   obj(nil, map[string]any{"status": map[string]any{"type": "string", "enum": []string{"active", "disabled"}}, "password": str}),
	"TokenRequest": obj(nil, map[string]any{"name": str}),
	"Token":        obj([]string{"token"}, map[string]any{"token": str, "note": str}),
	"Person": obj([]string{"id", "grid_code", "name"}, map[string]any{
		"id": str, "grid_code": str, "grid_name": str, "household_no": str,
		"name":      map[string]any{"type": "string", "description": "masked"},
		"phone":     map[string]any{"type": "string", "description": "masked"},
		"id_number": map[string]any{"type": "string", "description": "masked"},
		"tags":      map[string]any{"type": "array", "items": str}, "created_at": ts,
	}),
	"NewPerson": obj([]string{"grid_code", "name"}, map[string]any{
		"grid_code": str, "household_no": str, "name": str, "phone": str, "id_number": str, "tags": map[string]any{"type": "array", "items": str},
	}),
	"RevealRequest": obj([]string{"field"}, map[string]any{"field": map[string]any{"type": "string", "enum": []string{"name", "phone", "id_number"}}, "reason": str}),
	"Revealed":      obj([]string{"field", "value"}, map[string]any{"field": str, "value": str}),
	"AuditEntry": obj([]string{"seq", "at", "actor", "action", "object_type", "object_id", "hash"}, map[string]any{
		"seq": inte, "at": ts, "actor_id": str, "actor": str, "role": str, "action": str, "object_type": str, "object_id": str,
		"region_path": map[string]any{"type": "string", "description": "materialised path of the record's region, e.g. /371700/371722/"},
		"ip":          str, "detail": str, "prev_hash": str, "hash": str,
	}),
}
