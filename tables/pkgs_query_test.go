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

// pkgsReads reports whether any access of the query touched a host path
// containing substr.
func pkgsReads(t *testing.T, host, query, substr string) bool {
	t.Helper()
	_, reads := pkgsQuery(t, host, query)
	for _, r := range reads {
		if strings.Contains(r, substr) {
			return true
		}
	}
	return false
}

func TestPkgsReadLess(t *testing.T) {
	if pkgsReads(t, "debian12", `SELECT path, directory FROM python_packages WHERE uid IS NULL`, "/PKG-INFO") {
		t.Error("python_packages read PKG-INFO files for a query that uses no metadata column")
	}
	if !pkgsReads(t, "debian12", `SELECT name, version FROM python_packages`, "/PKG-INFO") {
		t.Error("python_packages did not read PKG-INFO files for name and version")
	}
	if pkgsReads(t, "debian12", `SELECT name, base_uri FROM apt_sources`, "open /var/lib/apt/lists/") {
		t.Error("apt_sources opened Release files for a query that uses none of their columns")
	}
	if pkgsReads(t, "debian12", `SELECT name FROM deb_packages WHERE admindir = '/nonexistent'`, "/var/lib/dpkg") {
		t.Error("deb_packages read /var/lib/dpkg for another admindir")
	}
	if pkgsReads(t, "debian12", `SELECT name FROM npm_packages WHERE directory = '/home/alice/projects/webapp'`, "/usr/lib/node_modules") {
		t.Error("npm_packages scanned the global prefixes for a directory constraint")
	}
	if pkgsReads(t, "debian12", `SELECT name FROM python_packages WHERE uid = 1001`, "/usr/lib/python3") {
		t.Error("python_packages scanned system directories for a uid constraint")
	}
}
