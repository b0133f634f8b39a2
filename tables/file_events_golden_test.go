//go:build linux

package tables_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func init() { emptyOnFixture["file_events"] = true } // see process_events_golden_test.go

func TestFileEvents(t *testing.T) {
	f := newFakeEvents("file_events")
	f.add(t, "file_events", 0, map[string]table.Value{
		"target_path": table.Text("/etc/passwd"), "category": table.Text("etc"), "action": table.Text("UPDATED"),
		"transaction_id": table.Int(0), "inode": table.Int(1234), "uid": table.Int(0), "gid": table.Int(0),
		"mode": table.Text("0644"), "size": table.Int(1800), "atime": table.Int(1), "mtime": table.Int(2), "ctime": table.Int(3),
		"md5": table.Text("d41d8cd98f00b204e9800998ecf8427e"), "sha1": table.Text("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
		"sha256": table.Text("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), "hashed": table.Int(1),
	})
	e := eventEngine(t, f)
	// The hashes compare without case, as osquery declares them.
	got := eventQueryRows(t, e, "SELECT target_path, category, action, mode, hashed FROM file_events WHERE md5 = 'D41D8CD98F00B204E9800998ECF8427E'")
	want := [][]string{{"/etc/passwd", "etc", "UPDATED", "0644", "1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
