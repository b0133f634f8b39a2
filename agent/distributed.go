package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/osaudit/osaudit/internal/proctime"
	"github.com/osaudit/osaudit/osquery"
)

// acceleratedPoll is how often osquery polls during an "accelerate" window.
const acceleratedPoll = 5 * time.Second

// distributedRead is the manager's reply to a distributed read.
type distributedRead struct {
	Queries    map[string]string `json:"queries"`
	Discovery  map[string]string `json:"discovery"`
	Accelerate json.RawMessage   `json:"accelerate"`
}

// runDistributed polls the manager for live queries every
// --distributed_interval seconds (5 s while it asks to accelerate), runs
// them and writes their results, statuses, messages and stats back.
func (d *Daemon) runDistributed(ctx context.Context) {
	var accelerateUntil time.Time
	for {
		wait := seconds(max(d.opts.DistributedInterval, 1))
		if more := d.pollDistributed(ctx); more > 0 {
			accelerateUntil = time.Now().Add(more)
		}
		if time.Now().Before(accelerateUntil) {
			wait = acceleratedPoll
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// pollDistributed does one read-run-write round; it returns the
// accelerate window the manager asked for.
func (d *Daemon) pollDistributed(ctx context.Context) time.Duration {
	var read distributedRead
	if err := d.remote.call(ctx, d.opts.DistributedTLSReadEndpoint, map[string]any{}, &read); err != nil {
		if ctx.Err() == nil {
			d.status(ctx, osquery.SeverityWarning, "distributed read: "+err.Error())
		}
		return 0
	}
	var accelerate time.Duration
	if len(read.Accelerate) > 0 {
		// osquery takes only a JSON integer; a string is ignored.
		if n, err := strconv.ParseInt(string(read.Accelerate), 10, 64); err == nil && n > 0 {
			accelerate = time.Duration(n) * time.Second
		}
	}
	if len(read.Queries) == 0 {
		return accelerate
	}
	w := d.runDistributedQueries(ctx, read)
	if err := d.remote.call(ctx, d.opts.DistributedTLSWriteEndpoint, w, nil); err != nil && ctx.Err() == nil {
		d.status(ctx, osquery.SeverityWarning, "distributed write: "+err.Error())
	}
	return accelerate
}

// runDistributedQueries runs a read's queries, each behind its discovery
// query if it has one, and builds the write body.
func (d *Daemon) runDistributedQueries(ctx context.Context, read distributedRead) map[string]any {
	queries := map[string][]map[string]string{}
	statuses := map[string]int{}
	messages := map[string]string{}
	stats := map[string]map[string]int64{}
	ids := make([]string, 0, len(read.Queries))
	for id := range read.Queries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sql := read.Queries[id]
		if disc, ok := read.Discovery[id]; ok {
			res, err := d.query(ctx, disc)
			if err != nil || len(res.Rows) == 0 {
				continue // osquery runs a query only if its discovery returns a row
			}
		}
		marker := "distributed_running." + sqlHash(sql)
		if b, ok, _ := d.db.Get(ctx, marker); ok && d.deps.Watched {
			if t, err := time.Parse(time.RFC3339, string(b)); err == nil && d.deps.Now().Sub(t) < seconds(d.opts.DistributedDenylistDuration) {
				queries[id], statuses[id], messages[id] = []map[string]string{}, 1, "distributed query is denylisted"
				continue
			}
		}
		d.db.Put(ctx, marker, []byte(d.deps.Now().UTC().Format(time.RFC3339)))
		start := time.Now()
		user0, sys0 := proctime.Self()
		res, err := d.query(ctx, sql)
		user1, sys1 := proctime.Self()
		d.db.Delete(ctx, marker)
		stats[id] = map[string]int64{
			"wall_time_ms": time.Since(start).Milliseconds(),
			"user_time":    (user1 - user0).Milliseconds(),
			"system_time":  (sys1 - sys0).Milliseconds(),
			"memory":       0,
		}
		if err != nil {
			queries[id], statuses[id], messages[id] = []map[string]string{}, 1, err.Error()
			continue
		}
		rows := make([]map[string]string, len(res.Rows))
		for i, r := range res.Rows {
			rows[i] = r
		}
		queries[id], statuses[id], messages[id] = rows, 0, ""
	}
	return map[string]any{"queries": queries, "statuses": statuses, "messages": messages, "stats": stats}
}

func sqlHash(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:8])
}
