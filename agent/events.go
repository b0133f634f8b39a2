package agent

import (
	"context"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/events"
	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/table"
)

// scheduledKey marks a query's context with the scheduled query it runs,
// so that event tables give it only the events it has not seen.
type scheduledKey struct{}

// startEvents builds and starts the event publishers the flags and the
// config enable. Publishers the kernel refuses report why and stay idle.
func (d *Daemon) startEvents(ctx context.Context) error {
	o := d.opts
	cfg := events.Config{
		Root: d.root,
		Now:  d.deps.Now,
		Status: func(sev int, msg string) {
			d.status(context.Background(), osquery.Severity(sev), msg)
		},
		DisableEvents:           o.DisableEvents,
		EventsMax:               int(o.EventsMax),
		EventsExpiry:            seconds(o.EventsExpiry),
		DisableAudit:            o.DisableAudit,
		AuditAllowProcessEvents: o.AuditAllowProcessEvents,
		AuditAllowSockets:       o.AuditAllowSockets,
		AuditAllowUserEvents:    o.AuditAllowUserEvents,
		AuditAllowConfig:        o.AuditAllowConfig,
		EnableFileEvents:        o.EnableFileEvents,
		HardwareDisabledTypes:   splitList(o.HardwareDisabledTypes),
	}
	if d.cfg != nil {
		cfg.FilePaths, cfg.ExcludePaths, cfg.FileAccesses = d.cfg.FilePaths, d.cfg.ExcludePaths, d.cfg.FileAccesses
		cfg.DisableSubscribers, cfg.EnableSubscribers = d.cfg.Events.DisableSubscribers, d.cfg.Events.EnableSubscribers
	}
	d.events = events.New(cfg)
	d.eventCursors = map[string]map[string]uint64{}
	if o.DisableEvents {
		return nil
	}
	return d.events.Start(ctx)
}

// eventBased reports whether a query reads an event table.
func eventBased(sql string) bool {
	for _, t := range engine.TablesIn(sql) {
		if t.Has(table.EventSubscriber) {
			return true
		}
	}
	return false
}

// Events implements table.EventRuntime for the daemon: a scheduled query
// with --events_optimize gets only events newer than those its last
// committed run saw (unless it constrains time itself, as in osquery).
func (r daemonRuntime) Events(ctx context.Context, name string, timeBounded bool, fn func(table.Event) bool) {
	d := r.d
	if d.events == nil {
		return
	}
	query, _ := ctx.Value(scheduledKey{}).(string)
	if query == "" || !d.opts.EventsOptimize || timeBounded {
		d.events.Events(name, fn)
		return
	}
	d.mu.Lock()
	seen := d.eventCursors[query][name]
	d.mu.Unlock()
	last := seen
	d.events.Events(name, func(e table.Event) bool {
		if e.ID <= seen {
			return true
		}
		last = max(last, e.ID)
		return fn(e)
	})
	d.mu.Lock()
	if d.pendingCursors[query] == nil {
		d.pendingCursors[query] = map[string]uint64{}
	}
	d.pendingCursors[query][name] = last
	d.mu.Unlock()
}

// EventStatus implements table.EventRuntime.
func (r daemonRuntime) EventStatus() []table.EventStatus {
	if r.d.events == nil {
		return nil
	}
	return r.d.events.EventStatus()
}

// commitEventCursors makes the events a query read count as seen, once its
// results are committed; a crash before that reads them again.
func (d *Daemon) commitEventCursors(query string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for t, id := range d.pendingCursors[query] {
		if d.eventCursors[query] == nil {
			d.eventCursors[query] = map[string]uint64{}
		}
		d.eventCursors[query][t] = id
	}
	delete(d.pendingCursors, query)
}
