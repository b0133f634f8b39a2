//go:build linux

package tables_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func init() { emptyOnFixture["hardware_events"] = true } // see process_events_golden_test.go

func TestHardwareEvents(t *testing.T) {
	f := newFakeEvents("hardware_events")
	f.add(t, "hardware_events", 0, map[string]table.Value{
		"action": table.Text("add"), "path": table.Text("/dev/bus/usb/001/004"), "type": table.Text("usb_device"),
		"driver": table.Text("usb"), "vendor": table.Text("SanDisk Corp."), "vendor_id": table.Text("0781"),
		"model": table.Text("Cruzer Blade"), "model_id": table.Text("5567"), "serial": table.Text("4C530001"), "revision": table.Text("0100"),
	})
	got := eventQueryRows(t, eventEngine(t, f), "SELECT action, type, vendor, model_id, eid FROM hardware_events WHERE vendor_id = '0781'")
	want := [][]string{{"add", "usb_device", "SanDisk Corp.", "5567", "0000000001"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// An inactive subscriber is reported but its stored events still read.
	f.status[0].Active = false
	if rows := eventQueryRows(t, eventEngine(t, f), "SELECT 1 FROM hardware_events"); len(rows) != 1 {
		t.Errorf("rows = %v", rows)
	}
}
