package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/osquery"
)

func rows(pids ...string) []osquery.Row {
	var out []osquery.Row
	for _, p := range pids {
		out = append(out, osquery.Row{"pid": p})
	}
	return out
}

func TestRun(t *testing.T) {
	var s State
	steps := []struct {
		name           string
		rows           []osquery.Row
		epoch          uint64
		added, removed []osquery.Row
		counter        uint64
		changed        bool
	}{
		{"first run: all added, counter 0", rows("1", "2"), 0, rows("1", "2"), nil, 0, true},
		{"no change: counter stays", rows("2", "1"), 0, nil, nil, 0, false},
		{"change: counter rises", rows("1", "3"), 0, rows("3"), rows("2"), 1, true},
		{"duplicates count", rows("1", "3", "3"), 0, rows("3"), nil, 2, true},
		{"no change again", rows("3", "1", "3"), 0, nil, nil, 2, false},
		{"new epoch: all added, counter 0", rows("1"), 7, rows("1"), nil, 0, true},
		{"empty result after", nil, 7, nil, rows("1"), 1, true},
	}
	for _, st := range steps {
		r := Run(s, st.rows, st.epoch, false)
		if diff := cmp.Diff(st.added, r.Added); diff != "" {
			t.Errorf("%s: added %s", st.name, diff)
		}
		if diff := cmp.Diff(st.removed, r.Removed); diff != "" {
			t.Errorf("%s: removed %s", st.name, diff)
		}
		if r.Counter != st.counter || r.Changed != st.changed {
			t.Errorf("%s: counter %d changed %v, want %d %v", st.name, r.Counter, r.Changed, st.counter, st.changed)
		}
		s = r.Next
	}
	if r := Run(State{}, rows("1"), 0, true); r.Counter != 1 {
		t.Errorf("event table first counter = %d, want 1", r.Counter)
	}
}

func FuzzMultiset(f *testing.F) {
	f.Add("abc", "bcd")
	f.Fuzz(func(t *testing.T, a, b string) {
		var pa, pb []osquery.Row
		for _, c := range a {
			pa = append(pa, osquery.Row{"c": string(c)})
		}
		for _, c := range b {
			pb = append(pb, osquery.Row{"c": string(c)})
		}
		added, removed := Multiset(pa, pb)
		// prev - removed + added must equal cur as multisets.
		count := map[string]int{}
		for _, r := range pa {
			count[Key(r)]++
		}
		for _, r := range removed {
			count[Key(r)]--
		}
		for _, r := range added {
			count[Key(r)]++
		}
		for _, r := range pb {
			count[Key(r)]--
		}
		for k, n := range count {
			if n != 0 {
				t.Fatalf("%q -> %q: %q off by %d", a, b, k, n)
			}
		}
	})
}
