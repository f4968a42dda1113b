package api

import (
	"reflect"
	"strings"
	"time"
)

// schemaOf derives a JSON Schema object from a Go wire type's json tags, so
// the document cannot drift from what the handlers send. Fields without
// omitempty/omitzero are required.
func schemaOf(v any) map[string]any {
	return typeSchema(reflect.TypeOf(v), map[reflect.Type]bool{})
}

var timeType = reflect.TypeOf(time.Time{})

// typeSchema describes t; open holds the struct types being described, so a
// recursive type (a result with sub-results) ends in a plain object.
func typeSchema(t reflect.Type, open map[reflect.Type]bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem(), open)}
	case reflect.Map:
		return map[string]any{"type": "object"}
	case reflect.Struct:
		if open[t] {
			return map[string]any{"type": "object"}
		}
		open[t] = true
		defer delete(open, t)
		props := map[string]any{}
		var required []string
		addFields(t, props, &required, open)
		return map[string]any{"type": "object", "properties": props, "required": required}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, required *[]string, open map[reflect.Type]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props, required, open)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = typeSchema(f.Type, open)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
