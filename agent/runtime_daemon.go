package agent

import (
	"context"

	"github.com/osaudit/osaudit/table"
)

// daemonRuntime shows the daemon to the osquery_* tables.
type daemonRuntime struct{ d *Daemon }

var (
	_ table.Runtime         = daemonRuntime{}
	_ table.ScheduleRuntime = daemonRuntime{}
	_ table.EventRuntime    = daemonRuntime{}
)

func (r daemonRuntime) Info() table.AgentInfo {
	uuid := r.d.hostUUID(context.Background())
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	info := r.d.rt.Info()
	info.UUID = uuid
	return info
}

func (r daemonRuntime) Flags() []table.Flag     { return r.d.rt.Flags() }
func (r daemonRuntime) Plugins() []table.Plugin { return r.d.rt.Plugins() }

func (r daemonRuntime) Schedule() []table.ScheduledQuery {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	now := r.d.deps.Now()
	out := make([]table.ScheduledQuery, 0, len(r.d.queries))
	for _, q := range r.d.queries {
		s := q.stats
		out = append(out, table.ScheduledQuery{
			Name: q.Name, Query: q.SQL, Interval: int64(q.Interval),
			Executions: s.Executions, LastExecuted: s.LastExecuted,
			Denylisted: r.d.denylisted(q.Name, now), OutputSize: s.OutputSize,
			WallTimeMs: s.WallTimeMs, LastWallTimeMs: s.LastWallTimeMs,
			UserTime: s.UserTime, LastUserTime: s.LastUserTime,
			SystemTime: s.SystemTime, LastSystemTime: s.LastSystemTime,
			AverageMemory: s.AverageMemory, LastMemory: s.LastMemory,
		})
	}
	return out
}

func (r daemonRuntime) Packs() []table.PackStatus {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	out := make([]table.PackStatus, 0, len(r.d.packs))
	for _, p := range r.d.packs {
		active := p.Active && (len(p.Pack.Discovery) == 0 || p.Discovery.Passed || p.Discovery.Checked.IsZero())
		out = append(out, table.PackStatus{
			Name: p.Name, Platform: p.Pack.Platform, Version: p.Pack.Version, Shard: int64(p.Pack.Shard),
			DiscoveryCacheHits: p.Discovery.CacheHits, DiscoveryExecutions: p.Discovery.Executions, Active: active,
		})
	}
	return out
}
