package table

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

var registry = struct {
	sync.RWMutex
	byName map[string]*Table // names and aliases
	tables []*Table
	sorted bool
}{byName: map[string]*Table{}}

// Register adds a table to the registry. Tables call it from init(); a
// duplicate name is a programming error and panics. The definition itself
// is validated when an engine first serves the table (and by the tests), so
// that a process pays only for the tables it queries.
func Register(t *Table) {
	if t.Name == "" {
		panic("table: Register of a table without a name")
	}
	registry.Lock()
	defer registry.Unlock()
	for _, n := range append([]string{t.Name}, t.Aliases...) {
		if _, dup := registry.byName[n]; dup {
			panic(fmt.Sprintf("table: %q registered twice", n))
		}
		registry.byName[n] = t
	}
	registry.tables = append(registry.tables, t)
	registry.sorted = false
}

// Lookup finds a table by name or alias.
func Lookup(name string) (*Table, bool) {
	registry.RLock()
	defer registry.RUnlock()
	t, ok := registry.byName[name]
	return t, ok
}

// All returns every registered table, sorted by name.
func All() []*Table {
	registry.Lock()
	defer registry.Unlock()
	if !registry.sorted {
		sort.Slice(registry.tables, func(i, j int) bool { return registry.tables[i].Name < registry.tables[j].Name })
		registry.sorted = true
	}
	return slices.Clone(registry.tables)
}

// Names returns every registered table name and alias, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.byName))
	for n := range registry.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Closest returns up to n of names nearest to name by edit distance, for
// "did you mean" hints.
func Closest(name string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, t := range names {
		d := distance(name, t)
		if d <= max(2, len(name)/2) {
			cs = append(cs, cand{t, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.name)
	}
	return out
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
