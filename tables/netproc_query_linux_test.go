package tables_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// tracedProcQuery runs a query on the debian12 fixture and returns its rows
// (as text) and the host paths it touched.
func tracedProcQuery(t *testing.T, q string) (rows []string, paths []string) {
	t.Helper()
	var mu sync.Mutex
	root := fixtureRoot("debian12", hostfs.WithTrace(func(op, p string) {
		mu.Lock()
		paths = append(paths, p)
		mu.Unlock()
	}))
	e, err := engine.New(root, engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, res, err := e.QueryAll(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for _, r := range res {
		var cells []string
		for _, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			cells = append(cells, fmt.Sprint(v))
		}
		rows = append(rows, strings.Join(cells, " "))
	}
	sort.Strings(rows)
	return rows, paths
}

var procPIDPathRE = regexp.MustCompile(`^/proc/(\d+)/`)

// procPIDsTouched lists the pids whose /proc/<pid>/ entries a query read.
func procPIDsTouched(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if m := procPIDPathRE.FindStringSubmatch(p); m != nil && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

func TestProcessTablesReadOnlyConstrainedPID(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{
			"SELECT pid, fd, socket, state FROM process_open_sockets WHERE pid = 1300",
			[]string{"1300 3 21877 ESTABLISHED", "1300 7 21895 "},
		},
		{
			"SELECT pid, fd, socket, local_port FROM process_open_sockets WHERE pid IN (412, 1301) AND family = 2",
			[]string{"1301 3 22010 8080", "412 3 17230 22"},
		},
		{
			"SELECT pid, fd, path FROM process_open_files WHERE pid = 1300",
			[]string{"1300 0 /dev/pts/0", "1300 1 /dev/pts/0", "1300 2 /dev/pts/0", "1300 4 /tmp/.evil.log (deleted)", "1300 8 /memfd:payload (deleted)"},
		},
		{
			"SELECT pid, key, value FROM process_envs WHERE pid = 412",
			[]string{"412 LANG C.UTF-8", "412 PATH /usr/sbin:/usr/bin"},
		},
		{
			"SELECT pid, path FROM process_memory_map WHERE pid = 1301 AND pseudo = 1",
			[]string{"1301 [heap]", "1301 [stack]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rows, paths := tracedProcQuery(t, tt.query)
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			var wantPIDs []string
			for _, r := range tt.want {
				wantPIDs = append(wantPIDs, strings.Fields(r)[0])
			}
			sort.Strings(wantPIDs)
			if diff := cmp.Diff(uniqueSortedStrings(wantPIDs), procPIDsTouched(paths)); diff != "" {
				t.Errorf("pids read (-want +got):\n%s", diff)
			}
		})
	}
}

func uniqueSortedStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// A pid of -1 asks for the sockets no process was found for, as in
// osquery: every process is read, and the filter keeps the orphans.
func TestProcessOpenSocketsOrphans(t *testing.T) {
	rows, _ := tracedProcQuery(t, "SELECT socket, state FROM process_open_sockets WHERE pid = -1 AND family IN (2, 10) AND protocol = 6")
	want := []string{"0 TIME_WAIT", "23114 ESTABLISHED"}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// An unknown pid gives no rows and no error.
func TestProcessTablesUnknownPID(t *testing.T) {
	for _, tb := range []string{"process_open_sockets", "process_open_files", "process_envs", "process_memory_map"} {
		if rows, _ := tracedProcQuery(t, "SELECT * FROM "+tb+" WHERE pid = 99999"); len(rows) != 0 {
			t.Errorf("%s: %d rows for a missing pid", tb, len(rows))
		}
	}
}
