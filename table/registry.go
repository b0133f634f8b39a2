package table

import (
	"fmt"
	"sort"
	"sync"
)

var registry = struct {
	sync.Mutex
	builders map[string]func() *Table // by table name
	built    map[string]*Table        // by name and, once all are built, alias
	all      bool                     // every table is built
}{builders: map[string]func() *Table{}, built: map[string]*Table{}}

// Register adds a table to the registry under its name, with the function
// that builds its definition. Tables call it from init(); a duplicate name
// is a programming error and panics. Definitions are built (and validated
// by the engine) on first use, so that a one-shot query pays only for the
// tables it names.
func Register(name string, build func() *Table) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.builders[name]; dup || name == "" {
		panic(fmt.Sprintf("table: %q registered twice or without a name", name))
	}
	registry.builders[name] = build
}

// buildLocked builds one registered table.
func buildLocked(name string) (*Table, bool) {
	if t, ok := registry.built[name]; ok {
		return t, true
	}
	build, ok := registry.builders[name]
	if !ok {
		return nil, false
	}
	t := build()
	if t.Name != name {
		panic(fmt.Sprintf("table: %q registered, %q built", name, t.Name))
	}
	registry.built[name] = t
	return t, true
}

// buildAllLocked builds every table and indexes the aliases.
func buildAllLocked() {
	if registry.all {
		return
	}
	for name := range registry.builders {
		t, _ := buildLocked(name)
		for _, a := range t.Aliases {
			if other, dup := registry.built[a]; dup && other != t {
				panic(fmt.Sprintf("table: alias %q of %s is taken", a, name))
			}
			registry.built[a] = t
		}
	}
	registry.all = true
}

// Lookup finds a table by name or alias.
func Lookup(name string) (*Table, bool) {
	registry.Lock()
	defer registry.Unlock()
	if t, ok := buildLocked(name); ok {
		return t, true
	}
	buildAllLocked() // an alias, or nothing: only then build them all
	t, ok := registry.built[name]
	return t, ok
}

// All returns every registered table, sorted by name.
func All() []*Table {
	registry.Lock()
	defer registry.Unlock()
	buildAllLocked()
	out := make([]*Table, 0, len(registry.builders))
	for name := range registry.builders {
		out = append(out, registry.built[name])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns every registered table name and alias, sorted.
func Names() []string {
	registry.Lock()
	defer registry.Unlock()
	buildAllLocked()
	out := make([]string, 0, len(registry.built))
	for n := range registry.built {
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
