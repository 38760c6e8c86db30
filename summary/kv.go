package summary

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// ValueKind is the type of a [Value].
type ValueKind uint8

// The kinds of [Value]: the types an XPC dictionary (or any similar
// self-describing wire format) can carry.
const (
	KindNull ValueKind = iota
	KindBool
	KindInt
	KindUint
	KindFloat
	KindString
	KindList
	KindMap
)

// Value is a node of a generic key/value tree: the summary's fields, with
// the names of its JSON encoding, in a form a dictionary-based transport
// (XPC) copies one node at a time. Unsigned counters stay uint64 (a JSON
// number would lose precision above 2^53). Exactly one field, selected by
// Kind, is meaningful.
type Value struct {
	Kind   ValueKind
	Bool   bool
	Int    int64
	Uint   uint64
	Float  float64
	String string
	List   []Value
	Map    []Field // sorted by key for maps, in declaration order for structs
}

// Field is one key of a [KindMap] value.
type Field struct {
	Key   string
	Value Value
}

// Get returns the value at key of a map, and whether it is there.
func (v Value) Get(key string) (Value, bool) {
	for _, f := range v.Map {
		if f.Key == key {
			return f.Value, true
		}
	}
	return Value{}, false
}

// ToValue converts the summary to its key/value tree. Field names and
// omissions follow the JSON encoding exactly; times become RFC 3339 strings
// with nanoseconds, as in JSON.
func ToValue(s *Summary) Value {
	return toValue(reflect.ValueOf(s))
}

var timeType = reflect.TypeFor[time.Time]()

func toValue(rv reflect.Value) Value {
	if rv.Type() == timeType {
		return Value{Kind: KindString, String: rv.Interface().(time.Time).Format(time.RFC3339Nano)}
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return Value{Kind: KindNull}
		}
		return toValue(rv.Elem())
	case reflect.Bool:
		return Value{Kind: KindBool, Bool: rv.Bool()}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Value{Kind: KindInt, Int: rv.Int()}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Value{Kind: KindUint, Uint: rv.Uint()}
	case reflect.Float32, reflect.Float64:
		return Value{Kind: KindFloat, Float: rv.Float()}
	case reflect.String:
		return Value{Kind: KindString, String: rv.String()}
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return Value{Kind: KindNull}
		}
		l := make([]Value, rv.Len())
		for i := range l {
			l[i] = toValue(rv.Index(i))
		}
		return Value{Kind: KindList, List: l}
	case reflect.Map:
		if rv.IsNil() {
			return Value{Kind: KindNull}
		}
		m := make([]Field, 0, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m = append(m, Field{Key: fmt.Sprint(it.Key().Interface()), Value: toValue(it.Value())})
		}
		sort.Slice(m, func(i, j int) bool { return m[i].Key < m[j].Key })
		return Value{Kind: KindMap, Map: m}
	case reflect.Struct:
		t := rv.Type()
		m := make([]Field, 0, t.NumField())
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			fv := rv.Field(i)
			if strings.Contains(opts, "omitempty") && fv.IsZero() {
				continue
			}
			m = append(m, Field{Key: name, Value: toValue(fv)})
		}
		return Value{Kind: KindMap, Map: m}
	}
	return Value{Kind: KindNull}
}

// Any converts the tree to the plain Go values encoding/json decodes into
// (map[string]any, []any, float64, string, bool, nil), for comparisons.
func (v Value) Any() any {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindInt:
		return float64(v.Int)
	case KindUint:
		return float64(v.Uint)
	case KindFloat:
		return v.Float
	case KindString:
		return v.String
	case KindList:
		l := make([]any, len(v.List))
		for i, e := range v.List {
			l[i] = e.Any()
		}
		return l
	case KindMap:
		m := make(map[string]any, len(v.Map))
		for _, f := range v.Map {
			m[f.Key] = f.Value.Any()
		}
		return m
	}
	return nil
}
