package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "a?b#c%d.db")
	s, err := Open(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	t.Log(v, err)
	g, err := s.ConfigGeneration(ctx)
	t.Log(g, err)
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
