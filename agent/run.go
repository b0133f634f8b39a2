package agent

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit/diff"
	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/internal/proctime"
	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/state"
	"github.com/osaudit/osaudit/table"
)

// result is a query's rows as osquery logs them.
type result struct {
	Rows    []osquery.Row
	Numeric map[string]bool
}

// query runs SQL and converts its rows to osquery's text form.
func (d *Daemon) query(ctx context.Context, sql string) (result, error) {
	rows, err := d.eng.Query(ctx, sql)
	if err != nil {
		return result{}, err
	}
	defer rows.Close()
	cols := rows.Columns()
	types := rows.DeclTypes()
	res := result{Rows: []osquery.Row{}, Numeric: map[string]bool{}}
	for i, c := range cols {
		if i < len(types) {
			switch strings.ToUpper(types[i]) {
			case "INTEGER", "BIGINT", "UNSIGNED_BIGINT", "DOUBLE", "INT", "REAL":
				res.Numeric[c] = true
			}
		}
	}
	for rows.Next() {
		r := make(osquery.Row, len(cols))
		for i, v := range rows.Values() {
			switch v := v.(type) {
			case nil:
				r[cols[i]] = ""
			case int64:
				r[cols[i]] = strconv.FormatInt(v, 10)
				if i >= len(types) || types[i] == "" {
					res.Numeric[cols[i]] = true
				}
			case float64:
				r[cols[i]] = table.FormatDouble(v)
				if i >= len(types) || types[i] == "" {
					res.Numeric[cols[i]] = true
				}
			case string:
				r[cols[i]] = v
			case []byte:
				r[cols[i]] = string(v)
			}
		}
		res.Rows = append(res.Rows, r)
	}
	return res, rows.Err()
}

// runScheduled runs one scheduled query at its second and buffers its
// result lines with its new state in one transaction.
func (d *Daemon) runScheduled(ctx context.Context, q *scheduled, at time.Time) {
	if d.denylisted(q.Name, d.deps.Now()) {
		return
	}
	if q.Pack != "" && !d.discoveryPasses(ctx, q.Pack) {
		return
	}
	decorations := d.decorate(ctx)
	d.db.Put(ctx, "executing_query", []byte(q.Name))
	start := time.Now()
	user0, sys0 := proctime.Self()
	res, err := d.query(context.WithValue(ctx, scheduledKey{}, q.Name), q.SQL)
	wall := time.Since(start)
	user1, sys1 := proctime.Self()
	d.db.Delete(ctx, "executing_query")
	d.mu.Lock()
	st := &q.stats
	st.Executions++
	st.LastExecuted = at.Unix()
	st.LastWallTimeMs = wall.Milliseconds()
	st.WallTimeMs += st.LastWallTimeMs
	st.LastUserTime = (user1 - user0).Milliseconds()
	st.UserTime += st.LastUserTime
	st.LastSystemTime = (sys1 - sys0).Milliseconds()
	st.SystemTime += st.LastSystemTime
	st.LastMemory = heapBytes()
	st.AverageMemory = (st.AverageMemory*(st.Executions-1) + st.LastMemory) / st.Executions
	d.mu.Unlock()
	if err != nil {
		d.status(ctx, osquery.SeverityError, queryError(q.Name, err))
		return
	}
	header := osquery.ResultHeader{
		Name:                q.Name,
		HostIdentifier:      d.hostIdentifier(ctx),
		Time:                at,
		Epoch:               d.opts.Epoch,
		Numerics:            d.opts.LoggerNumerics,
		Numeric:             res.Numeric,
		Decorations:         decorations,
		DecorationsTopLevel: d.opts.DecorationsTopLevel,
	}
	var lines []state.Line
	var next *diff.State
	if q.Snapshot {
		var data [][]byte
		if d.opts.LoggerSnapshotEventType {
			data = header.SnapshotEventLines(res.Rows)
		} else {
			data = [][]byte{header.SnapshotLine(res.Rows)}
		}
		for _, b := range data {
			lines = append(lines, state.Line{Kind: state.KindSnapshot, Data: b})
		}
	} else if q.EventBased && d.opts.EventsOptimize {
		// An optimized event query returns only new events: they are all
		// added, and no state of rows is kept. Its counter restarts at 1.
		if len(res.Rows) == 0 {
			d.commitEventCursors(q.Name)
			return
		}
		prev, err := d.db.QueryState(ctx, q.Name)
		if err != nil {
			d.status(ctx, osquery.SeverityError, fmt.Sprintf("cannot read the last results of %s: %v", q.Name, err))
			return
		}
		header.Counter = 1
		if prev.Known && prev.Epoch == d.opts.Epoch {
			header.Counter = prev.Counter + 1
		}
		next = &diff.State{Epoch: d.opts.Epoch, Counter: header.Counter, Known: true}
		for _, b := range header.EventLines(res.Rows, nil) {
			lines = append(lines, state.Line{Kind: state.KindResult, Data: b})
		}
	} else {
		prev, err := d.db.QueryState(ctx, q.Name)
		if err != nil {
			d.status(ctx, osquery.SeverityError, fmt.Sprintf("cannot read the last results of %s: %v", q.Name, err))
			return
		}
		r := diff.Run(prev, res.Rows, d.opts.Epoch, false)
		if !r.Changed {
			return
		}
		next = &r.Next
		header.Counter = r.Counter
		removed := r.Removed
		if !q.Removed {
			removed = nil
		}
		var data [][]byte
		switch {
		case d.opts.LoggerEventType:
			data = header.EventLines(r.Added, removed)
		case len(r.Added) > 0 || len(removed) > 0 || r.Counter == 0:
			data = [][]byte{header.BatchLine(r.Added, removed)}
		}
		for _, b := range data {
			lines = append(lines, state.Line{Kind: state.KindResult, Data: b})
		}
	}
	var size int64
	for _, l := range lines {
		size += int64(len(l.Data))
	}
	d.mu.Lock()
	st.OutputSize += size
	d.mu.Unlock()
	d.fault("before-commit")
	dropped, err := d.db.Commit(ctx, q.Name, next, lines, int(d.opts.BufferedLogMax))
	d.fault("after-commit")
	if err != nil {
		d.status(ctx, osquery.SeverityError, fmt.Sprintf("cannot buffer the results of %s (they will be computed again): %v", q.Name, err))
		return
	}
	d.commitEventCursors(q.Name)
	if dropped > 0 {
		d.dropped += int64(dropped)
		d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("buffered_log_max reached: dropped the %d oldest buffered lines (%d in all)", dropped, d.dropped))
	}
}

