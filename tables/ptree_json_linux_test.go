package tables

import (
	"strings"
	"testing"
)

func TestPtreeJSONRoundTrip(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// The root is always written as an object, as boost does.
		{`["1", "2"]`, `{"":"1","":"2"}` + "\n"},
		{`{}`, `{}` + "\n"},
		{`[]`, `{}` + "\n"},
		// Scalars become strings; empty containers become "".
		{`{"a": 1.50, "b": true, "c": null, "d": [], "e": {}, "f": -0}`, `{"a":"1.50","b":"true","c":"null","d":"","e":"","f":"-0"}` + "\n"},
		// Nested arrays stay arrays; arrays of objects too.
		{`{"a": [[1, 2], {"x": "y"}]}`, `{"a":[["1","2"],{"x":"y"}]}` + "\n"},
		// A mixed node (array of "" keys inside an object with keys) is an object.
		{`{"k": {"a": 1, "b": [1]}}`, `{"k":{"a":"1","b":["1"]}}` + "\n"},
		// Duplicate keys are kept in order.
		{`{"a": 1, "a": 2}`, `{"a":"1","a":"2"}` + "\n"},
		// Escapes: "/" is escaped, control bytes become \u00XX, UTF-8 stays.
		{`{"s": "a/b\"c\\d\n\t\u0001é\u2014\u007f"}`, `{"s":"a\/b\"c\\d\n\t\u0001é—` + "\x7f" + `"}` + "\n"},
		{`{"k/\n": "v"}`, `{"k\/\n":"v"}` + "\n"},
	}
	for _, tt := range tests {
		n, err := parsePtreeJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("parsePtreeJSON(%s): %v", tt.in, err)
			continue
		}
		if got := n.writeJSON(); got != tt.want {
			t.Errorf("writeJSON(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePtreeJSONErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"a":}`, `{"a":1,}`, `[1,]`, `{} {}`, `{"a":1} x`, "{\"a\":\"\xff\"}", `// c` + "\n{}", strings.Repeat("[", 1000) + strings.Repeat("]", 1000)} {
		if _, err := parsePtreeJSON([]byte(in)); err == nil {
			t.Errorf("parsePtreeJSON(%q): no error", in)
		}
	}
}

func TestPtreeGet(t *testing.T) {
	n, err := parsePtreeJSON([]byte(`{"Background": {"persistent": false}, "name": "x", "list": ["a", {"b": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.getString("background.persistent", true, "?"); got != "false" {
		t.Errorf("case-insensitive get = %q", got)
	}
	if got := n.getString("background.persistent", false, "?"); got != "?" {
		t.Errorf("case-sensitive get = %q", got)
	}
	if got := n.getString("list", false, "?"); got != "" {
		t.Errorf("get of a list = %q, want \"\"", got)
	}
	if got := n.getString("name.x", false, "?"); got != "?" {
		t.Errorf("get below a scalar = %q", got)
	}
}

func FuzzParsePtreeJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":null}],"c":"d\/e"}`))
	f.Add([]byte(`[[[["x"]]]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parsePtreeJSON(b)
		if err != nil {
			return
		}
		out := n.writeJSON()
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("no newline: %q", out)
		}
		// What boost writes, boost reads back.
		if n.writable() {
			if _, err := parsePtreeJSON([]byte(out)); err != nil {
				t.Fatalf("writeJSON output %q does not parse: %v", out, err)
			}
		}
	})
}
