package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"modernc.org/sqlite/vtab"

	"github.com/osaudit/osaudit/table"
)

// module makes one table available to SQLite. Each CREATE VIRTUAL TABLE
// passes the connection's id as the module argument, so the table instance
// knows whose query context it serves.
type module struct {
	e *Engine
	t *table.Table
}

func (m *module) Create(ctx vtab.Context, args []string) (vtab.Table, error) {
	return m.Connect(ctx, args)
}

func (m *module) Connect(ctx vtab.Context, args []string) (vtab.Table, error) {
	if err := ctx.Declare(m.t.DeclareSQL(m.e.hasCollation)); err != nil {
		return nil, fmt.Errorf("%s: declare: %w", m.t.Name, err)
	}
	var st *connState
	if len(args) > 3 {
		st = m.e.conn(strings.TrimSpace(args[3]))
	}
	cols := len(m.t.Columns)
	targets := make([]int, cols, cols+len(m.t.AliasTargets()))
	for i := range targets {
		targets[i] = i
	}
	targets = append(targets, m.t.AliasTargets()...)
	return &vtable{e: m.e, t: m.t, st: st, targets: targets}, nil
}

// vtable is one table instance on one connection.
type vtable struct {
	e       *Engine
	t       *table.Table
	st      *connState
	targets []int // declared column position -> real column (aliases map to their column)
}

// Costs steer SQLite's planner: a lookup by pushed-down value beats a scan,
// and a plan that lacks a required constraint is never chosen while another
// exists. BestIndex must not fail for it: SQLite probes such plans while it
// orders joins, and a failing BestIndex fails the whole join.
const (
	costLookup   = 10
	costScan     = 1e6
	costMissing  = 1e18
	planMissing  = 1 // IdxNum: a required constraint is missing
	rowsLookup   = 10
	rowsScan     = 1000
	rowsMissing  = 1e9
	opPattern    = "LIKE"
	opEqual      = "="
	planSplitter = ";"
)

func (v *vtable) BestIndex(info *vtab.IndexInfo) error {
	var plan strings.Builder
	var used uint64
	for bit := 0; bit < 64; bit++ {
		if info.ColUsed&(1<<bit) == 0 {
			continue
		}
		if bit == 63 {
			used |= 1 << 63 // SQLite: some column at position 63 or beyond
			for i := 63; i < len(v.targets); i++ {
				used |= 1 << min(v.targets[i], 63)
			}
			continue
		}
		if bit < len(v.targets) {
			used |= 1 << min(v.targets[bit], 63)
		}
	}
	plan.WriteString(strconv.FormatUint(used, 16))
	arg := 0
	hasEqual, hasRequired := false, false
	for i, c := range info.Constraints {
		if !c.Usable || c.Column < 0 || c.Column >= len(v.targets) {
			continue
		}
		col := v.targets[c.Column]
		column := v.t.Columns[col]
		if !column.Pushable() {
			continue
		}
		var op string
		switch {
		case c.Op == vtab.OpEQ || c.Op == vtab.OpIS:
			op = opEqual
			hasEqual = true
			hasRequired = hasRequired || column.Has(table.Required)
		case c.Op == vtab.OpLIKE && column.Type == table.TypeText:
			op = opPattern
			hasRequired = hasRequired || column.Has(table.Required)
		case column.Has(table.Additional) && rangeOps[c.Op] != 0:
			// Ranges reach additional columns only: event tables read
			// "time > X" to skip old events, as osquery does.
			op = rangeOps[c.Op].String()
		default:
			continue
		}
		info.Constraints[i].ArgIndex = arg
		arg++
		fmt.Fprintf(&plan, "%s%d%s", planSplitter, col, op)
	}
	info.IdxStr = plan.String()
	switch {
	case len(v.t.RequiredColumns()) > 0 && !hasRequired:
		info.IdxNum = planMissing
		info.EstimatedCost, info.EstimatedRows = costMissing, rowsMissing
	case hasEqual:
		info.EstimatedCost, info.EstimatedRows = costLookup, rowsLookup
	case hasRequired:
		info.EstimatedCost, info.EstimatedRows = costLookup*100, rowsScan
	default:
		info.EstimatedCost, info.EstimatedRows = costScan, rowsScan
	}
	return nil
}

func (v *vtable) Open() (vtab.Cursor, error) { return &cursor{v: v}, nil }
func (v *vtable) Disconnect() error          { return nil }
func (v *vtable) Destroy() error             { return nil }

// cursor pulls rows from the table's generator one at a time, so a large
// table streams through SQLite instead of being built in memory, and LIMIT
// stops the generator early.
type cursor struct {
	v       *vtable
	next    func() (table.Row, error, bool)
	stop    func()
	row     table.Row
	eof     bool
	pending error // a generator error after the first row, reported by Column
	rowid   int64
	warned  map[int]bool
}

