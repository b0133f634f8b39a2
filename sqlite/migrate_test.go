package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/osaudit/osaudit"
)

func TestLoadMigrations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    []int
		wantErr string
	}{
		{"ordered by number", map[string]string{"migrations/0010_b.sql": "B", "migrations/0002_a.sql": "A", "migrations/0001_init.sql": "I"}, []int{1, 2, 10}, ""},
		{"no number", map[string]string{"migrations/init.sql": ""}, nil, "NNNN_what.sql"},
		{"zero", map[string]string{"migrations/0000_x.sql": ""}, nil, "NNNN_what.sql"},
		{"duplicate version", map[string]string{"migrations/0001_a.sql": "", "migrations/001_b.sql": ""}, nil, "share version 1"},
		{"other files ignored", map[string]string{"migrations/0001_a.sql": "", "migrations/README": ""}, []int{1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, body := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(body)}
			}
			ms, err := loadMigrations(fsys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("versions %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("versions %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestMigrations checks that the embedded schema applies once, survives a
// reopen, and that data persists across it.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "osaudit.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrations)
	if err != nil {
		t.Fatal(err)
	}
	latest := ms[len(ms)-1].version
	if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("schema version %d, %v; want %d", v, err, latest)
	}
	c := &osaudit.Customer{Name: "acme"}
	if err := s.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if got, err := s.Customer(ctx, c.ID); err != nil || got.Name != "acme" {
		t.Fatalf("after reopen: %v, %v", got, err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
		t.Errorf("schema_migrations has %d rows, %v; want %d", n, err, len(ms))
	}
}

// TestMigrationsRefuseNewerDatabase checks that a binary does not open a
// database a newer binary migrated.
func TestMigrationsRefuseNewerDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "osaudit.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("Open of a newer database: %v", err)
	}
}

// TestMigrationsAtomic checks that a failing migration leaves nothing of
// itself or of the migrations applied with it.
func TestMigrationsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, Options{})
	defer s.Close()
	before, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms := []migration{
		{version: before, name: "applied already"},
		{version: 100, name: "0100_ok.sql", sql: `CREATE TABLE t100 (x)`},
		{version: 101, name: "0101_bad.sql", sql: `CREATE TABLE t101 (x); SELECT * FROM no_such_table`},
	}
	err = applyMigrations(ctx, s.w, ms)
	if err == nil || !strings.Contains(err.Error(), "0101_bad.sql") {
		t.Fatalf("applyMigrations: %v, want the bad migration's error", err)
	}
	var n int
	if err := s.w.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name IN ('t100', 't101')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tables of a failed migration run: %d, %v", n, err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != before {
		t.Errorf("schema version %d after a failed migration, want %d", v, before)
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"})
	if osaudit.ErrorCode(err) != osaudit.EINVALID {
		t.Errorf("synchronous OFF: %v, want EINVALID", err)
	}
	_, err = Open(ctx, "", Options{})
	if osaudit.ErrorCode(err) != osaudit.EINVALID {
		t.Errorf("empty path: %v, want EINVALID", err)
	}
	s := openTemp(t, Options{Synchronous: "NORMAL", ReadConns: 2, CacheKiB: 1024})
	var mode string
	if err := s.w.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q, %v", mode, err)
	}
	var sync, fk int
	if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 1 {
		t.Errorf("synchronous %d, %v; want 1 (NORMAL)", sync, err)
	}
	if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d, %v", fk, err)
	}
	if _, err := s.r.Exec(`CREATE TABLE x (y)`); err == nil {
		t.Errorf("a read connection could write")
	}
	s.Close()
	s = openTemp(t, Options{})
	defer s.Close()
	if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		t.Errorf("default synchronous %d, %v; want 2 (FULL)", sync, err)
	}
}

func TestClosed(t *testing.T) {
	s := openTemp(t, Options{})
	s.Close()
	err := s.InsertResults(context.Background(), []*osaudit.ResultRow{{CustomerID: 1, HostID: 1, Name: "q"}})
	if osaudit.ErrorCode(err) != osaudit.EUNAVAILABLE {
		t.Errorf("InsertResults after Close: %v, want EUNAVAILABLE", err)
	}
}
