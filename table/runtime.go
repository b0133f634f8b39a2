package table

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
