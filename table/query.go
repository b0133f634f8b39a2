package table

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/osaudit/osaudit/hostfs"
)

// Op is a constraint operator pushed down to a table.
type Op uint8

// Operators that reach tables.
const (
	EQ Op = iota + 1
	LIKE
	GLOB
	GT
	GE
	LT
	LE
)

var opNames = [...]string{EQ: "=", LIKE: "LIKE", GLOB: "GLOB", GT: ">", GE: ">=", LT: "<", LE: "<="}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Constraint is one WHERE condition that reached the table.
type Constraint struct {
	Column int
	Op     Op
	Value  Value
}

// Row is one row under construction: a value per column, NULL until set.
type Row struct {
	t    *Table
	vals []Value
}

// Set sets a column by name. An unknown name is a programming error and
// panics; every table's golden test runs every Set.
func (r Row) Set(name string, v Value) {
	i, ok := r.t.index[name]
	if !ok {
		panic(fmt.Sprintf("table %s: no column %q", r.t.Name, name))
	}
	r.vals[i] = v
}

// Get returns a column by name.
func (r Row) Get(name string) Value {
	if i, ok := r.t.index[name]; ok {
		return r.vals[i]
	}
	return Null
}

// Values returns the row's values in column order. The slice is the row's
// own storage.
func (r Row) Values() []Value { return r.vals }

// Table returns the table the row belongs to.
func (r Row) Table() *Table { return r.t }

// Query is what a table is told about the query it serves: the host root,
// the constraints that reached it and the columns the query uses.
type Query struct {
	ctx  context.Context
	root *hostfs.Root
	log  *slog.Logger
	t    *Table
	used uint64 // bit i: column i is used; bit 63: some column >= 63
	cons []Constraint
	rt   Runtime
}

// NewQuery builds the context for one Generate call. used is SQLite's
// colUsed mask; ^uint64(0) means every column.
func NewQuery(ctx context.Context, root *hostfs.Root, log *slog.Logger, t *Table, used uint64, cons []Constraint) *Query {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Query{ctx: ctx, root: root, log: log, t: t, used: used, cons: cons}
}

// SetRuntime sets the agent the query runs in.
func (q *Query) SetRuntime(rt Runtime) { q.rt = rt }

// Runtime returns the agent the query runs in, or nil outside an agent.
func (q *Query) Runtime() Runtime { return q.rt }

// Context returns the query's context; long scans check it.
func (q *Query) Context() context.Context { return q.ctx }

// Root returns the host root to read from.
func (q *Query) Root() *hostfs.Root { return q.root }

// Table returns the table being queried.
func (q *Query) Table() *Table { return q.t }

// NewRow returns an all-NULL row of the table.
func (q *Query) NewRow() Row { return Row{t: q.t, vals: make([]Value, len(q.t.Columns))} }

// Used reports whether the query uses any of the named columns. Tables skip
// the sources that only unused columns need.
func (q *Query) Used(names ...string) bool {
	for _, n := range names {
		i, ok := q.t.index[n]
		if !ok {
			panic(fmt.Sprintf("table %s: no column %q", q.t.Name, n))
		}
		bit := uint64(1) << min(i, 63)
		if q.used&bit != 0 {
			return true
		}
	}
	return false
}

// Constraints returns the constraints on a column.
func (q *Query) Constraints(name string) []Constraint {
	i, ok := q.t.index[name]
	if !ok {
		panic(fmt.Sprintf("table %s: no column %q", q.t.Name, name))
	}
	var out []Constraint
	for _, c := range q.cons {
		if c.Column == i {
			out = append(out, c)
		}
	}
	return out
}

// Equals returns the values a column is constrained to equal. SQLite runs a
// table once per value of an IN list, so there is at most one per call.
func (q *Query) Equals(name string) []Value {
	var out []Value
	for _, c := range q.Constraints(name) {
		if c.Op == EQ {
			out = append(out, c.Value)
		}
	}
	return out
}

// Constrained reports whether a column has an equality constraint.
func (q *Query) Constrained(name string) bool { return len(q.Equals(name)) > 0 }

// EqualTexts returns the equality constraints on a column as text.
func (q *Query) EqualTexts(name string) []string {
	var out []string
	for _, v := range q.Equals(name) {
		if !v.IsNull() {
			out = append(out, v.String())
		}
	}
	return out
}

// EqualInts returns the equality constraints on a column as integers. ok is
// false when a constraint exists but none of its values is an integer: the
// query asks for something that cannot match.
func (q *Query) EqualInts(name string) (vals []int64, constrained bool) {
	eq := q.Equals(name)
	for _, v := range eq {
		if i, ok := v.Int(); ok {
			vals = append(vals, i)
		}
	}
	return vals, len(eq) > 0
}

// Patterns returns the LIKE patterns on a column.
func (q *Query) Patterns(name string) []string {
	var out []string
	for _, c := range q.Constraints(name) {
		if c.Op == LIKE && !c.Value.IsNull() {
			out = append(out, c.Value.String())
		}
	}
	return out
}

// UIDs returns the users a per-user (user_data) table reports: those the
// query's uid constraint names, or else the current user only, as osquery
// does.
func (q *Query) UIDs() []int64 {
	if uids, constrained := q.EqualInts("uid"); constrained {
		slices.Sort(uids)
		return slices.Compact(uids)
	}
	return []int64{q.root.UID()}
}

// Warn logs a problem that cost rows or columns but not the query.
func (q *Query) Warn(msg string, args ...any) {
	q.log.Warn(q.t.Name+": "+msg, args...)
}
