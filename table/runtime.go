package table

import "context"

// Runtime is the agent a query runs in. The tables that describe the agent
// itself (osquery_info, osquery_flags, osquery_registry, ...) read it; the
// engine passes it to every query.
type Runtime interface {
	Info() AgentInfo
	Flags() []Flag
	Plugins() []Plugin
}

// AgentInfo is what osquery_info reports.
type AgentInfo struct {
	PID           int64
	UUID          string // the host's identifier
	InstanceID    string
	Version       string
	ConfigHash    string
	ConfigValid   bool
	Extensions    string // "active" or "inactive"
	BuildPlatform string
	BuildDistro   string
	StartTime     int64
	Watcher       int64 // the watcher's pid, -1 without one
	PlatformMask  int64
}

// Flag is one agent flag, as osquery_flags reports it.
type Flag struct {
	Name, Type, Description, Default, Value string
	ShellOnly                               bool
}

// Plugin is one entry of the agent's plugin registry (osquery_registry).
type Plugin struct {
	Registry, Name   string
	OwnerUUID        int64
	Internal, Active bool
}

// ScheduleRuntime is a Runtime that runs a schedule (the daemon); the
// osquery_schedule and osquery_packs tables read it.
type ScheduleRuntime interface {
	Schedule() []ScheduledQuery
	Packs() []PackStatus
}

// ScheduledQuery is one scheduled query with its statistics, as
// osquery_schedule reports it. Times are in milliseconds, memory in bytes.
type ScheduledQuery struct {
	Name, Query                string
	Interval                   int64
	Executions, LastExecuted   int64
	Denylisted                 bool
	OutputSize                 int64
	WallTimeMs, LastWallTimeMs int64
	UserTime, LastUserTime     int64
	SystemTime, LastSystemTime int64
	AverageMemory, LastMemory  int64
}

// PackStatus is one pack, as osquery_packs reports it.
type PackStatus struct {
	Name, Platform, Version                 string
	Shard                                   int64
	DiscoveryCacheHits, DiscoveryExecutions int64
	Active                                  bool
}

// EventRuntime is a Runtime that collects events (the daemon); the event
// tables (process_events, file_events, ...) and osquery_events read it.
type EventRuntime interface {
	// Events calls fn with the stored events of an event table, oldest
	// first, until fn returns false. ctx is the query's: in a scheduled
	// query with --events_optimize, only events newer than the query's last
	// run are given, unless the query constrains time itself (timeBounded).
	Events(ctx context.Context, table string, timeBounded bool, fn func(Event) bool)
	// EventStatus describes the publishers and subscribers.
	EventStatus() []EventStatus
}

// Event is one stored event: its id (eid), its time (Unix seconds) and
// its values, one per column of its table in the table's column order
// (eid and time included).
type Event struct {
	ID     uint64
	Time   int64
	Values []Value
}

// EventStatus is one row of osquery_events.
type EventStatus struct {
	Name, Publisher, Type string // type: "publisher" or "subscriber"
	Subscriptions         int64
	Events                int64
	Refreshes             int64
	Active                bool
}
