package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/osaudit/osaudit/osquery"
)

// Result columns are stored compactly: a group's data holds each row as a
// JSON array of its action and values, and result_keysets the JSON array
// of their (sorted) keys, once for all the rows of every query with those
// columns. A row of a processes query, ~330 bytes as a JSON object, is
// ~210 as values; the
// keys of a query's rows are the same row after row, so the encoder
// reuses the last key set of each query name instead of sorting the keys
// of every row.

// keyset is an interned, sorted list of column keys.
// Its keys are as stored (valid UTF-8).
type keyset struct {
	id   int64
	keys []string
}

// matches reports whether m has exactly ks's keys.
func (ks *keyset) matches(m map[string]string) bool {
	if len(m) != len(ks.keys) {
		return false
	}
	for _, k := range ks.keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// interner is the ingest goroutine's cache of interned result names and
// key sets. What a transaction interns is kept in the new* maps and joins
// the cache only if the transaction commits.
type interner struct {
	names, newNames     map[string]int64   // result name ids, by the name as sent
	keysets, newKeysets map[string]*keyset // key sets, by their keys' JSON
	last                map[int64]*keyset  // the last key set of each result name id
	keys                []string
	buf                 []byte
	data                []byte // a group's data, reused
}

func newInterner() *interner {
	return &interner{names: map[string]int64{}, newNames: map[string]int64{},
		keysets: map[string]*keyset{}, newKeysets: map[string]*keyset{}, last: map[int64]*keyset{}}
}

// begin and end bracket an ingest transaction.
func (in *interner) begin() {
	clear(in.newNames)
	clear(in.newKeysets)
}

func (in *interner) end(committed bool) {
	if committed {
		for k, id := range in.newNames {
			in.names[k] = id
		}
		for k, ks := range in.newKeysets {
			in.keysets[k] = ks
		}
	} else if len(in.newKeysets) > 0 {
		clear(in.last) // it may hold key sets that were rolled back
	}
	in.begin()
}

// nameID returns the id of a result name, interning it if new.
func (in *interner) nameID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	if id, ok := in.names[name]; ok {
		return id, nil
	}
	if id, ok := in.newNames[name]; ok {
		return id, nil
	}
	stored := clean(name)
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM result_names WHERE name = ?`, stored).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var res sql.Result
		if res, err = tx.ExecContext(ctx, `INSERT INTO result_names (name) VALUES (?)`, stored); err == nil {
			id, err = res.LastInsertId()
		}
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: result name %q: %w", stored, err)
	}
	in.newNames[name] = id
	return id, nil
}

// cleanKeys returns m, or a copy of it with its keys made valid UTF-8, so
// that key sets hold the keys exactly as stored. (Two keys that differ only
// in invalid bytes become one, as they would in encoding/json's output.)
func cleanKeys(m map[string]string) map[string]string {
	for k := range m {
		if !utf8.ValidString(k) {
			c := make(map[string]string, len(m))
			for k, v := range m {
				c[clean(k)] = v
			}
			return c
		}
	}
	return m
}

func appendKeysJSON(b []byte, keys []string) []byte {
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = osquery.AppendJSONString(b, k)
	}
	return append(b, ']')
}

// keysetOf returns the key set of m, a row of the query with name id
// nameID, and m with its keys as stored (see cleanKeys).
func (in *interner) keysetOf(ctx context.Context, tx *sql.Tx, nameID int64, m map[string]string) (*keyset, map[string]string, error) {
	ks := in.last[nameID]
	if ks != nil && ks.matches(m) {
		return ks, m, nil
	}
	m = cleanKeys(m)
	in.keys = in.keys[:0]
	for k := range m {
		in.keys = append(in.keys, k)
	}
	slices.Sort(in.keys)
	ks, err := in.keyset(ctx, tx, string(appendKeysJSON(in.buf[:0], in.keys)), in.keys)
	if err != nil {
		return nil, nil, err
	}
	in.last[nameID] = ks
	return ks, m, nil
}

// appendLine appends a group's row: a JSON array of its action and then
// the values of m (which has exactly ks's keys) in ks's order.
func appendLine(b []byte, ks *keyset, action string, m map[string]string) []byte {
	b = append(b, '[')
	b = osquery.AppendJSONString(b, action)
	for _, k := range ks.keys {
		b = append(b, ',')
		b = osquery.AppendJSONString(b, m[k])
	}
	return append(b, ']')
}

// keyset returns the key set with the given keys JSON, storing it if new.
func (in *interner) keyset(ctx context.Context, tx *sql.Tx, keysJSON string, keys []string) (*keyset, error) {
	if ks := in.keysets[keysJSON]; ks != nil {
		return ks, nil
	}
	if ks := in.newKeysets[keysJSON]; ks != nil {
		return ks, nil
	}
	ks := &keyset{keys: slices.Clone(keys)}
	err := tx.QueryRowContext(ctx, `SELECT id FROM result_keysets WHERE keys = ?`, keysJSON).Scan(&ks.id)
	if errors.Is(err, sql.ErrNoRows) {
		var res sql.Result
		if res, err = tx.ExecContext(ctx, `INSERT INTO result_keysets (keys) VALUES (?)`, keysJSON); err == nil {
			ks.id, err = res.LastInsertId()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: result columns: %w", err)
	}
	in.newKeysets[keysJSON] = ks
	return ks, nil
}

// keysetCache is the readers' cache of key sets by id. Key sets never
// change once stored, so entries never go stale.
type keysetCache struct {
	mu   sync.RWMutex
	keys map[int64][]string
}

// keysOf returns the keys of a key set.
func (s *Store) keysOf(ctx context.Context, keysetID int64) ([]string, error) {
	s.keysets.mu.RLock()
	keys, ok := s.keysets.keys[keysetID]
	s.keysets.mu.RUnlock()
	if ok {
		return keys, nil
	}
	var raw []byte
	if err := s.r.QueryRowContext(ctx, `SELECT keys FROM result_keysets WHERE id = ?`, keysetID).Scan(&raw); err != nil {
		return nil, fmt.Errorf("sqlite: result key set %d: %w", keysetID, err)
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("sqlite: result key set %d: %w", keysetID, err)
	}
	s.keysets.mu.Lock()
	if s.keysets.keys == nil {
		s.keysets.keys = map[int64][]string{}
	}
	s.keysets.keys[keysetID] = keys
	s.keysets.mu.Unlock()
	return keys, nil
}

// groupLine is a stored row of a group: its action and column values.
type groupLine struct {
	action string
	values []string
}

// decodeGroup splits a group's data into its rows, each with as many
// values as the group's key set has keys. The data is as appendLine wrote
// it (arrays of strings, no spaces); anything else is an error.
func decodeGroup(data []byte, nkeys int) ([]groupLine, error) {
	var lines []groupLine
	i := 0
	bad := func(what string) ([]groupLine, error) {
		return nil, fmt.Errorf("sqlite: result rows: %s at byte %d of %d", what, i, len(data))
	}
	expect := func(c byte) bool {
		if i < len(data) && data[i] == c {
			i++
			return true
		}
		return false
	}
	if !expect('[') {
		return bad("not an array")
	}
	for !expect(']') {
		if len(lines) > 0 && !expect(',') || !expect('[') {
			return bad("not an array of arrays")
		}
		strs := make([]string, 0, min(max(nkeys+1, 1), 1024))
		for !expect(']') {
			if len(strs) > 0 && !expect(',') {
				return bad("missing comma")
			}
			str, n, ok := jsonString(data[i:])
			if !ok {
				return bad("not a string")
			}
			strs = append(strs, str)
			i += n
		}
		if len(strs) != nkeys+1 {
			return nil, fmt.Errorf("sqlite: result rows: %d values for %d keys", len(strs)-1, nkeys)
		}
		lines = append(lines, groupLine{action: strs[0], values: strs[1:]})
	}
	if i != len(data) {
		return bad("trailing data")
	}
	return lines, nil
}

// jsonString decodes the JSON string at the start of b and returns it and
// its length in b.
func jsonString(b []byte) (string, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", 0, false
	}
	escaped := false
	for j := 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++ // the escaped byte
		case '"':
			if !escaped {
				return string(b[1:j]), j + 1, true
			}
			var s string
			if json.Unmarshal(b[:j+1], &s) != nil {
				return "", 0, false
			}
			return s, j + 1, true
		}
	}
	return "", 0, false
}

// columnsMap makes a row's columns map from its key set's keys and values.
func columnsMap(keys, values []string) map[string]string {
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		m[k] = values[i]
	}
	return m
}
