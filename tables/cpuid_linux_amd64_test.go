package tables

import "testing"

func TestLiveCPUIDDump(t *testing.T) {
	b, err := liveCPUIDDump()
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseCPUIDDump(b)
	if err != nil {
		t.Fatal(err)
	}
	rows, missing := cpuidRows(d)
	if len(rows) == 0 || len(missing) != 0 {
		t.Fatalf("%d rows, missing %v", len(rows), missing)
	}
	if rows[0].feature != "vendor" || rows[0].value == "" {
		t.Errorf("first row %+v", rows[0])
	}
}
