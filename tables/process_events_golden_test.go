//go:build linux

package tables_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func init() {
	// Event tables hold what a running daemon collected: nothing on a
	// fixture host. TestProcessEvents reads them from a fake runtime.
	emptyOnFixture["process_events"] = true
	emptyOnFixture["osquery_events"] = true
}

func TestProcessEvents(t *testing.T) {
	f := newFakeEvents("process_events")
	exec := func(pid int64, cmdline string) map[string]table.Value {
		return map[string]table.Value{
			"pid": table.Int(pid), "path": table.Text("/usr/bin/curl"), "mode": table.Text("0100755"),
			"cmdline": table.Text(cmdline), "cmdline_size": table.Int(int64(len(cmdline))),
			"env": table.Text(""), "env_count": table.Int(0), "env_size": table.Int(0), "cwd": table.Text("/home/alice"),
			"auid": table.Int(1000), "uid": table.Int(1000), "euid": table.Int(1000), "gid": table.Int(1000), "egid": table.Int(1000),
			"owner_uid": table.Int(0), "owner_gid": table.Int(0), "atime": table.Int(1), "mtime": table.Int(2), "ctime": table.Int(3),
			"btime": table.Int(0), "overflows": table.Text(""), "parent": table.Int(1234), "uptime": table.Int(5000),
			"fsuid": table.Int(1000), "suid": table.Int(1000), "fsgid": table.Int(1000), "sgid": table.Int(1000), "syscall": table.Text("execve"),
		}
	}
	f.add(t, "process_events", 10*time.Second, exec(2001, "curl -s https://example.com"))
	f.add(t, "process_events", 10*time.Second, exec(2002, "curl -O http://10.0.0.9/x"))
	f.add(t, "process_events", 0, exec(2003, "sh -c id"))
	e := eventEngine(t, f)
	tests := []struct {
		query string
		want  [][]string
	}{
		{"SELECT pid, cmdline, time, eid, parent, syscall FROM process_events", [][]string{
			{"2001", "curl -s https://example.com", "1768471200", "0000000001", "1234", "execve"},
			{"2002", "curl -O http://10.0.0.9/x", "1768471210", "0000000002", "1234", "execve"},
			{"2003", "sh -c id", "1768471220", "0000000003", "1234", "execve"},
		}},
		{"SELECT pid FROM process_events WHERE time > 1768471200", [][]string{{"2002"}, {"2003"}}},
		{"SELECT pid FROM process_events WHERE time >= 1768471210 AND time < 1768471220", [][]string{{"2002"}}},
		{"SELECT pid FROM process_events WHERE time = 1768471220", [][]string{{"2003"}}},
		{"SELECT pid FROM process_events WHERE time <= 1768471199", [][]string{}},
		{"SELECT pid FROM process_events WHERE time > 1768471205.5", [][]string{{"2002"}, {"2003"}}},
		{"SELECT pid FROM process_events WHERE time > 9223372036854775807", [][]string{}},
		{"SELECT count(*) FROM process_events WHERE cmdline LIKE 'curl%'", [][]string{{"2"}}},
		{"SELECT environment, environment_count, access_time, create_time FROM process_events WHERE pid = 2001", [][]string{{"", "0", "1", "0"}}},
		{"SELECT uid, auid, cwd, mode, path FROM process_events LIMIT 1", [][]string{{"1000", "1000", "/home/alice", "0100755", "/usr/bin/curl"}}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, eventQueryRows(t, e, tt.query)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}
