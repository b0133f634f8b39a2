//go:build linux

package tables_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func init() { emptyOnFixture["socket_events"] = true } // see process_events_golden_test.go

func TestSocketEvents(t *testing.T) {
	f := newFakeEvents("socket_events")
	f.add(t, "socket_events", 0, map[string]table.Value{
		"action": table.Text("connect"), "pid": table.Int(2001), "path": table.Text("/usr/bin/curl"), "fd": table.Text("5"),
		"auid": table.Int(1000), "family": table.Int(2), "protocol": table.Int(0), "local_address": table.Text("0"),
		"remote_address": table.Text("93.184.216.34"), "local_port": table.Int(0), "remote_port": table.Int(443),
		"uptime": table.Int(5000), "success": table.Int(1), "status": table.Text("succeeded"),
	})
	got := eventQueryRows(t, eventEngine(t, f), "SELECT action, pid, fd, family, remote_address, remote_port, status, success, socket FROM socket_events WHERE time >= 0")
	want := [][]string{{"connect", "2001", "5", "2", "93.184.216.34", "443", "succeeded", "1", "<nil>"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
