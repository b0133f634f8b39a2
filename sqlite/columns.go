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

// Result columns are stored compactly: the row holds a JSON array of the
// values, and result_keysets the JSON array of their (sorted) keys, once
// for all the rows of every query with those columns. A row of a
// processes query, ~330 bytes as a JSON object, is ~210 as values; the
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

// columns returns the key set id and the values JSON of m, for a row of
// the query with name id nameID.
func (in *interner) columns(ctx context.Context, tx *sql.Tx, nameID int64, m map[string]string) (int64, string, error) {
	ks := in.last[nameID]
	if ks == nil || !ks.matches(m) {
		m = cleanKeys(m)
		in.keys = in.keys[:0]
		for k := range m {
			in.keys = append(in.keys, k)
		}
		slices.Sort(in.keys)
		var err error
		if ks, err = in.keyset(ctx, tx, string(appendKeysJSON(in.buf[:0], in.keys)), in.keys); err != nil {
			return 0, "", err
		}
		in.last[nameID] = ks
	}
	in.buf = append(in.buf[:0], '[')
	for i, k := range ks.keys {
		if i > 0 {
			in.buf = append(in.buf, ',')
		}
		in.buf = osquery.AppendJSONString(in.buf, m[k])
	}
	in.buf = append(in.buf, ']')
	return ks.id, string(in.buf), nil
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

// decode rebuilds a row's columns from its key set id and values.
func (s *Store) decodeColumns(ctx context.Context, keysetID int64, values []byte) (map[string]string, error) {
	s.keysets.mu.RLock()
	keys, ok := s.keysets.keys[keysetID]
	s.keysets.mu.RUnlock()
	if !ok {
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
	}
	var vals []string
	if err := json.Unmarshal(values, &vals); err != nil {
		return nil, fmt.Errorf("sqlite: result columns: %w", err)
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("sqlite: result columns: %d values for %d keys", len(vals), len(keys))
	}
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m, nil
}
