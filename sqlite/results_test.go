package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit"
)

// TestResultGroupSplit checks that a query run longer than a group holds
// is stored as several groups and reads back whole, in order, page by
// page across the split.
func TestResultGroupSplit(t *testing.T) {
	s := openTemp(t, Options{})
	defer s.Close()
	ctx := context.Background()
	var rows []*osaudit.ResultRow
	for i := range maxGroupLines + 904 {
		rows = append(rows, &osaudit.ResultRow{CustomerID: 1, HostID: 1, Name: "pack/p/snap", Action: "snapshot", UnixTime: 1000,
			Counter: 3, Columns: map[string]string{"i": fmt.Sprint(i)}})
	}
	if err := s.InsertResults(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var groups int
	if err := s.r.QueryRow(`SELECT count(*) FROM result_groups`).Scan(&groups); err != nil || groups != 2 {
		t.Errorf("%d groups, %v; want 2", groups, err)
	}
	var got []string
	f := osaudit.ResultFilter{Page: osaudit.Page{Limit: 1000}}
	for range 10 {
		page, err := s.Results(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			got = append(got, r.Columns["i"])
		}
		f.After = page[len(page)-1].ID
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows back, want %d", len(got), len(rows))
	}
	for i, v := range got {
		if v != fmt.Sprint(i) {
			t.Fatalf("row %d is %q", i, v)
		}
	}
}

// TestMigrateResultGroups checks that rows stored one per row (schema
// version 1) read back the same after migration 0002 made them groups.
func TestMigrateResultGroups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "osaudit.db")
	db, err := openDB(path, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigrations(ctx, db, ms[:1]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO result_names (id, name) VALUES (1, 'pack/p/processes'), (2, 'empty')`,
		`INSERT INTO result_keysets (id, keys) VALUES (1, '["name","pid"]'), (2, '[]')`,
		`INSERT INTO results (id, customer_id, host_id, name_id, action, unix_time, epoch, counter, keyset_id, columns, decorations) VALUES
			(7, 1, 2, 1, 'added', 100, 1, 5, 1, '["sshd \"x\"","42"]', '{"host_uuid":"u"}'),
			(8, 1, 2, 1, 'removed', 100, 1, 5, 1, '["cron","43"]', NULL),
			(9, 1, 3, 2, 'snapshot', 101, 0, 0, 2, '[]', NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Results(ctx, osaudit.ResultFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []*osaudit.ResultRow{
		{ID: 7 << groupLineBits, CustomerID: 1, HostID: 2, Name: "pack/p/processes", Action: "added", UnixTime: 100, Epoch: 1, Counter: 5,
			Columns: map[string]string{"name": `sshd "x"`, "pid": "42"}, Decorations: map[string]string{"host_uuid": "u"}},
		{ID: 8 << groupLineBits, CustomerID: 1, HostID: 2, Name: "pack/p/processes", Action: "removed", UnixTime: 100, Epoch: 1, Counter: 5,
			Columns: map[string]string{"name": "cron", "pid": "43"}},
		{ID: 9 << groupLineBits, CustomerID: 1, HostID: 3, Name: "empty", Action: "snapshot", UnixTime: 101, Columns: map[string]string{}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows after migration (-want +got):\n%s", d)
	}
	// New groups take ids after the migrated ones.
	r := &osaudit.ResultRow{CustomerID: 1, HostID: 2, Name: "q", Action: "added", UnixTime: 102}
	if err := s.InsertResults(ctx, []*osaudit.ResultRow{r}); err != nil {
		t.Fatal(err)
	}
	if r.ID <= 9<<groupLineBits {
		t.Errorf("new row id %d, want one after the migrated rows'", r.ID)
	}
}
