package sqlitefile

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

// The reader is checked against SQLite itself: each test builds a database
// with the modernc.org/sqlite engine, reads it back with the reader, and
// compares the rows with what SQL returns.

type row struct {
	ID   int64
	Vals []any
}

// buildDB creates a database file with the given pragmas and statements and
// returns its path. keepOpen leaves the connection open (for WAL tests) and
// returns it.
func buildDB(t testing.TB, pragmas []string, stmts []string, keepOpen bool) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, s := range append(pragmas, stmts...) {
		if s == "RESERVE" {
			// Reserve 32 bytes at the end of each page, as an
			// encryption or checksum VFS does: SQLite honors byte 20 of
			// the header of a database that has no tables yet.
			db = reopenReserved(t, db, path, 32)
			continue
		}
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if keepOpen {
		t.Cleanup(func() { db.Close() })
		return path, db
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, nil
}

func reopenReserved(t testing.TB, db *sql.DB, path string, n byte) *sql.DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw[20] = n
	// The empty schema page's cell content area starts at the end of the
	// usable space.
	binary.BigEndian.PutUint16(raw[105:], uint16(binary.BigEndian.Uint16(raw[16:])-uint16(n)))
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// sqlRows reads a table through SQL, rowid first.
func sqlRows(t *testing.T, db *sql.DB, table string, ncol int) []row {
	t.Helper()
	rs, err := db.Query("SELECT rowid, * FROM " + table + " ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		vals := make([]any, ncol+1)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := row{ID: vals[0].(int64)}
		for _, v := range vals[1:] {
			switch x := v.(type) {
			case string:
				v = "text:" + x
			case []byte:
				v = "blob:" + string(x)
			}
			r.Vals = append(r.Vals, v)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// fileRows reads a table with the reader. A column stored as NULL because
// it is the rowid alias reads back as the rowid, as SQL shows it.
func fileRows(t *testing.T, f *File, table string, ncol int, rowidCol int) []row {
	t.Helper()
	tb, err := f.Table(table)
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	err = f.Scan(tb.Root, func(id int64, rec Record) bool {
		r := row{ID: id}
		for i := range ncol {
			v, err := rec.Column(i)
			if err != nil {
				t.Fatal(err)
			}
			r.Vals = append(r.Vals, toAny(v, i == rowidCol, id))
		}
		out = append(out, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func toAny(v Value, isRowid bool, id int64) any {
	switch v.Kind {
	case KindInt:
		return v.Int
	case KindFloat:
		return v.Float
	case KindText:
		return "text:" + string(v.Bytes)
	case KindBlob:
		return "blob:" + string(v.Bytes)
	}
	if isRowid {
		return id
	}
	return nil
}

func openFile(t *testing.T, path string) *File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	fi, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(fh, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReadMatchesSQLite(t *testing.T) {
	big := strings.Repeat("overflow-", 2000) // 18 kB: several overflow pages
	cases := []struct {
		name     string
		pragmas  []string
		reserved byte
	}{
		{"default", nil, 0},
		{"page512", []string{"PRAGMA page_size=512"}, 0},
		{"page65536", []string{"PRAGMA page_size=65536"}, 0},
		{"reserved", []string{"PRAGMA page_size=1024"}, 32},
		{"utf16le", []string{"PRAGMA encoding='UTF-16le'"}, 0},
		{"utf16be", []string{"PRAGMA encoding='UTF-16be'"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stmts := []string{
				"PRAGMA synchronous=OFF",
				"BEGIN",
				`CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)`,
				`CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)`,
				`CREATE INDEX Name_key_idx ON Name(key ASC)`,
				`CREATE TABLE misc (a, b, c, d)`,
			}
			for i := 1; i <= 300; i++ {
				blob := strings.Repeat(fmt.Sprintf("%04d", i), i*7)
				if i%50 == 0 {
					blob = big + blob
				}
				stmts = append(stmts,
					fmt.Sprintf(`INSERT INTO Packages (blob) VALUES (CAST('%s' AS BLOB))`, blob),
					fmt.Sprintf(`INSERT INTO Name VALUES ('pkg-%d-é', %d, 0)`, i, i))
			}
			stmts = append(stmts,
				`DELETE FROM Packages WHERE hnum % 7 = 0`,
				`INSERT INTO misc VALUES (NULL, 0, 1, -1)`,
				`INSERT INTO misc VALUES (127, -128, 32767, -32768)`,
				`INSERT INTO misc VALUES (8388607, -8388608, 2147483647, -2147483648)`,
				`INSERT INTO misc VALUES (140737488355327, -140737488355328, 9223372036854775807, -9223372036854775808)`,
				`INSERT INTO misc VALUES (1.5, -0.25, 1e300, x'')`,
				`INSERT INTO misc VALUES ('', x'00ff', 'ünïcødé ☃ 𝄞', 3)`,
				`INSERT INTO misc (rowid, a) VALUES (-5, 'negative rowid')`,
				`INSERT INTO misc (rowid, a) VALUES (9223372036854775807, 'max rowid')`,
				"COMMIT",
			)
			pragmas := c.pragmas
			if c.reserved > 0 {
				pragmas = append(pragmas, "PRAGMA user_version=1", "RESERVE")
			}
			path, _ := buildDB(t, pragmas, stmts, false)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f := openFile(t, path)
			if f.usable != f.pageSize-int(c.reserved) {
				t.Fatalf("usable size %d with page size %d and %d reserved", f.usable, f.pageSize, c.reserved)
			}

			if got, want := fileRows(t, f, "packages", 2, 0), sqlRows(t, db, "Packages", 2); !cmp.Equal(got, want) {
				t.Errorf("Packages differ (-file +sql):\n%s", cmp.Diff(got, want))
			}
			if got, want := fileRows(t, f, "Name", 3, -1), sqlRows(t, db, "Name", 3); !cmp.Equal(got, want) {
				t.Errorf("Name differs (-file +sql):\n%s", cmp.Diff(got, want))
			}
			got, want := fileRows(t, f, "misc", 4, -1), sqlRows(t, db, "misc", 4)
			if !cmp.Equal(got, want) {
				t.Errorf("misc differs (-file +sql):\n%s", cmp.Diff(got, want))
			}

			// Lookup finds each row by rowid, and nothing for a missing one.
			tb, _ := f.Table("Packages")
			for _, id := range []int64{1, 2, 6, 50, 150, 299, 300} {
				var blob []byte
				found, err := f.Lookup(tb.Root, id, func(rec Record) {
					v, _ := rec.Column(1)
					blob = bytes.Clone(v.Bytes)
				})
				if err != nil || !found {
					t.Fatalf("Lookup(%d) = %v, %v", id, found, err)
				}
				var want []byte
				if err := db.QueryRow(`SELECT blob FROM Packages WHERE hnum = ?`, id).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(blob, want) {
					t.Errorf("Lookup(%d) blob differs", id)
				}
			}
			for _, id := range []int64{0, 7, 301, -1} {
				found, err := f.Lookup(tb.Root, id, func(Record) {})
				if err != nil || found {
					t.Errorf("Lookup(%d) = %v, %v; want not found", id, found, err)
				}
			}
		})
	}
}

func TestWAL(t *testing.T) {
	path, db := buildDB(t,
		[]string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0"},
		[]string{`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`, `INSERT INTO t VALUES (1, 'one')`, `PRAGMA wal_checkpoint(TRUNCATE)`},
		true)
	for i := 2; i <= 200; i++ {
		if _, err := db.Exec(`INSERT INTO t VALUES (?, ?)`, i, strings.Repeat("x", i*10)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE t SET v = 'uno' WHERE k = 1`); err != nil {
		t.Fatal(err)
	}
	want := sqlRows(t, db, "t", 2)

	f := openFile(t, path)
	// Without the log, only the checkpointed row is there.
	if got := fileRows(t, f, "t", 2, 0); len(got) != 1 || got[0].Vals[1] != "text:one" {
		t.Fatalf("main file alone: %v", got)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.ApplyWAL(bytes.NewReader(wal), int64(len(wal)))
	if err != nil || n == 0 {
		t.Fatalf("ApplyWAL = %d, %v", n, err)
	}
	if got := fileRows(t, f, "t", 2, 0); !cmp.Equal(got, want) {
		t.Errorf("with WAL (-file +sql):\n%s", cmp.Diff(got, want))
	}

	// A torn last frame (bad checksum) drops that frame's transaction
	// but keeps the earlier ones.
	f = openFile(t, path)
	torn := bytes.Clone(wal)
	torn[len(torn)-1] ^= 0xff
	if m, err := f.ApplyWAL(bytes.NewReader(torn), int64(len(torn))); err != nil || m >= n {
		t.Errorf("torn WAL applied %d frames (want fewer than %d), %v", m, n, err)
	}
	if _, err := f.Table("t"); err != nil {
		t.Errorf("torn WAL: %v", err)
	}

	// A log with a bad header is ignored.
	f = openFile(t, path)
	bad := bytes.Clone(wal)
	bad[0] = 0
	if m, err := f.ApplyWAL(bytes.NewReader(bad), int64(len(bad))); m != 0 || err != nil {
		t.Errorf("bad header: %d, %v", m, err)
	}
}

func TestOpenErrors(t *testing.T) {
	path, _ := buildDB(t, []string{"PRAGMA page_size=512"}, []string{`CREATE TABLE t (a)`, `INSERT INTO t VALUES (1)`}, false)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(fn func(b []byte) []byte) []byte { return fn(bytes.Clone(good)) }
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotSQLite},
		{"short", good[:50], ErrNotSQLite},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), ErrNotSQLite},
		{"page size 3", mutate(func(b []byte) []byte { b[16], b[17] = 0, 3; return b }), ErrCorrupt},
		{"page size 256", mutate(func(b []byte) []byte { b[16], b[17] = 1, 0; return b }), ErrCorrupt},
		{"reserved too big", mutate(func(b []byte) []byte { b[20] = 200; return b }), ErrCorrupt},
		{"encoding 9", mutate(func(b []byte) []byte { b[56+3] = 9; return b }), ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(c.data), int64(len(c.data)))
			if !errors.Is(err, c.want) {
				t.Errorf("Open = %v, want %v", err, c.want)
			}
		})
	}
}

func TestCorruptPages(t *testing.T) {
	path, _ := buildDB(t, []string{"PRAGMA page_size=512"}, []string{
		`CREATE TABLE t (a, b)`,
		`INSERT INTO t VALUES (1, zeroblob(3000))`,
		`INSERT INTO t SELECT a+1, b FROM t`, `INSERT INTO t SELECT a+2, b FROM t`,
	}, false)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"schema flag", func(b []byte) []byte { b[100] = 0x42; return b }},
		{"schema cell count", func(b []byte) []byte { b[103], b[104] = 0xff, 0xff; return b }},
		{"schema cell offset", func(b []byte) []byte { b[108], b[109] = 0, 1; return b }},
		{"root page self-loop", func(b []byte) []byte {
			p := 512 // page 2: root of t
			b[p] = 0x05
			b[p+8], b[p+9], b[p+10], b[p+11] = 0, 0, 0, 2
			return b
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.edit(bytes.Clone(good))
			f, err := Open(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return
			}
			tb, err := f.Table("t")
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNoTable) {
					t.Errorf("Table: %v", err)
				}
				return
			}
			err = f.Scan(tb.Root, func(int64, Record) bool { return true })
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Scan = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestVarint(t *testing.T) {
	cases := []struct {
		in   []byte
		v    uint64
		n    int
		name string
	}{
		{[]byte{0x00}, 0, 1, "zero"},
		{[]byte{0x7f}, 127, 1, "one byte"},
		{[]byte{0x81, 0x00}, 128, 2, "two bytes"},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, math.MaxUint64, 9, "nine bytes"},
		{[]byte{0x81}, 0, 0, "truncated"},
		{nil, 0, 0, "empty"},
	}
	for _, c := range cases {
		v, n := varint(c.in)
		if v != c.v || n != c.n {
			t.Errorf("%s: varint(%x) = %d, %d; want %d, %d", c.name, c.in, v, n, c.v, c.n)
		}
	}
}