// queryError words a failed scheduled query's status line; for an unknown
// table it names the query and the table.
func queryError(name string, err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "no such table: "); i >= 0 {
		if t := strings.Fields(msg[i+len("no such table: "):]); len(t) > 0 {
			return fmt.Sprintf("Error executing scheduled query %s: unknown table %s", name, t[0])
		}
	}
	if errors.Is(err, engine.ErrTimeout) {
		return fmt.Sprintf("Error executing scheduled query %s: %s (--query_timeout)", name, msg)
	}
	return fmt.Sprintf("Error executing scheduled query %s: %s", name, msg)
}

// runStartupQueries runs the queries with a startup_priority once, lowest
// first.
func (d *Daemon) runStartupQueries(ctx context.Context) {
	d.mu.Lock()
	var qs []*scheduled
	for _, q := range d.queries {
		if q.Priority != nil {
			qs = append(qs, q)
		}
	}
	d.mu.Unlock()
	sort.SliceStable(qs, func(i, j int) bool { return *qs[i].Priority < *qs[j].Priority })
	for _, q := range qs {
		d.runScheduled(ctx, q, d.deps.Now())
	}
}

// discoveryPasses evaluates a pack's discovery queries: the pack runs only
// if each returns a row. The answer is cached for pack_refresh_interval.
func (d *Daemon) discoveryPasses(ctx context.Context, pack string) bool {
	d.mu.Lock()
	var ps *packState
	for _, p := range d.packs {
		if p.Name == pack {
			ps = p
		}
	}
	d.mu.Unlock()
	if ps == nil || len(ps.Pack.Discovery) == 0 {
		return true
	}
	now := d.deps.Now()
	if !ps.Discovery.Checked.IsZero() && now.Sub(ps.Discovery.Checked) < seconds(d.opts.PackRefreshInterval) {
		ps.Discovery.CacheHits++
		return ps.Discovery.Passed
	}
	ps.Discovery.Checked = now
	ps.Discovery.Executions++
	ps.Discovery.Passed = true
	for _, sql := range ps.Pack.Discovery {
		res, err := d.query(ctx, sql)
		if err != nil {
			d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("discovery query of pack %s failed: %v", pack, err))
			ps.Discovery.Passed = false
			break
		}
		if len(res.Rows) == 0 {
			ps.Discovery.Passed = false
			break
		}
	}
	return ps.Discovery.Passed
}

// decorate returns the decorations for a log line: the load decorators,
// then the interval ones, then the always ones, later keys winning.
func (d *Daemon) decorate(ctx context.Context) map[string]string {
	if d.opts.DisableDecorators || d.cfg == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range d.decorations.load {
		out[k] = v
	}
	intervals := make([]uint64, 0, len(d.decorations.interval))
	for n := range d.decorations.interval {
		intervals = append(intervals, n)
	}
	sort.Slice(intervals, func(i, j int) bool { return intervals[i] < intervals[j] })
	for _, n := range intervals {
		for k, v := range d.decorations.interval[n] {
			out[k] = v
		}
	}
	for k, v := range d.runDecorators(ctx, d.cfg.Decorators.Always) {
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (d *Daemon) runLoadDecorators(ctx context.Context) {
	if d.opts.DisableDecorators {
		return
	}
	d.decorations.load = d.runDecorators(ctx, d.cfg.Decorators.Load)
	d.decorations.interval = map[uint64]map[string]string{}
	for n, qs := range d.cfg.Decorators.Interval {
		d.decorations.interval[n] = d.runDecorators(ctx, qs)
	}
}

func (d *Daemon) runIntervalDecorators(ctx context.Context, sec int64) {
	if d.opts.DisableDecorators || d.cfg == nil {
		return
	}
	for n, qs := range d.cfg.Decorators.Interval {
		if sec%int64(n) == 0 {
			d.decorations.interval[n] = d.runDecorators(ctx, qs)
		}
	}
}

// runDecorators runs decorator queries; each one's first row gives keys.
func (d *Daemon) runDecorators(ctx context.Context, queries []string) map[string]string {
	out := map[string]string{}
	for _, sql := range queries {
		res, err := d.query(ctx, sql)
		if err != nil {
			d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("decorator query failed: %s: %v", sql, err))
			continue
		}
		if len(res.Rows) > 0 {
			for k, v := range res.Rows[0] {
				out[k] = v
			}
		}
	}
	return out
}

// heapBytes is the memory the agent holds in live objects. (runtime/metrics
// would avoid the brief stop, but its init costs every osaudit process a
// quarter of a millisecond.)
func heapBytes() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
