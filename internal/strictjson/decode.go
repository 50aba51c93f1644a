package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Unmarshal decodes a checked value into dst (a pointer) with
// encoding/json, after checking that every key of every object decoded
// into a struct names one of its fields exactly: encoding/json would take
// "TOOL" for "tool" and drop keys it does not know. Types that decode
// themselves (json.Unmarshaler: time.Time, json.RawMessage …) are left to
// their own method. Errors are *Error at the offending key or value, with
// the line and column in the whole input v was parsed from.
func Unmarshal(v Value, dst any) error {
	t := reflect.TypeOf(dst)
	if t == nil || t.Kind() != reflect.Pointer {
		return errors.New("strictjson.Unmarshal: dst must be a pointer")
	}
	if err := v.exactKeys(t); err != nil {
		return err
	}
	if err := json.Unmarshal(v.Raw(), dst); err != nil {
		return v.decodeError(err)
	}
	return nil
}

func (v Value) errAt(off int, format string, args ...any) *Error {
	line, col := LineCol(v.doc, int64(off))
	return &Error{Offset: int64(off), Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func (v Value) exactKeys(t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		for _, e := range v.Elements() {
			if err := e.exactKeys(t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Map:
		for _, m := range v.Members() {
			if err := m.Value.exactKeys(t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if v.Kind() != Object {
			return nil // encoding/json reports the type error
		}
		fields := structFields(t)
		for _, m := range v.Members() {
			ft, ok := fields[m.Key]
			if !ok {
				for _, name := range sortedKeys(fields) {
					if strings.EqualFold(name, m.Key) {
						return v.errAt(int(m.KeyOff), "unknown field %q (the key is %q: keys are case-sensitive)", m.Key, name)
					}
				}
				return v.errAt(int(m.KeyOff), "unknown field %q", m.Key)
			}
			if err := m.Value.exactKeys(ft); err != nil {
				return err
			}
		}
	}
	return nil
}

// structFields maps the JSON names of a struct's fields to their types;
// embedded structs' fields are shadowed by shallower ones, as encoding/json
// does.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			embedded = append(embedded, f)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	for _, f := range embedded {
		et := f.Type
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if et.Kind() != reflect.Struct {
			continue
		}
		for k, ft := range structFields(et) {
			if _, ok := out[k]; !ok {
				out[k] = ft
			}
		}
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// at returns the innermost value of v that holds the byte at offset p.
func (v Value) at(p int) (Value, bool) {
	if p < v.start || p >= v.end {
		return Value{}, false
	}
	switch v.Kind() {
	case Array:
		for _, e := range v.Elements() {
			if x, ok := e.at(p); ok {
				return x, true
			}
		}
	case Object:
		for _, m := range v.Members() {
			if x, ok := m.Value.at(p); ok {
				return x, true
			}
		}
	}
	return v, true
}

// decodeError places an encoding/json error in the input.
func (v Value) decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		// Offset is past the offending value's first byte (a list, an
		// object) or past the whole value (a string, number, literal):
		// point at the start of the value holding the byte before it.
		off := v.start + int(te.Offset)
		if x, ok := v.at(off - 1); ok {
			off = x.start
		}
		if te.Field != "" {
			return v.errAt(off, "%s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return v.errAt(off, "expected %s, got JSON %s", te.Type, te.Value)
	case errors.As(err, &se):
		return v.errAt(v.start+int(se.Offset), "%v", err)
	}
	return v.errAt(v.start, "%v", err)
}