// ErrRequired is the error (wrapped) a query gets when it reads a table with
// required columns without constraining any of them.
var ErrRequired = errors.New("a constraint on a required column is needed")

func (c *cursor) Filter(idxNum int, idxStr string, vals []vtab.Value) error {
	c.close()
	t := c.v.t
	if idxNum == planMissing {
		req := t.RequiredColumns()
		return fmt.Errorf("%s: %w: add WHERE %s = ... (or IN, or a JOIN on %s)",
			t.Name, ErrRequired, strings.Join(req, " = ... or "), strings.Join(req, " or "))
	}
	parts := strings.Split(idxStr, planSplitter)
	used, err := strconv.ParseUint(parts[0], 16, 64)
	if err != nil {
		return fmt.Errorf("%s: bad plan %q", t.Name, idxStr)
	}
	var cons []table.Constraint
	for i, p := range parts[1:] {
		if i >= len(vals) {
			break
		}
		col, op, ok := parsePlanConstraint(p)
		if !ok {
			return fmt.Errorf("%s: bad plan %q", t.Name, idxStr)
		}
		cons = append(cons, table.Constraint{Column: col, Op: op, Value: table.FromAny(vals[i])})
	}
	ctx := context.Background()
	if c.v.st != nil {
		if p := c.v.st.ctx.Load(); p != nil {
			ctx = *p
		}
	}
	q := table.NewQuery(ctx, c.v.e.root, c.v.e.log, t, used, cons)
	q.SetRuntime(c.v.e.rt)
	c.next, c.stop = iter.Pull2(generate(q))
	c.eof, c.pending, c.rowid = false, nil, 0
	return c.advance(true)
}

// rangeOps maps the SQLite range operators pushed to additional columns to
// the table's.
var rangeOps = map[vtab.ConstraintOp]table.Op{
	vtab.OpGT: table.GT, vtab.OpGE: table.GE, vtab.OpLT: table.LT, vtab.OpLE: table.LE,
}

// parsePlanConstraint reads one "<column><op>" element of a plan string.
func parsePlanConstraint(p string) (col int, op table.Op, ok bool) {
	i := 0
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	col, err := strconv.Atoi(p[:i])
	if err != nil {
		return 0, 0, false
	}
	switch p[i:] {
	case opEqual:
		op = table.EQ
	case opPattern:
		op = table.LIKE
	case table.GT.String():
		op = table.GT
	case table.GE.String():
		op = table.GE
	case table.LT.String():
		op = table.LT
	case table.LE.String():
		op = table.LE
	default:
		return 0, 0, false
	}
	return col, op, true
}

// generate adapts a table's generator to an iterator, turning a panic in
// table code into an error so that bad host data never crashes the agent.
func generate(q *table.Query) iter.Seq2[table.Row, error] {
	return func(yield func(table.Row, error) bool) {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%s: internal error: %v", q.Table().Name, r)
				}
			}()
			err = q.Table().Generate(q, func(r table.Row) bool { return yield(r, nil) })
		}()
		if err != nil {
			yield(table.Row{}, err)
		}
	}
}

func (c *cursor) advance(first bool) error {
	row, err, ok := c.next()
	switch {
	case !ok:
		c.eof = true
	case err != nil:
		if first {
			c.eof = true
			return err
		}
		// Errors from Next lose their text in the driver; Column keeps it.
		c.pending = err
	default:
		c.row = row
		c.rowid++
	}
	return nil
}

func (c *cursor) Next() error {
	if c.pending != nil {
		c.eof = true
		return nil
	}
	return c.advance(false)
}

func (c *cursor) Eof() bool { return c.eof }

func (c *cursor) Column(col int) (vtab.Value, error) {
	if c.pending != nil {
		return nil, c.pending
	}
	if col < 0 || col >= len(c.v.targets) {
		return nil, nil
	}
	real := c.v.targets[col]
	column := c.v.t.Columns[real]
	v, ok := c.row.Values()[real].As(column.Type)
	if !ok && !c.warned[real] {
		if c.warned == nil {
			c.warned = map[int]bool{}
		}
		c.warned[real] = true
		c.v.e.log.Warn(c.v.t.Name+": value does not fit the column's type", "column", column.Name, "type", column.Type, "value", c.row.Values()[real].String())
	}
	return v.Any(), nil
}

func (c *cursor) Rowid() (int64, error) { return c.rowid, nil }

func (c *cursor) Close() error { c.close(); return nil }

func (c *cursor) close() {
	if c.stop != nil {
		c.stop()
		c.stop, c.next = nil, nil
	}
}
