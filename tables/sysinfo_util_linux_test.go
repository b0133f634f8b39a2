package tables

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// sysWriteTree writes files (host path -> content) under a new temporary
// directory and returns it.
func sysWriteTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sysQuery runs sql on a fixture root and returns the rows as maps of
// column name to value (NULL as nil).
func sysQuery(t *testing.T, root *hostfs.Root, sql string) []map[string]any {
	t.Helper()
	e, err := engine.New(root, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cols, rows, err := e.QueryAll(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []map[string]any
	for _, r := range rows {
		m := map[string]any{}
		for i, c := range cols {
			v := r[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			m[c] = v
		}
		out = append(out, m)
	}
	return out
}

// sysRoot returns a fixture root over dir at the golden clock.
func sysRoot(dir string, opts ...hostfs.Option) *hostfs.Root {
	clock := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	return hostfs.Dir(dir, append([]hostfs.Option{hostfs.WithClock(func() time.Time { return clock })}, opts...)...)
}

func TestSysSplit(t *testing.T) {
	tests := []struct {
		s, delims string
		want      []string
	}{
		{"a b  c", " ", []string{"a", "b", "c"}},
		{" a = b ", "=", []string{"a", "b"}},
		{"a= ", "=", []string{"a", ""}}, // whitespace piece kept, then trimmed
		{"a=", "=", []string{"a"}},
		{"", " ", nil},
		{"x\ny\n\n", "\n", []string{"x", "y"}},
		{"a:b;c", ":;", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, sysSplit(tt.s, tt.delims)); diff != "" {
			t.Errorf("sysSplit(%q, %q) (-want +got):\n%s", tt.s, tt.delims, diff)
		}
	}
}

func TestSysSplitN(t *testing.T) {
	tests := []struct {
		s    string
		d    byte
		n    int
		want []string
	}{
		{`KEY="a=b"`, '=', 1, []string{"KEY", `"a=b"`}},
		{"A==b", '=', 1, []string{"A", "b"}},
		{"1.2.3.4", '.', 2, []string{"1", "2", "3.4"}},
		{"12", '.', 2, []string{"12"}},
		{"", '.', 2, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, sysSplitN(tt.s, tt.d, tt.n)); diff != "" {
			t.Errorf("sysSplitN(%q) (-want +got):\n%s", tt.s, diff)
		}
	}
}

func TestSysStrtoll(t *testing.T) {
	tests := []struct {
		s    string
		want int64
		ok   bool
	}{
		{"12", 12, true},
		{" 12", 12, true},
		{"04", 4, true},
		{"08", 0, false},
		{"0x1f", 31, true},
		{"0x", 0, false},
		{"-5", -5, true},
		{"+5", 5, true},
		{"", 0, false},
		{"-", 0, false},
		{"12 ", 0, false},
		{"2600.000", 0, false},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", -9223372036854775808, true},
		{"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := sysStrtoll(tt.s)
		if got != tt.want || ok != tt.ok {
			t.Errorf("sysStrtoll(%q) = %d, %v; want %d, %v", tt.s, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSysTrimAll(t *testing.T) {
	tests := map[string]string{
		"  CentOS  release 6.10\t(Final)\n\n": "CentOS release 6.10\t(Final)",
		"a\n\nb":                              "a\nb",
		"":                                    "",
	}
	for in, want := range tests {
		if got := sysTrimAll(in); got != want {
			t.Errorf("sysTrimAll(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSysStrtoll(f *testing.F) {
	for _, s := range []string{"12", "0x1f", "-08", " +7", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sysStrtoll(s)
		sysSplit(s, " =")
		sysSplitN(s, '.', 2)
		sysTrimAll(s)
	})
}
