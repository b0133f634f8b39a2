package tables

import (
	"math"

	"github.com/osaudit/osaudit/table"
)

// genEventTable generates an event table (process_events, file_events, ...)
// from the events the agent's event runtime stored for it: its values are
// in the table's column order. Outside an agent that collects events (the
// shell) the table is empty. A time constraint (=, >, >=, <, <=) skips the
// events outside its range, as osquery's subscribers do.
func genEventTable(q *table.Query, yield func(table.Row) bool) error {
	name := q.Table().Name
	er, ok := q.Runtime().(table.EventRuntime)
	if !ok {
		q.Warn("table is event-based but events are not collected here: only the daemon runs event publishers")
		return nil
	}
	if !eventSubscriberActive(er, name) {
		q.Warn("table is event-based but its subscriber is not running; see osquery_events")
	}
	lo, hi := eventTimeBounds(q)
	if lo > hi {
		return nil
	}
	ctx := q.Context()
	ncols := len(q.Table().Columns)
	n, warned := 0, false
	er.Events(ctx, name, lo != math.MinInt64 || hi != math.MaxInt64, func(e table.Event) bool {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return false
		}
		if e.Time < lo || e.Time > hi {
			return true
		}
		if len(e.Values) != ncols {
			if !warned {
				q.Warn("skipping events whose values do not match the table's columns", "values", len(e.Values), "columns", ncols)
				warned = true
			}
			return true
		}
		r := q.NewRow()
		copy(r.Values(), e.Values)
		return yield(r)
	})
	return nil
}

// eventSubscriberActive reports whether the runtime says an event table's
// subscriber runs.
func eventSubscriberActive(er table.EventRuntime, name string) bool {
	for _, s := range er.EventStatus() {
		if s.Type == "subscriber" && s.Name == name {
			return s.Active
		}
	}
	return false
}

// eventTimeBounds reads the constraints on an event table's time column as
// an inclusive range of Unix seconds; constraints that are not integers are
// left to SQLite.
func eventTimeBounds(q *table.Query) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	for _, c := range q.Constraints("time") {
		v, ok := c.Value.Int()
		if !ok {
			continue
		}
		switch c.Op {
		case table.EQ:
			lo, hi = max(lo, v), min(hi, v)
		case table.GT:
			if v == math.MaxInt64 {
				return 1, 0
			}
			lo = max(lo, v+1)
		case table.GE:
			lo = max(lo, v)
		case table.LT:
			if v == math.MinInt64 {
				return 1, 0
			}
			hi = min(hi, v-1)
		case table.LE:
			hi = min(hi, v)
		}
	}
	return lo, hi
}
