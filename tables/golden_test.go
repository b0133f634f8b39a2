package tables_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
	_ "github.com/osaudit/osaudit/tables"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/tables.md")

// fixtureClock is the time every fixture host is queried at.
var fixtureClock = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)

// fixtureUID is the current user on fixture hosts, so per-user tables show
// a user's data by default.
const fixtureUID = 1000

// goldenWhere holds the WHERE clause the golden test adds for a table that
// needs constraints (file, hash, ...). Each table's own test file fills its
// entry in init().
var goldenWhere = map[string]string{}

// goldenVolatile lists columns whose values depend on the machine running
// the test (osquery_info.pid, ...); the golden files hold a placeholder.
var goldenVolatile = map[string][]string{}

func fixtureHosts(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, e := range entries {
		if e.IsDir() {
			hosts = append(hosts, e.Name())
		}
	}
	return hosts
}

func fixtureRoot(host string, opts ...hostfs.Option) *hostfs.Root {
	opts = append([]hostfs.Option{hostfs.WithUID(fixtureUID), hostfs.WithClock(func() time.Time { return fixtureClock })}, opts...)
	return hostfs.Dir(filepath.Join("testdata", "hosts", host), opts...)
}

// allColumnsQuery selects every column of a table, hidden ones included.
func allColumnsQuery(t *table.Table) string {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, "`"+c.Name+"`")
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + t.Name
	if w, ok := goldenWhere[t.Name]; ok {
		q += " WHERE " + w
	}
	return q
}

// TestGolden runs every table on every fixture host and compares the rows
// with testdata/golden/<host>/<table>.json.
func TestGolden(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fixture hosts are Linux trees")
	}
	for _, host := range fixtureHosts(t) {
		e, err := engine.New(fixtureRoot(host), engine.Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		for _, tb := range table.All() {
			t.Run(host+"/"+tb.Name, func(t *testing.T) {
				got := goldenRows(t, e, tb)
				path := filepath.Join("testdata", "golden", host, tb.Name+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./tables -run TestGolden -update)", err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("rows differ from %s (-want +got):\n%s", path, diff)
				}
			})
		}
	}
}

// goldenRows runs the table's golden query and renders the rows as a JSON
// array, one object per line with keys in column order, lines sorted.
func goldenRows(t *testing.T, e *engine.Engine, tb *table.Table) []byte {
	t.Helper()
	cols, rows, err := e.QueryAll(context.Background(), allColumnsQuery(tb))
	if err != nil {
		t.Fatalf("%s: %v", allColumnsQuery(tb), err)
	}
	volatile := map[string]bool{}
	for _, c := range goldenVolatile[tb.Name] {
		volatile[c] = true
	}
	var lines []string
	for _, r := range rows {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c)
			b.Write(k)
			b.WriteByte(':')
			v := r[i]
			if volatile[c] && v != nil {
				v = "<volatile>"
			}
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			j, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(j)
		}
		b.WriteByte('}')
		lines = append(lines, b.String())
	}
	sort.Strings(lines)
	return []byte("[\n" + strings.Join(lines, ",\n") + "\n]\n")
}

// TestEveryTableHasFixtureData makes sure the main fixture host gives every
// table at least one row, so that the golden files test something.
func TestEveryTableHasFixtureData(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fixture hosts are Linux trees")
	}
	e, err := engine.New(fixtureRoot("debian12"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, tb := range table.All() {
		if emptyOnFixture[tb.Name] {
			continue
		}
		_, rows, err := e.QueryAll(context.Background(), allColumnsQuery(tb))
		if err != nil {
			t.Errorf("%s: %v", tb.Name, err)
			continue
		}
		if len(rows) == 0 {
			t.Errorf("%s: no rows on the debian12 fixture host; add fixture data", tb.Name)
		}
	}
}

// emptyOnFixture names tables that are rightly empty on the fixture host.
var emptyOnFixture = map[string]bool{}
