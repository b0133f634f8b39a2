package tables

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name, in string
		want     procStat
		wantErr  bool
	}{
		{"plain", "412 (sshd) S 1 412 412 0 -1 4194560 1000 200 10 2 10 5 0 0 20 0 1 0 1500 15360000 2250 18446744073709551615\n",
			procStat{name: "sshd", state: "S", parent: 1, pgroup: 412, utime: 10, stime: 5, nice: 0, threads: 1, starttime: 1500}, false},
		{"name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 -5 2 0 99 0 0",
			procStat{name: "a (b) c", state: "R", parent: 1, pgroup: 7, utime: 3, stime: 4, nice: -5, threads: 2, starttime: 99}, false},
		{"newline in name is escaped as in status", "8 (x\ny) S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0",
			procStat{name: `x\ny`, state: "S", parent: 1, pgroup: 8, threads: 1, starttime: 1}, false},
		{"truncated", "1400 (trunc) S 1 1400\n", procStat{}, true},
		{"no parentheses", "1 init S 0", procStat{}, true},
		{"empty", "", procStat{}, true},
		{"non-numeric field", "1 (x) S one 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", procStat{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	in := "Name:\tbash\nUmask:\t0022\nUid:\t1000\t1001\t1002\t1003\nGid:\t10\t11\t12\t13\nVmSize:\t    9100 kB\nVmRSS:\t    5200 kB\nbroken line\nUid:\tx\n"
	got := parseProcStatus([]byte(in))
	want := procStatus{name: "bash", uids: nil, gids: []int64{10, 11, 12, 13}, rss: 5200 * 1024, vsize: 9100 * 1024}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(procStatus{})); diff != "" {
		t.Errorf("a malformed later Uid line clears the ids (-want +got):\n%s", diff)
	}
	kthread := parseProcStatus([]byte("Name:\tkthreadd\nUid:\t0\t0\t0\t0\n"))
	if kthread.rss != -1 || kthread.vsize != -1 || len(kthread.uids) != 4 {
		t.Errorf("kernel thread: %+v", kthread)
	}
	if got := parseKB([]byte(" 12 MB")); got != -1 {
		t.Errorf("parseKB with another unit = %d", got)
	}
}

func TestProcSmallParsers(t *testing.T) {
	if got := joinCmdline([]byte("/bin/sh\x00-c\x00echo hi\x00")); got != "/bin/sh -c echo hi" {
		t.Errorf("joinCmdline = %q", got)
	}
	read, written := parseProcIO([]byte("rchar: 1\nread_bytes: 4096\nwrite_bytes: 1024\ncancelled_write_bytes: 512\nbad\n"))
	if read != 4096 || written != 512 {
		t.Errorf("parseProcIO = %d, %d", read, written)
	}
	if r, w := parseProcIO([]byte("garbage")); r != -1 || w != -1 {
		t.Errorf("parseProcIO(garbage) = %d, %d", r, w)
	}
	for in, want := range map[string]string{"0::/user.slice\n": "/user.slice", "2:cpu,cpuacct:/a:b\n1:x:/y\n": "/a:b", "nonsense": "", "": ""} {
		if got := parseProcCgroup([]byte(in)); got != want {
			t.Errorf("parseProcCgroup(%q) = %q, want %q", in, got, want)
		}
	}
	if b, err := parseBootTime(strings.NewReader("cpu 1 2 3\nbtime 1768460400\n")); err != nil || b != 1768460400 {
		t.Errorf("parseBootTime = %d, %v", b, err)
	}
	if _, err := parseBootTime(strings.NewReader("cpu 1\n")); err == nil {
		t.Error("parseBootTime without btime succeeded")
	}
	if ino, ok := mappedInode([]byte("55d-56 r-xp 00000000 fd:01 123456 /tmp/evil (deleted)\n"), "/tmp/evil (deleted)"); !ok || ino != 123456 {
		t.Errorf("mappedInode = %d, %v", ino, ok)
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("412 (sshd) S 1 412 412 0 -1 4194560 1000 200 10 2 10 5 0 0 20 0 1 0 1500 15360000 2250"))
	f.Add([]byte("1 ((() S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcStat(b)
		parseProcStatus(b)
		parseProcIO(b)
		parseProcCgroup(b)
		joinCmdline(b)
	})
}

// traceRoot counts the /proc/<pid> entries a query touches.
func traceRoot(t *testing.T) (*hostfs.Root, func() map[string]int) {
	var mu sync.Mutex
	seen := map[string]int{}
	root := hostfs.Dir(filepath.Join("testdata", "hosts", "debian12"), hostfs.WithTrace(func(op, p string) {
		mu.Lock()
		defer mu.Unlock()
		seen[op+" "+p]++
	}))
	return root, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = v
		}
		for k := range seen {
			delete(seen, k)
		}
		return out
	}
}

func runProcesses(t *testing.T, root *hostfs.Root, used []string, cons []table.Constraint) int {
	t.Helper()
	tb, _ := table.Lookup("processes")
	if err := tb.Validate(); err != nil {
		t.Fatal(err)
	}
	var mask uint64
	for _, c := range used {
		i, _ := tb.ColumnIndex(c)
		mask |= 1 << i
	}
	q := table.NewQuery(context.Background(), root, nil, tb, mask, cons)
	n := 0
	if err := tb.Generate(q, func(table.Row) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProcessesReadsOnlyWhatItNeeds proves the pushdown and the
// column-driven reads on the processes table itself.
func TestProcessesReadsOnlyWhatItNeeds(t *testing.T) {
	root, accesses := traceRoot(t)
	pid := func(v int64) table.Constraint { return table.Constraint{Column: 0, Op: table.EQ, Value: table.Int(v)} }

	if n := runProcesses(t, root, []string{"pid", "name"}, []table.Constraint{pid(1)}); n != 1 {
		t.Fatalf("pid = 1 gave %d rows", n)
	}
	got := accesses()
	for k := range got {
		if strings.Contains(k, "/proc/") && !strings.HasPrefix(strings.Fields(k)[1], "/proc/1/") && strings.Fields(k)[1] != "/proc/1" {
			t.Errorf("pid = 1 touched %s", k)
		}
	}
	if diff := cmp.Diff(map[string]int{"stat /proc/1": 1, "open /proc/1/stat": 1}, got); diff != "" {
		t.Errorf("SELECT pid, name ... WHERE pid = 1 reads (-want +got):\n%s", diff)
	}

	runProcesses(t, root, []string{"pid", "uid", "resident_size", "cmdline"}, []table.Constraint{pid(412)})
	if diff := cmp.Diff(map[string]int{"stat /proc/412": 1, "open /proc/412/status": 1, "open /proc/412/cmdline": 1}, accesses()); diff != "" {
		t.Errorf("narrow columns read (-want +got):\n%s", diff)
	}

	// IN (1, 2) reaches the table as one value per call.
	n := runProcesses(t, root, []string{"pid"}, []table.Constraint{pid(1)}) + runProcesses(t, root, []string{"pid"}, []table.Constraint{pid(2)})
	if n != 2 {
		t.Errorf("two lookups gave %d rows", n)
	}
	if got := accesses(); len(got) != 2 {
		t.Errorf("two lookups touched %v", got)
	}

	// A pid that does not exist reads nothing else.
	if n := runProcesses(t, root, nil, []table.Constraint{pid(99999)}); n != 0 {
		t.Errorf("missing pid gave %d rows", n)
	}
}
