package sqlitefile

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// fuzzSeed builds a small database with overflow pages and an interior
// page, and the WAL of a later transaction.
func fuzzSeed(t testing.TB) (db, wal []byte) {
	path, conn := buildDB(t,
		[]string{"PRAGMA page_size=512", "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0"},
		[]string{
			`CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)`,
			`INSERT INTO Packages (blob) VALUES (zeroblob(1500)), (x'00112233'), ('text')`,
			`INSERT INTO Packages (blob) SELECT blob FROM Packages`,
			`PRAGMA wal_checkpoint(TRUNCATE)`,
		}, true)
	if _, err := conn.Exec(`INSERT INTO Packages (blob) VALUES (?)`, strings.Repeat("w", 700)); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, err = os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return db, wal
}

// readAll reads every row of every table, as a caller would.
func readAll(f *File) {
	tables, err := f.Tables()
	if err != nil {
		return
	}
	for _, tb := range tables {
		_ = f.Scan(tb.Root, func(id int64, rec Record) bool {
			for i := range rec.NumColumns() + 1 {
				_, _ = rec.Column(i)
			}
			return true
		})
		_, _ = f.Lookup(tb.Root, 3, func(Record) {})
	}
}

func FuzzOpen(f *testing.F) {
	db, _ := fuzzSeed(f)
	f.Add(db)
	f.Add(db[:1024])
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		readAll(file)
	})
}

func FuzzApplyWAL(f *testing.F) {
	db, wal := fuzzSeed(f)
	f.Add(wal)
	f.Fuzz(func(t *testing.T, w []byte) {
		file, err := Open(bytes.NewReader(db), int64(len(db)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := file.ApplyWAL(bytes.NewReader(w), int64(len(w))); err != nil {
			return
		}
		readAll(file)
	})
}
