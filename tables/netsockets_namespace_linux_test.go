package tables

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// TestCollectProcSocketsNamespaces builds a host with two network
// namespaces: pids 1, 9, 10 and 30 share the host one (the ns links of 1
// and 30 are unreadable, so they count as namespace 0), pid 20 lives in a
// container's.
func TestCollectProcSocketsNamespaces(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(rel, target string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	const hdr = "  sl  local_address rem_address   st\n"
	host := hdr + "   0: 00000000:0016 00000000:0000 0A 0 0 0 0 0 100 1\n" +
		"   1: 0100007F:0277 00000000:0000 0A 0 0 0 0 0 101 1\n"
	container := hdr + "   0: 00000000:1F90 00000000:0000 0A 0 0 0 0 0 200 1\n"
	// pid 30 is read first (pids sorted as text: "10" < "20" < "30" < "9").
	mk("proc/10/net/tcp", host)
	mk("proc/30/net/tcp", host)
	mk("proc/20/net/tcp", container)
	mk("proc/9/net/tcp", host)
	mk("proc/1/net/tcp", host) // read first, as namespace 0: later upgraded
	ln("proc/10/ns/net", "net:[4026531840]")
	ln("proc/20/ns/net", "net:[4026532500]")
	ln("proc/9/ns/net", "net:[4026531840]")
	ln("proc/10/fd/3", "socket:[100]")
	ln("proc/20/fd/5", "socket:[200]")
	ln("proc/30/fd/4", "socket:[101]")
	ln("proc/9/fd/7", "socket:[100]") // shared with pid 10: the last in text order wins

	tb, _ := table.Lookup("process_open_sockets")
	q := table.NewQuery(context.Background(), hostfs.Dir(dir), nil, tb, ^uint64(0), nil)
	type row struct {
		PID, FD int64
		Inode   uint64
		NS      uint64
	}
	summarize := func(rows []procSocketRow) []row {
		var out []row
		for _, r := range rows {
			out = append(out, row{r.pid, r.fd, r.inode, r.netNS})
		}
		return out
	}

	got := summarize(collectProcSockets(q, []int64{1, 9, 10, 20, 30}, false))
	want := []row{{9, 7, 100, 4026531840}, {30, 4, 101, 4026531840}, {20, 5, 200, 4026532500}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("all processes (-want +got):\n%s", diff)
	}

	// With a pid filter only that process's sockets are reported, from the
	// namespace it sees.
	got = summarize(collectProcSockets(q, []int64{20}, true))
	if diff := cmp.Diff([]row{{20, 5, 200, 4026532500}}, got); diff != "" {
		t.Errorf("pid 20 (-want +got):\n%s", diff)
	}
	// A process whose namespace is unreadable reports namespace 0, as osquery.
	got = summarize(collectProcSockets(q, []int64{30}, true))
	if diff := cmp.Diff([]row{{30, 4, 101, 0}}, got); diff != "" {
		t.Errorf("pid 30 (-want +got):\n%s", diff)
	}
}
