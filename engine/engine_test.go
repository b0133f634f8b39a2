package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// fakeTables returns test tables that count how often they read a row, so
// tests can prove what reached them.
type counters struct {
	reads   atomic.Int64 // rows read by the items table
	details atomic.Int64 // expensive column reads
	filters atomic.Int64
}

func fakeTables(c *counters) []*table.Table {
	items := &table.Table{
		Name: "items",
		Columns: []table.Column{
			table.BigIntColumn("id", table.Index),
			table.TextColumn("name"),
			table.TextColumn("detail"),
			table.TextColumn("secret", table.Hidden),
			table.BigIntColumn("uid", table.Additional),
			table.TextColumn("env").WithAliases("environment"),
		},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			c.filters.Add(1)
			ids := []int64{1, 2, 3, 4, 5}
			if want, constrained := q.EqualInts("id"); constrained {
				ids = want
			}
			for _, id := range ids {
				if id < 1 || id > 5 {
					continue
				}
				c.reads.Add(1)
				r := q.NewRow()
				r.Set("id", table.Int(id))
				r.Set("name", table.Text(fmt.Sprintf("item%d", id)))
				if q.Used("detail") {
					c.details.Add(1)
					r.Set("detail", table.Text(strings.Repeat("x", int(id))))
				}
				r.Set("secret", table.Text("s"))
				r.Set("uid", table.Int(q.UIDs()[0]))
				r.Set("env", table.Text("E"))
				if !yield(r) {
					return nil
				}
			}
			return nil
		},
	}
	files := &table.Table{
		Name: "files",
		Columns: []table.Column{
			table.TextColumn("path", table.Required, table.Index),
			table.TextColumn("directory", table.Required),
			table.BigIntColumn("size"),
		},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			for _, p := range q.EqualTexts("path") {
				r := q.NewRow()
				r.Set("path", table.Text(p))
				r.Set("size", table.Int(int64(len(p))))
				if !yield(r) {
					return nil
				}
			}
			for _, p := range q.Patterns("path") {
				r := q.NewRow()
				r.Set("path", table.Text(strings.ReplaceAll(p, "%", "x")))
				if !yield(r) {
					return nil
				}
			}
			return nil
		},
	}
	endless := &table.Table{
		Name:    "endless",
		Columns: []table.Column{table.BigIntColumn("n")},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			for i := int64(0); ; i++ {
				if q.Context().Err() != nil {
					return q.Context().Err()
				}
				r := q.NewRow()
				r.Set("n", table.Int(i))
				if !yield(r) {
					return nil
				}
			}
		},
	}
	broken := &table.Table{
		Name:    "broken",
		Columns: []table.Column{table.TextColumn("x")},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			r := q.NewRow()
			r.Set("x", table.Text("ok"))
			if !yield(r) {
				return nil
			}
			var m map[string]int
			m["boom"] = 1 // a bug in table code must not crash the agent
			return nil
		},
	}
	return []*table.Table{items, files, endless, broken}
}

