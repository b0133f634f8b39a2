package sqlite

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"é✓𝄞", `"é✓𝄞"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"a\xffb", `"a\ufffdb"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
	} {
		if got := string(appendString(nil, tc.in)); got != tc.want {
			t.Errorf("appendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzAppendString checks that the hot-path JSON encoder agrees with
// encoding/json: what it writes decodes to clean(s), and clean(s) is
// valid UTF-8 equal to s when s was.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\x00\xff", "é\u2028", `"\`, "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, b, err)
		}
		if want := clean(s); got != want {
			t.Fatalf("appendString(%q) decodes to %q, want %q", s, got, want)
		}
		if !utf8.ValidString(got) || utf8.ValidString(s) && got != s {
			t.Fatalf("clean(%q) = %q", s, got)
		}
		m, _ := json.Marshal(s)
		var viaStd string
		json.Unmarshal(m, &viaStd)
		if viaStd != got {
			t.Fatalf("encoding/json gives %q, appendString %q", viaStd, got)
		}
	})
}
