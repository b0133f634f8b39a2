package table

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the kind of a Value.
type Kind uint8

// Value kinds. The zero Value is NULL.
const (
	KindNull Kind = iota
	KindInt
	KindDouble
	KindText
	KindBlob
)

// Value is one typed cell. NULL is distinct from 0 and "".
type Value struct {
	kind Kind
	i    int64
	f    float64
	s    string
}

// Null is the NULL value.
var Null = Value{}

// Int returns an integer value.
func Int(i int64) Value { return Value{kind: KindInt, i: i} }

// Uint returns an integer value from an unsigned one. SQLite integers are
// signed 64-bit: values above MaxInt64 keep their bits, as osquery does.
func Uint(u uint64) Value { return Value{kind: KindInt, i: int64(u)} }

// Bool returns 1 or 0.
func Bool(b bool) Value {
	if b {
		return Int(1)
	}
	return Int(0)
}

// Double returns a floating-point value.
func Double(f float64) Value { return Value{kind: KindDouble, f: f} }

// Text returns a text value.
func Text(s string) Value { return Value{kind: KindText, s: s} }

// Blob returns a blob value.
func Blob(b []byte) Value { return Value{kind: KindBlob, s: string(b)} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether the value is NULL.
func (v Value) IsNull() bool { return v.kind == KindNull }

// Int returns the value as an integer, converting text that holds one.
func (v Value) Int() (int64, bool) {
	switch v.kind {
	case KindInt:
		return v.i, true
	case KindDouble:
		if v.f == math.Trunc(v.f) && math.Abs(v.f) < 1<<63 {
			return int64(v.f), true
		}
	case KindText:
		s := strings.TrimSpace(v.s)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return int64(u), true
		}
	}
	return 0, false
}

// Double returns the value as a float, converting text that holds a number.
func (v Value) Double() (float64, bool) {
	switch v.kind {
	case KindInt:
		return float64(v.i), true
	case KindDouble:
		return v.f, true
	case KindText:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil
	}
	return 0, false
}

// String returns the value as osquery writes it in results: integers in
// decimal, doubles as SQLite prints them, NULL as "".
func (v Value) String() string {
	switch v.kind {
	case KindInt:
		return strconv.FormatInt(v.i, 10)
	case KindDouble:
		return FormatDouble(v.f)
	case KindText, KindBlob:
		return v.s
	}
	return ""
}

// FormatDouble prints f as SQLite's "%!.15g" does: shortest form, with ".0"
// on integral values.
func FormatDouble(f float64) string {
	if math.IsInf(f, 1) {
		return "Inf"
	}
	if math.IsInf(f, -1) {
		return "-Inf"
	}
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if strings.ContainsAny(s, ".eEn") {
		if strings.Contains(s, "e") {
			// SQLite writes 1.0e+20 where Go writes 1e+20.
			mant, exp, _ := strings.Cut(s, "e")
			if !strings.Contains(mant, ".") {
				mant += ".0"
			}
			return mant + "e" + exp
		}
		return s
	}
	return s + ".0"
}

// As converts v to the storage a column of type t declares: text that holds
// a number becomes the number, so that comparisons and sorting in SQL behave
// as in osquery. Text that is not a number is kept as NULL for numeric
// columns; ok is false then so the caller can warn.
func (v Value) As(t Type) (out Value, ok bool) {
	switch t {
	case TypeInteger, TypeBigInt, TypeUnsignedBigInt:
		switch v.kind {
		case KindInt, KindNull:
			return v, true
		case KindDouble:
			return Int(int64(v.f)), true
		}
		if v.kind == KindText && v.s == "" {
			return Null, true
		}
		if i, ok := v.Int(); ok {
			return Int(i), true
		}
		return Null, false
	case TypeDouble:
		switch v.kind {
		case KindDouble, KindNull:
			return v, true
		}
		if v.kind == KindText && v.s == "" {
			return Null, true
		}
		if f, ok := v.Double(); ok {
			return Double(f), true
		}
		return Null, false
	case TypeText:
		if v.kind == KindInt || v.kind == KindDouble {
			return Text(v.String()), true
		}
	}
	return v, true
}

// Any returns the value as a database/sql driver value: nil, int64,
// float64, string or []byte.
func (v Value) Any() any {
	switch v.kind {
	case KindInt:
		return v.i
	case KindDouble:
		return v.f
	case KindText:
		return v.s
	case KindBlob:
		return []byte(v.s)
	}
	return nil
}

// FromAny converts a database/sql driver value to a Value.
func FromAny(x any) Value {
	switch x := x.(type) {
	case nil:
		return Null
	case int64:
		return Int(x)
	case int:
		return Int(int64(x))
	case float64:
		return Double(x)
	case string:
		return Text(x)
	case []byte:
		return Blob(x)
	case bool:
		return Bool(x)
	}
	return Null
}
