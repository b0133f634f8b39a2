package tables_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

// osquerySchema is osquery 5.23.1's table schema for one platform, as
// ../shared/reference holds it: table name to columns in spec order.
type osquerySchema map[string][]table.ColumnInfo

func loadSchema(t *testing.T, goos string) osquerySchema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "osquery-5.23.1-"+goos+"-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s osquerySchema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaMatchesOsquery compares every registered table with osquery's
// schema: same columns in the same order, with the same types and options.
func TestSchemaMatchesOsquery(t *testing.T) {
	goos := runtime.GOOS
	if goos != "linux" && goos != "windows" {
		t.Skipf("no osquery schema file for %s", goos)
	}
	ref := loadSchema(t, goos)
	if len(table.All()) == 0 {
		t.Fatal("no tables registered")
	}
	for _, tb := range table.All() {
		want, ok := ref[tb.Name]
		if !ok {
			t.Errorf("%s: not an osquery %s table", tb.Name, goos)
			continue
		}
		var got []table.ColumnInfo
		for _, c := range tb.Describe().Columns {
			c.Description = ""
			got = append(got, c)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: columns differ from osquery's (-osquery +osaudit):\n%s", tb.Name, diff)
		}
	}
}

// TestTablesDoc keeps docs/tables.md equal to what the registry generates.
func TestTablesDoc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("docs/tables.md describes the Linux build")
	}
	var b bytes.Buffer
	if err := table.WriteMarkdown(&b, table.All()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "tables.md")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("docs/tables.md is stale: run go test ./tables -run TestTablesDoc -update")
	}
}

// TestTablesValidate checks every registered definition, which Register
// leaves to the first engine that serves the table.
func TestTablesValidate(t *testing.T) {
	for _, tb := range table.All() {
		if err := tb.Validate(); err != nil {
			t.Error(err)
		}
	}
}
