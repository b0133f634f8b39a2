package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/storetest"
)

func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "osaudit.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) osaudit.Store { return openTemp(t, Options{}) })
}

// TestStoreOneReader runs the suite with a single read connection: no
// method may hold one read connection while it waits for another.
func TestStoreOneReader(t *testing.T) {
	if testing.Short() {
		t.Skip("the suite runs once in short mode")
	}
	storetest.Run(t, func(t *testing.T) osaudit.Store { return openTemp(t, Options{ReadConns: 1}) })
}

func TestPathEscaping(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a?b#c%d e.db")
	s, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(p); err != nil {
		ents, _ := os.ReadDir(dir)
		t.Fatalf("database not at %s: %v (dir has %v)", p, err, ents)
	}
}
