package sqlite

import (
	"context"
	"slices"
	"testing"
)

// TestInternerRollback checks that names and key sets interned in a
// transaction that rolls back are not cached: the next transaction must
// store them again.
func TestInternerRollback(t *testing.T) {
	s := openTemp(t, Options{})
	defer s.Close()
	ctx := context.Background()
	in := newInterner()
	cols := map[string]string{"pid": "1", "name": "init"}
	attempt := func(commit bool) (nameID, keysetID int64) {
		t.Helper()
		in.begin()
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if nameID, err = in.nameID(ctx, tx, "pack/p/q"); err != nil {
			t.Fatal(err)
		}
		ks, _, err := in.keysetOf(ctx, tx, nameID, cols)
		if err != nil {
			t.Fatal(err)
		}
		keysetID = ks.id
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
		in.end(commit)
		return nameID, keysetID
	}
	attempt(false)
	if len(in.names) != 0 || len(in.keysets) != 0 || len(in.last) != 0 {
		t.Fatalf("rolled-back names or key sets cached: %v %v %v", in.names, in.keysets, in.last)
	}
	nameID, keysetID := attempt(true)
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM result_names WHERE id = ?`, nameID).Scan(&n); err != nil || n != 1 {
		t.Errorf("name %d not stored after commit: %d, %v", nameID, n, err)
	}
	var keys string
	if err := s.w.QueryRowContext(ctx, `SELECT keys FROM result_keysets WHERE id = ?`, keysetID).Scan(&keys); err != nil || keys != `["name","pid"]` {
		t.Errorf("key set %d: %q, %v", keysetID, keys, err)
	}
	if in.names["pack/p/q"] != nameID || in.last[nameID] == nil || in.last[nameID].id != keysetID {
		t.Errorf("committed name and key set not cached")
	}
}

func TestDecodeGroup(t *testing.T) {
	ks := &keyset{keys: []string{"name", "pid"}}
	var data []byte
	data = append(data, '[')
	data = appendLine(data, ks, "added", map[string]string{"name": "a\"b\\c\n\u00e9\U0001F600", "pid": ""})
	data = append(data, ',')
	data = appendLine(data, ks, "removed", map[string]string{"name": "x", "pid": "2"})
	data = append(data, ']')
	lines, err := decodeGroup(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []groupLine{{"added", []string{"a\"b\\c\n\u00e9\U0001F600", ""}}, {"removed", []string{"x", "2"}}}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i := range want {
		if lines[i].action != want[i].action || !slices.Equal(lines[i].values, want[i].values) {
			t.Errorf("line %d: %q, want %q", i, lines[i], want[i])
		}
	}
	for _, bad := range []string{``, `[`, `[[`, `[["a","b"]`, `[["a","b","c"]]x`, `[["a" ,"b","c"]]`, `[["a","b"]]`,
		`[["a","b","c","d"]]`, `[["a","b",3]]`, `[["a","b","c\"]]`, `{}`, `[["a","b","c"],]`, `[["a","b","c"]["a","b","c"]]`} {
		if _, err := decodeGroup([]byte(bad), 2); err == nil {
			t.Errorf("decodeGroup(%s) succeeded", bad)
		}
	}
	if lines, err := decodeGroup([]byte(`[]`), 2); err != nil || len(lines) != 0 {
		t.Errorf("empty group: %v, %v", lines, err)
	}
}

func FuzzDecodeGroup(f *testing.F) {
	f.Add([]byte(`[["added","1","x"]]`), 2)
	f.Add([]byte(`[["added","\u00e9\"",""],["removed","a","b"]]`), 2)
	f.Fuzz(func(t *testing.T, data []byte, nkeys int) {
		lines, err := decodeGroup(data, nkeys)
		if err != nil {
			return
		}
		for _, l := range lines {
			if len(l.values) != nkeys {
				t.Fatalf("%d values, want %d", len(l.values), nkeys)
			}
		}
	})
}
