package sqlite

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/osaudit/osaudit/osquery"
)

// appendStringMap appends m as a JSON object with sorted keys, without
// reflection, into one buffer. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendStringMap(b []byte, m map[string]string, keys []string) ([]byte, []string) {
	keys = keys[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = osquery.AppendJSONString(b, k)
		b = append(b, ':')
		b = osquery.AppendJSONString(b, m[k])
	}
	return append(b, '}'), keys
}

// marshal encodes v for a JSON column.
func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode: %w", err)
	}
	return string(b), nil
}

// unmarshal decodes a JSON column; an empty or NULL column leaves v as is.
func unmarshal(s []byte, v any) error {
	if len(s) == 0 {
		return nil
	}
	if err := json.Unmarshal(s, v); err != nil {
		return fmt.Errorf("sqlite: decode: %w", err)
	}
	return nil
}

// int64s returns ids as a JSON array, never null (for json_each).
func int64s(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*6)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// jsonStrings returns ss as a JSON array for json_each, each mapped through
// fn when fn is not nil.
func jsonStrings(ss []string, fn func(string) string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if fn != nil {
			s = fn(s)
		}
		out[i] = s
	}
	b, _ := json.Marshal(out) // strings always marshal
	return string(b)
}

// clean returns s with each byte that is not part of valid UTF-8 replaced
// by U+FFFD, as encoding/json does. Agents' strings (inventory, result
// names, status lines, errors) go through it, so that every stored string
// is valid UTF-8 whatever the agent sent.
func clean(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
