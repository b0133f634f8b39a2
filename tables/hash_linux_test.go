package tables

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/hostfs"
)

func TestHashFileDigests(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "abc"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root := hostfs.Dir(dir)
	buf := make([]byte, 2) // tiny, to exercise the streaming loop
	tests := []struct {
		path string
		want [3]string
	}{
		{"/abc", [3]string{"900150983cd24fb0d6963f7d28e17f72", "a9993e364706816aba3e25717850c26c9cd0d89d", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}},
		{"/empty", [3]string{"d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
	}
	for _, tt := range tests {
		got, err := hashFileDigests(context.Background(), root, tt.path, buf)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.path, got, tt.want)
		}
	}
	if _, err := hashFileDigests(context.Background(), root, "/missing", buf); err == nil {
		t.Error("hashing a missing file succeeded")
	}
}

// endlessReader is a pseudo-file that reports no size and never ends.
type endlessReader struct{}

func (endlessReader) Read(p []byte) (int, error) { return len(p), nil }

func TestHashCopyLimits(t *testing.T) {
	buf := make([]byte, 4096)
	if _, err := hashCopy(context.Background(), io.Discard, endlessReader{}, buf, 1<<20); !errors.Is(err, errHashTooLarge) {
		t.Errorf("endless input: err = %v, want errHashTooLarge", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := hashCopy(ctx, io.Discard, endlessReader{}, buf, 1<<40); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	var out bytes.Buffer
	n, err := hashCopy(context.Background(), &out, strings.NewReader("hello"), buf, 5)
	if err != nil || n != 5 || out.String() != "hello" {
		t.Errorf("exactly at the limit: n=%d err=%v out=%q", n, err, out.String())
	}
}
