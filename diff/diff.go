// Package diff computes osquery's differential results: what a scheduled
// query's rows added and removed since its last run, and how its epoch and
// counter move. It is pure: the caller stores the state.
package diff

import (
	"sort"
	"strings"

	"github.com/osaudit/osaudit/osquery"
)

// State is what is kept for a query between runs.
type State struct {
	Rows    []osquery.Row // the last result set
	Epoch   uint64
	Counter uint64
	Known   bool // false before the first run
}

// Result is one run's outcome.
type Result struct {
	Added, Removed []osquery.Row
	Counter        uint64
	// Changed is true when the state must be saved: a first run, a new
	// epoch, or a non-empty diff.
	Changed bool
	Next    State
}

// Run diffs rows against the previous state with osquery's semantics: the
// first run, and every run whose stored epoch differs from epoch, reports
// every row as added with counter 0 (event tables start at 1); later, the
// counter rises by one only when the diff is not empty. Rows are compared
// as a multiset of exact rows.
func Run(prev State, rows []osquery.Row, epoch uint64, eventTable bool) Result {
	if !prev.Known || prev.Epoch != epoch {
		counter := uint64(0)
		if eventTable {
			counter = 1
		}
		return Result{
			Added:   rows,
			Counter: counter,
			Changed: true,
			Next:    State{Rows: rows, Epoch: epoch, Counter: counter, Known: true},
		}
	}
	added, removed := Multiset(prev.Rows, rows)
	if len(added) == 0 && len(removed) == 0 {
		return Result{Counter: prev.Counter, Next: prev}
	}
	next := State{Rows: rows, Epoch: epoch, Counter: prev.Counter + 1, Known: true}
	return Result{Added: added, Removed: removed, Counter: next.Counter, Changed: true, Next: next}
}

// Multiset returns the rows of cur missing from prev (added) and of prev
// missing from cur (removed), counting duplicates, in their original order.
func Multiset(prev, cur []osquery.Row) (added, removed []osquery.Row) {
	counts := make(map[string]int, len(prev))
	keys := make([]string, len(prev))
	for i, r := range prev {
		k := Key(r)
		keys[i] = k
		counts[k]++
	}
	for _, r := range cur {
		k := Key(r)
		if counts[k] > 0 {
			counts[k]--
			continue
		}
		added = append(added, r)
	}
	for i, r := range prev {
		if counts[keys[i]] > 0 {
			counts[keys[i]]--
			removed = append(removed, r)
		}
	}
	return added, removed
}

// Key is a row's identity: its columns and values, in column order.
func Key(r osquery.Row) string {
	cols := make([]string, 0, len(r))
	for c := range r {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(c)
		b.WriteByte(0)
		b.WriteString(r[c])
		b.WriteByte(0)
	}
	return b.String()
}
