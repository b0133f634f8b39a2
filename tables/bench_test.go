package tables_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// benchHost builds a fixture host with n processes, copies of the
// debian12 fixture's bash process, so benchmarks see a realistic /proc.
func benchHost(b *testing.B, n int) *hostfs.Root {
	b.Helper()
	dir := b.TempDir()
	src := filepath.Join("testdata", "hosts", "debian12")
	for _, f := range []string{"etc/passwd", "etc/group", "proc/stat", "usr/bin/bash"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			b.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	for i := range n {
		pid := 1000 + i
		pdir := filepath.Join(dir, "proc", fmt.Sprint(pid))
		os.MkdirAll(pdir, 0o755)
		for _, f := range []string{"status", "cmdline", "io", "cgroup", "environ"} {
			data, _ := os.ReadFile(filepath.Join(src, "proc", "1234", f))
			os.WriteFile(filepath.Join(pdir, f), data, 0o644)
		}
		stat := fmt.Sprintf("%d (bash) S 412 %d %d 0 -1 4194560 1000 200 10 2 4 2 0 0 20 0 1 0 250000 9318400 1300 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0\n", pid, pid, pid)
		os.WriteFile(filepath.Join(pdir, "stat"), []byte(stat), 0o644)
		for link, target := range map[string]string{"exe": "/usr/bin/bash", "cwd": "/home/alice", "root": "/"} {
			os.Symlink(target, filepath.Join(pdir, link))
		}
	}
	return hostfs.Dir(dir, hostfs.WithUID(fixtureUID))
}

func benchQuery(b *testing.B, root *hostfs.Root, sql string, wantRows int) {
	e, err := engine.New(root, engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := e.Query(ctx, sql)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Next() {
			n++
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
		r.Close()
		if n != wantRows {
			b.Fatalf("%d rows, want %d", n, wantRows)
		}
	}
}

// BenchmarkProcessesScan is SELECT * over 500 processes.
func BenchmarkProcessesScan(b *testing.B) {
	benchQuery(b, benchHost(b, 500), "SELECT * FROM processes", 500)
}

// BenchmarkProcessesNarrow reads only what ps -eo pid,ppid,uid,rss,vsz,lstart,args needs.
func BenchmarkProcessesNarrow(b *testing.B) {
	benchQuery(b, benchHost(b, 500), "SELECT pid, parent, uid, resident_size, total_size, start_time, cmdline FROM processes", 500)
}

// BenchmarkProcessesPidLookup reads one process by pid.
func BenchmarkProcessesPidLookup(b *testing.B) {
	benchQuery(b, benchHost(b, 500), "SELECT * FROM processes WHERE pid = 1250", 1)
}

// BenchmarkProcessesSelfJoin joins every process to its parent.
func BenchmarkProcessesSelfJoin(b *testing.B) {
	benchQuery(b, benchHost(b, 500), "SELECT c.pid, p.name FROM processes c JOIN processes p ON p.pid = c.pgroup", 500)
}
