package engine

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// TestRangeConstraintsReachAdditionalColumns proves that >, >=, < and <= on
// an additional column reach the table (event tables read "time > X"), that
// they do not reach other columns, and that SQLite still filters the rows.
func TestRangeConstraintsReachAdditionalColumns(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	timed := &table.Table{
		Name: "timed",
		Columns: []table.Column{
			table.BigIntColumn("n"),
			table.BigIntColumn("time", table.Additional),
		},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			var got []string
			for _, name := range []string{"n", "time"} {
				for _, c := range q.Constraints(name) {
					got = append(got, name+c.Op.String()+c.Value.String())
				}
			}
			mu.Lock()
			seen = append(seen, strings.Join(got, " "))
			mu.Unlock()
			for i := int64(1); i <= 5; i++ {
				r := q.NewRow()
				r.Set("n", table.Int(i))
				r.Set("time", table.Int(100*i))
				if !yield(r) {
					return nil
				}
			}
			return nil
		},
	}
	e, err := New(hostfs.Dir(t.TempDir()), Options{Tables: []*table.Table{timed}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tests := []struct {
		query    string
		wantCons string
		wantRows [][]string
	}{
		{"SELECT n FROM timed WHERE time > 300", "time>300", [][]string{{"4"}, {"5"}}},
		{"SELECT n FROM timed WHERE time >= 300 AND time < 500", "time>=300 time<500", [][]string{{"3"}, {"4"}}},
		{"SELECT n FROM timed WHERE time <= 100", "time<=100", [][]string{{"1"}}},
		{"SELECT n FROM timed WHERE time = 200", "time=200", [][]string{{"2"}}},
		{"SELECT n FROM timed WHERE n > 4", "", [][]string{{"5"}}},
		{"SELECT n FROM timed WHERE 300 < time", "time>300", [][]string{{"4"}, {"5"}}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			got := queryStrings(t, e, tt.query)
			if diff := cmp.Diff(tt.wantRows, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[0] != tt.wantCons {
				t.Errorf("constraints seen = %q, want [%q]", seen, tt.wantCons)
			}
		})
	}
	if _, _, err := e.QueryAll(context.Background(), "SELECT n FROM timed WHERE time > 1 AND time < 2"); err != nil {
		t.Fatal(err)
	}
}

func TestParsePlanConstraint(t *testing.T) {
	tests := []struct {
		in     string
		col    int
		op     table.Op
		wantOK bool
	}{
		{"3=", 3, table.EQ, true},
		{"12LIKE", 12, table.LIKE, true},
		{"0>", 0, table.GT, true},
		{"0>=", 0, table.GE, true},
		{"7<", 7, table.LT, true},
		{"7<=", 7, table.LE, true},
		{"=", 0, 0, false},
		{"3!=", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		col, op, ok := parsePlanConstraint(tt.in)
		if ok != tt.wantOK || (ok && (col != tt.col || op != tt.op)) {
			t.Errorf("parsePlanConstraint(%q) = %d, %v, %v; want %d, %v, %v", tt.in, col, op, ok, tt.col, tt.op, tt.wantOK)
		}
	}
}
