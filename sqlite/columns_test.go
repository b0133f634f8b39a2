package sqlite

import (
	"context"
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
		if keysetID, _, err = in.columns(ctx, tx, nameID, cols); err != nil {
			t.Fatal(err)
		}
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
