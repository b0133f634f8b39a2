package tables_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// pkgsQuery runs a query on a fixture host and renders each row as
// "v1|v2|...", sorted, with the paths the query read.
func pkgsQuery(t *testing.T, host, query string) (rows []string, reads []string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("fixture hosts are Linux trees")
	}
	root := fixtureRoot(host, hostfs.WithTrace(func(op, p string) { reads = append(reads, op+" "+p) }))
	e, err := engine.New(root, engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, rs, err := e.QueryAll(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	for _, r := range rs {
		var parts []string
		for _, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if v == nil {
				v = "NULL"
			}
			parts = append(parts, fmt.Sprint(v))
		}
		rows = append(rows, strings.Join(parts, "|"))
	}
	sort.Strings(rows)
	return rows, reads
}

func checkPkgsQuery(t *testing.T, host, query string, want []string) {
	t.Helper()
	got, _ := pkgsQuery(t, host, query)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", query, diff)
	}
}
