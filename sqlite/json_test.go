package sqlite

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/osaudit/osaudit/osquery"
)

// FuzzClean checks that clean, which the store applies to agents' strings,
// agrees with the JSON encoder it applies to columns: both turn each byte
// outside valid UTF-8 into U+FFFD, so a value reads back the same whether
// it was stored as a string or inside JSON.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "a", "\x00\xff", "é\u2028", `"\`, "\xed\xa0\x80", "\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := clean(s)
		if !utf8.ValidString(got) || utf8.ValidString(s) && got != s {
			t.Fatalf("clean(%q) = %q", s, got)
		}
		var decoded string
		if err := json.Unmarshal(osquery.AppendJSONString(nil, s), &decoded); err != nil {
			t.Fatal(err)
		}
		if decoded != got {
			t.Fatalf("clean(%q) = %q, but the JSON encoder stores %q", s, got, decoded)
		}
	})
}
