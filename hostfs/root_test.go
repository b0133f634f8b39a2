package hostfs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadInto(t *testing.T) {
	dir := t.TempDir()
	r := Dir(dir)
	var buf []byte
	for _, size := range []int{0, 10, 4095, 4096, 4097, 100000} {
		data := bytes.Repeat([]byte("x"), size)
		os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
		var err error
		buf, err = r.ReadInto("/f", buf)
		if err != nil || !bytes.Equal(buf, data) {
			t.Errorf("size %d: got %d bytes, %v", size, len(buf), err)
		}
	}
	if _, err := r.ReadInto("/missing", buf); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestPaths(t *testing.T) {
	r := Dir("/fixture")
	for in, want := range map[string]string{"/proc/1/stat": "/fixture/proc/1/stat", "/../../etc/passwd": "/fixture/etc/passwd", "etc": "/fixture/etc"} {
		if got := r.Path(in); got != filepath.FromSlash(want) {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
	if got := r.HostPath("/fixture/etc/passwd"); got != "/etc/passwd" {
		t.Errorf("HostPath = %q", got)
	}
	if !Live().IsLive() || r.IsLive() {
		t.Error("IsLive")
	}
}

func TestKernelFacts(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".kernel"), 0o755)
	os.WriteFile(filepath.Join(dir, ".kernel", "uname"), []byte("captured"), 0o644)
	called := false
	b, err := Dir(dir).Kernel("uname", func() ([]byte, error) { called = true; return nil, nil })
	if err != nil || string(b) != "captured" || called {
		t.Errorf("fixture root: %q %v, live called %v", b, err, called)
	}
}
