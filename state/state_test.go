package state

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/diff"
	"github.com/osaudit/osaudit/osquery"
)

func TestCommitCursorTrim(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != filepath.Join(dir, FileName) {
		t.Errorf("path %s", db.Path())
	}
	st, err := db.QueryState(ctx, "q")
	if err != nil || st.Known {
		t.Fatalf("unknown query: %+v %v", st, err)
	}
	next := &diff.State{Rows: []osquery.Row{{"a": "1"}}, Epoch: 2, Counter: 3, Known: true}
	lines := []Line{{KindResult, []byte("r1")}, {KindSnapshot, []byte("s1")}, {KindStatus, []byte("x")}}
	if _, err := db.Commit(ctx, "q", next, lines, 0); err != nil {
		t.Fatal(err)
	}
	st, _ = db.QueryState(ctx, "q")
	if diff := cmp.Diff(*next, st); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	got, _ := db.Pending(ctx, 0, 10)
	if len(got) != 3 || string(got[1].Data) != "s1" || got[1].Kind != KindSnapshot {
		t.Errorf("pending %+v", got)
	}
	db.SetCursor(ctx, "a", Cursor{ID: got[1].ID, Offsets: map[string]int64{"f": 7}})
	db.SetCursor(ctx, "b", Cursor{ID: got[0].ID})
	if err := db.Trim(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.BufferDepth(ctx); n != 2 {
		t.Errorf("after trim: %d lines, want the 2 that b has not delivered", n)
	}
	c, _ := db.Cursor(ctx, "a")
	if c.Offsets["f"] != 7 {
		t.Errorf("cursor %+v", c)
	}
	db.Close()
	// Everything survives a reopen.
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, _ := db.QueryState(ctx, "q"); st.Counter != 3 {
		t.Errorf("state lost on reopen: %+v", st)
	}
}

func TestDropOldest(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	total := 0
	for i := range 5 {
		dropped, err := db.Commit(ctx, "", nil, []Line{{KindResult, []byte{byte('a' + i)}}, {KindResult, []byte{byte('A' + i)}}}, 4)
		if err != nil {
			t.Fatal(err)
		}
		total += dropped
	}
	got, _ := db.Pending(ctx, 0, 10)
	if total != 6 || len(got) != 4 || string(got[0].Data) != "d" {
		t.Errorf("dropped %d, kept %d starting %q", total, len(got), got[0].Data)
	}
}

func TestKV(t *testing.T) {
	ctx := context.Background()
	db, _ := Open(filepath.Join(t.TempDir(), "kv.db"))
	defer db.Close()
	if _, ok, _ := db.Get(ctx, "k"); ok {
		t.Error("missing key found")
	}
	db.Put(ctx, "k", []byte("v1"))
	db.Put(ctx, "k", []byte("v2"))
	if v, ok, _ := db.Get(ctx, "k"); !ok || string(v) != "v2" {
		t.Errorf("got %q", v)
	}
	db.Delete(ctx, "k")
	if _, ok, _ := db.Get(ctx, "k"); ok {
		t.Error("deleted key found")
	}
}
