package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcStatCPU(t *testing.T) {
	in := `cpu  2255 34 2290 22625563 6290 127 456 0 0 0
cpu0 1132 34 1441 11311718 3675 127 438 0 0 0
cpu1 1123 0 849 11313845 2614 0 18
cpu2 1 2 3
cpu
cpuX 1 2 3 4 5 6 7 8
intr 114930548 113199788 3
ctxt 1990473
`
	want := []cpuTimeLine{
		{"0", [10]string{"1132", "34", "1441", "11311718", "3675", "127", "438", "0", "0", "0"}},
		{"1", [10]string{"1123", "0", "849", "11313845", "2614", "0", "18", "0", "0", "0"}},
		{"X", [10]string{"1", "2", "3", "4", "5", "6", "7", "8", "0", "0"}},
	}
	got, skipped := parseProcStatCPU([]byte(in))
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(cpuTimeLine{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 2 {
		t.Errorf("skipped = %d, want 2", skipped)
	}
	// The total line is dropped only when it comes first.
	got, _ = parseProcStatCPU([]byte("cpu0 1 2 3 4 5 6 7\ncpu  1 2 3 4 5 6 7\n"))
	if len(got) != 1 || got[0].core != "0" {
		t.Errorf("got %+v", got)
	}
}

func TestCPUTimeCoreNotANumber(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{"proc/stat": "cpu  1 1 1 1 1 1 1\ncpuX 1 2 3 4 5 6 7 8 9 10\n"})
	rows := sysQuery(t, sysRoot(dir), "SELECT core, user, guest_nice FROM cpu_time")
	want := []map[string]any{{"core": nil, "user": int64(1), "guest_nice": int64(10)}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseProcStatCPU(f *testing.F) {
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcStatCPU(b)
	})
}
