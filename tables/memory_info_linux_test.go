package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMemInfo(t *testing.T) {
	in := `MemTotal:        8131212 kB
MemFree:         5120344 kB
MemAvailable:    7012876 kB
Buffers:          101232 kB
Cached:          1834556 kB
SwapCached:            0 kB
Active:          1452332 kB
Inactive:        1041188 kB
Active(anon):     562804 kB
SwapTotal:       bogus kB
SwapFree:
HugePages_Total:       0
`
	want := map[string]int64{
		"memory_total": 8131212 * 1024, "memory_free": 5120344 * 1024, "memory_available": 7012876 * 1024,
		"buffers": 101232 * 1024, "cached": 1834556 * 1024, "swap_cached": 0, "active": 1452332 * 1024,
		"inactive": 1041188 * 1024,
	}
	if diff := cmp.Diff(want, parseMemInfo([]byte(in))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := parseMemInfo(nil); len(got) != 0 {
		t.Errorf("empty input gave %v", got)
	}
	if got := parseMemInfo([]byte("MemTotal: 99999999999999999999 kB\n")); len(got) != 0 {
		t.Errorf("overflow gave %v", got)
	}
}

func FuzzParseMemInfo(f *testing.F) {
	f.Add([]byte("MemTotal:        8131212 kB\nSwapFree: 0 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMemInfo(b)
	})
}
