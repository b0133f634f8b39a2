//go:build linux

package tables_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func init() { emptyOnFixture["user_events"] = true } // see process_events_golden_test.go

func TestUserEvents(t *testing.T) {
	f := newFakeEvents("user_events")
	f.add(t, "user_events", 0, map[string]table.Value{
		"uid": table.Int(0), "auid": table.Int(1000), "pid": table.Int(812), "message": table.Text("op=login"),
		"type": table.Int(1112), "path": table.Text("/usr/sbin/sshd"), "address": table.Text("10.0.0.5"),
		"terminal": table.Text("/dev/pts/1"), "uptime": table.Int(5000),
	})
	got := eventQueryRows(t, eventEngine(t, f), "SELECT * FROM user_events")
	want := [][]string{{"0", "1000", "812", "op=login", "1112", "/usr/sbin/sshd", "10.0.0.5", "/dev/pts/1", "1768471200", "5000"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
