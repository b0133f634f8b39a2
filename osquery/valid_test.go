package osquery

import (
	"encoding/json"
	"strings"
	"testing"
)

var validSeeds = []string{
	``, ` `, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-`, `1e`, `-1.5e-10`, `123abc`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `"`, `""`, `"\"`, `"\u00e9"`, `"\u00g9"`, `"\u12"`, `"\x"`, `"a` + "\x01" + `"`,
	"\"\xff\xfe\"", `"\/\b\f\n\r\t"`, `{}`, `{ }`, `[]`, `[ ]`, `{"a":1}`, `{"a" : 1 , "b":[1,2,{}]}`, `{"a":}`, `{"a"}`, `{1:2}`,
	`{"a":1,}`, `[1,]`, `[,1]`, `[1 2]`, `{"a":1 "b":2}`, `[[[]]]`, `[[[]]`, `]`, `}`, `[}`, `{]`, ` [1] `, `[1] x`, `[1]]`,
	"\t\n\r[1]\r\n", "\v[1]", `{"node_key":"k","log_type":"result","data":[{"name":"a","columns":{"a":"b"}}]}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "{}" + strings.Repeat("}", 10000), strings.Repeat(`{"a":`, 9999) + "{}" + strings.Repeat("}", 9999),
}

func TestValidJSON(t *testing.T) {
	for _, s := range validSeeds {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%.40q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

// FuzzValidJSON checks that validJSON agrees with encoding/json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}