func newTestEngine(t *testing.T, c *counters, opts Options) *Engine {
	t.Helper()
	opts.Tables = fakeTables(c)
	e, err := New(hostfs.Dir(t.TempDir(), hostfs.WithUID(1000)), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func queryStrings(t *testing.T, e *Engine, q string) [][]string {
	t.Helper()
	_, rows, err := e.QueryAll(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := [][]string{}
	for _, r := range rows {
		var s []string
		for _, v := range r {
			s = append(s, fmt.Sprint(v))
		}
		out = append(out, s)
	}
	return out
}

func TestPushdownCountsReads(t *testing.T) {
	tests := []struct {
		query     string
		wantReads int64
		want      [][]string
	}{
		{"SELECT id FROM items WHERE id = 2", 1, [][]string{{"2"}}},
		{"SELECT id FROM items WHERE id = '3'", 1, [][]string{{"3"}}},
		{"SELECT id FROM items WHERE id IN (1, 4)", 2, [][]string{{"1"}, {"4"}}},
		{"SELECT id FROM items WHERE id IN (SELECT 5)", 1, [][]string{{"5"}}},
		{"SELECT count(*) FROM items", 5, [][]string{{"5"}}},
		{"SELECT a.id FROM items a JOIN items b ON b.id = a.id WHERE a.id = 1", 2, [][]string{{"1"}}},
		{"SELECT id FROM items WHERE id > 3", 5, [][]string{{"4"}, {"5"}}},
		{"SELECT id FROM items LIMIT 2", 2, [][]string{{"1"}, {"2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var c counters
			e := newTestEngine(t, &c, Options{})
			got := queryStrings(t, e, tt.query)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if n := c.reads.Load(); n != tt.wantReads {
				t.Errorf("reads = %d, want %d", n, tt.wantReads)
			}
		})
	}
}

func TestColumnsUsedSkipsWork(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	queryStrings(t, e, "SELECT id, name FROM items")
	if n := c.details.Load(); n != 0 {
		t.Errorf("detail read %d times for a query that does not use it", n)
	}
	queryStrings(t, e, "SELECT id FROM items WHERE length(detail) > 2")
	if n := c.details.Load(); n != 5 {
		t.Errorf("detail read %d times, want 5", n)
	}
}

func TestHiddenAndAliasColumns(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	cols, _, err := e.QueryAll(context.Background(), "SELECT * FROM items WHERE id = 1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"id", "name", "detail", "uid", "env"}, cols); diff != "" {
		t.Errorf("SELECT * columns (-want +got):\n%s", diff)
	}
	got := queryStrings(t, e, "SELECT secret, environment FROM items WHERE id = 1")
	if diff := cmp.Diff([][]string{{"s", "E"}}, got); diff != "" {
		t.Errorf("hidden and alias (-want +got):\n%s", diff)
	}
}

func TestUserDataDefaultsToCurrentUser(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	if got := queryStrings(t, e, "SELECT uid FROM items WHERE id = 1"); got[0][0] != "1000" {
		t.Errorf("uid without constraint = %s, want the current user 1000", got[0][0])
	}
	if got := queryStrings(t, e, "SELECT uid FROM items WHERE id = 1 AND uid = 7"); len(got) != 1 || got[0][0] != "7" {
		t.Errorf("uid = 7 gave %v", got)
	}
}

func TestRequiredColumns(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	_, _, err := e.QueryAll(context.Background(), "SELECT * FROM files")
	if !errors.Is(err, ErrRequired) || !strings.Contains(err.Error(), "path") || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("SELECT * FROM files: err = %v, want a required-constraint error naming path and directory", err)
	}
	for q, want := range map[string][][]string{
		"SELECT path, size FROM files WHERE path = '/etc/passwd'":                            {{"/etc/passwd", "11"}},
		"SELECT path FROM files WHERE path IN ('/a', '/bb')":                                 {{"/a"}, {"/bb"}},
		"SELECT f.path FROM items i JOIN files f ON f.path = '/x/' || i.name WHERE i.id < 3": {{"/x/item1"}, {"/x/item2"}},
		"WITH p(x) AS (SELECT '/c') SELECT f.size FROM p, files f WHERE f.path = p.x":        {{"2"}},
		"SELECT path FROM files WHERE path LIKE '/tmp/%'":                                    {{"/tmp/x"}},
	} {
		if diff := cmp.Diff(want, queryStrings(t, e, q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
}

func TestSQLFeatures(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	for q, want := range map[string][][]string{
		"SELECT name FROM items WHERE name LIKE 'item%' AND name GLOB '*[34]'":      {{"item3"}, {"item4"}},
		"WITH big AS (SELECT id FROM items WHERE id > 3) SELECT sum(id) FROM big":   {{"9"}},
		"SELECT (SELECT max(id) FROM items), upper('a'), length('abc')":             {{"5", "A", "3"}},
		"SELECT group_concat(id, '-') FROM (SELECT id FROM items ORDER BY id DESC)": {{"5-4-3-2-1"}},
		"SELECT count(*) FROM items a, items b":                                     {{"25"}},
		"CREATE TEMP TABLE scratch(x)":                                              {},
	} {
		if diff := cmp.Diff(want, queryStrings(t, e, q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
}

func TestReadOnly(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	dir := t.TempDir()
	for _, q := range []string{
		"ATTACH '" + dir + "/x.db' AS x",
		"VACUUM INTO '" + dir + "/y.db'",
		"CREATE TABLE main.t(x)",
		"SELECT load_extension('/tmp/evil.so')",
		"PRAGMA query_only = 0",
		"PRAGMA writable_schema = 1",
		"DROP TABLE items",
		"INSERT INTO items(id) VALUES (9)",
		"BEGIN",
	} {
		_, _, err := e.QueryAll(context.Background(), q)
		if err == nil {
			t.Errorf("%s: succeeded, want it denied", q)
		}
	}
	if got := queryStrings(t, e, "SELECT name FROM pragma_table_info('items') LIMIT 1"); got[0][0] != "id" {
		t.Errorf("pragma_table_info: %v", got)
	}
}

func TestTimeout(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{Timeout: 200 * time.Millisecond})
	for _, q := range []string{
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c",
		"SELECT count(*) FROM endless",
	} {
		start := time.Now()
		_, _, err := e.QueryAll(context.Background(), q)
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("%s: err = %v, want a timeout", q, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s to stop", q, d)
		}
	}
}

func TestErrors(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{})
	tests := []struct {
		query string
		want  []string
	}{
		{"SELECT * FROM itemz", []string{"no such table: itemz", "did you mean items"}},
		{"SELECT * FROM\nitems WHERE WHERE", []string{`near "WHERE": syntax error`, "line 2, column 13"}},
		{"SELEC 1", []string{`near "SELEC": syntax error`, "line 1, column 1"}},
		{"SELECT x FROM broken", []string{"internal error"}},
		{"SELECT length(zeroblob(100000000))", []string{"too big"}},
	}
	for _, tt := range tests {
		_, _, err := e.QueryAll(context.Background(), tt.query)
		if err == nil {
			t.Errorf("%s: no error", tt.query)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.query, err, w)
			}
		}
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"SELECT 1;", true},
		{"SELECT 1", false},
		{"SELECT ';'", false},
		{"SELECT ';';", true},
		{"SELECT 1 -- ;", false},
		{"SELECT 1 /* ; */;", true},
		{"SELECT 1 /* ;", false},
		{"CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;", false},
		{"CREATE TEMP TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END;", true},
	}
	for _, tt := range tests {
		if got := Complete(tt.in); got != tt.want {
			t.Errorf("Complete(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	stmts, rest := Split("SELECT 1; SELECT ';' ;  SELECT 3")
	if diff := cmp.Diff([]string{"SELECT 1", "SELECT ';'"}, stmts); diff != "" || rest != "  SELECT 3" {
		t.Errorf("Split: %s rest %q", diff, rest)
	}
}

func TestConcurrentQueries(t *testing.T) {
	var c counters
	e := newTestEngine(t, &c, Options{MaxConns: 3})
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			_, rows, err := e.QueryAll(context.Background(), "SELECT a.id FROM items a JOIN files f ON f.path = a.name")
			if err == nil && len(rows) != 5 {
				err = fmt.Errorf("%d rows", len(rows))
			}
			errs <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
