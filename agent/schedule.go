package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit/osquery"
)

// scheduled is one query of the compiled schedule.
type scheduled struct {
	Name     string // as logged: bare for "schedule", pack<d>pack<d>query for packs
	Pack     string // "" for the top-level schedule
	SQL      string
	Interval uint64 // seconds, before splay
	Splayed  uint64 // seconds, the period it runs at
	Snapshot bool
	Removed  bool
	Denylist bool
	Priority *uint64
	// EventBased queries read event tables: with --events_optimize each
	// run sees only new events.
	EventBased bool

	stats queryStats
}

// queryStats feed osquery_schedule.
type queryStats struct {
	Executions, LastExecuted   int64
	OutputSize                 int64
	WallTimeMs, LastWallTimeMs int64
	UserTime, LastUserTime     int64
	SystemTime, LastSystemTime int64
	AverageMemory, LastMemory  int64
}

// packState is a pack with its discovery status.
type packState struct {
	Name      string
	Pack      osquery.Pack
	Active    bool // platform, version and shard allow it
	Discovery struct {
		Checked    time.Time
		Passed     bool
		Executions int64
		CacheHits  int64
	}
}

// compile turns a config into the schedule this host runs, with osquery's
// rules: platform, version and shard at pack and query level.
func compile(cfg *osquery.Config, delim, hostname string, defaultInterval uint64) (queries []*scheduled, packs []*packState) {
	add := func(name, pack string, q osquery.Query) {
		if !osquery.PlatformMatches(q.Platform, runtime.GOOS) || !osquery.VersionAtLeast(osquery.CompatVersion, q.Version) ||
			!osquery.ShardMatches(q.Shard, hostname) {
			return
		}
		interval := q.Interval
		if interval == 0 {
			interval = defaultInterval
		}
		queries = append(queries, &scheduled{
			Name: name, Pack: pack, SQL: q.Query, Interval: interval, Splayed: interval,
			Snapshot: q.Snapshot, Removed: q.Removed, Denylist: q.Denylist, Priority: q.StartupPriority,
			EventBased: eventBased(q.Query),
		})
	}
	for name, q := range cfg.Schedule {
		add(name, "", q)
	}
	for name, p := range cfg.Packs {
		ps := &packState{Name: name, Pack: p}
		ps.Active = osquery.PlatformMatches(p.Platform, runtime.GOOS) && osquery.VersionAtLeast(osquery.CompatVersion, p.Version) &&
			osquery.ShardMatches(p.Shard, hostname)
		packs = append(packs, ps)
		if !ps.Active {
			continue
		}
		for qn, q := range p.Queries {
			add(osquery.PackQueryName(delim, name, qn), name, q)
		}
	}
	sort.Slice(queries, func(i, j int) bool { return queries[i].Name < queries[j].Name })
	sort.Slice(packs, func(i, j int) bool { return packs[i].Name < packs[j].Name })
	return queries, packs
}

// splay returns the interval a query runs at: interval moved by a random
// amount within ±percent, kept per query in the state database and reused
// while the interval stays the same, as osquery does.
func (d *Daemon) splay(ctx context.Context, name string, interval, percent uint64) uint64 {
	if percent == 0 || interval < 2 {
		return interval
	}
	key := "interval." + name
	if b, ok, _ := d.db.Get(ctx, key); ok {
		was, splayed, found := strings.Cut(string(b), ":")
		if found && was == strconv.FormatUint(interval, 10) {
			if n, err := strconv.ParseUint(splayed, 10, 64); err == nil && n > 0 {
				return n
			}
		}
	}
	span := interval * percent / 100
	splayed := interval
	if span > 0 {
		splayed = interval - span + rand.Uint64N(2*span+1)
	}
	splayed = max(splayed, 1)
	d.db.Put(ctx, key, []byte(fmt.Sprintf("%d:%d", interval, splayed)))
	return splayed
}

// due lists the queries that run at second t: osquery runs a query when
// the scheduler's second counter is a multiple of its splayed interval.
func due(queries []*scheduled, t int64) []*scheduled {
	var out []*scheduled
	for _, q := range queries {
		if q.Splayed > 0 && t%int64(q.Splayed) == 0 {
			out = append(out, q)
		}
	}
	return out
}
