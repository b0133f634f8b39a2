package events

import (
	"fmt"
	"slices"
	"sync"

	"github.com/osaudit/osaudit/table"
)

// Publisher names, as osquery_events shows them.
const (
	publisherAudit   = "auditeventpublisher"
	publisherInotify = "inotify"
	publisherUdev    = "udev"
)

// Subscriber (event table) names.
const (
	tableProcessEvents  = "process_events"
	tableSocketEvents   = "socket_events"
	tableUserEvents     = "user_events"
	tableFileEvents     = "file_events"
	tableHardwareEvents = "hardware_events"
)

// schema is the column layout of one event table's values: the order in
// which package tables declares the table's columns (a test in package
// tables checks that they agree).
type schema struct {
	name      string
	publisher string
	cols      []string
	index     map[string]int
}

// schemas are the event tables' layouts, built on first use: a process
// that runs no publisher and reads no event table pays nothing for them.
var schemas = sync.OnceValue(func() []*schema {
	return []*schema{
		newSchema(tableFileEvents, publisherInotify, "target_path", "category", "action", "transaction_id", "inode",
			"uid", "gid", "mode", "size", "atime", "mtime", "ctime", "md5", "sha1", "sha256", "hashed", "time", "eid"),
		newSchema(tableHardwareEvents, publisherUdev, "action", "path", "type", "driver", "vendor", "vendor_id",
			"model", "model_id", "serial", "revision", "time", "eid"),
		newSchema(tableProcessEvents, publisherAudit, "pid", "path", "mode", "cmdline", "cmdline_size", "env",
			"env_count", "env_size", "cwd", "auid", "uid", "euid", "gid", "egid", "owner_uid", "owner_gid", "atime",
			"mtime", "ctime", "btime", "overflows", "parent", "time", "uptime", "eid", "fsuid", "suid", "fsgid", "sgid",
			"syscall"),
		newSchema(tableSocketEvents, publisherAudit, "action", "pid", "path", "fd", "auid", "family", "protocol",
			"local_address", "remote_address", "local_port", "remote_port", "socket", "time", "uptime", "eid",
			"success", "status"),
		newSchema(tableUserEvents, publisherAudit, "uid", "auid", "pid", "message", "type", "path", "address",
			"terminal", "time", "uptime", "eid"),
	}
})

func newSchema(name, publisher string, cols ...string) *schema {
	s := &schema{name: name, publisher: publisher, cols: cols, index: map[string]int{}}
	for i, c := range cols {
		s.index[c] = i
	}
	return s
}

func schemaOf(name string) *schema {
	for _, s := range schemas() {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Columns returns the column names of an event table's values, in the order
// Event.Values holds them, or nil for a table this package does not feed.
func Columns(name string) []string {
	if s := schemaOf(name); s != nil {
		return slices.Clone(s.cols)
	}
	return nil
}

// row is one event under construction: a value per column, NULL until set.
type row struct {
	s    *schema
	vals []table.Value
}

func (s *schema) newRow() row { return row{s: s, vals: make([]table.Value, len(s.cols))} }

// set sets a column by name; an unknown name is a programming error that
// the parsers' tests catch.
func (r row) set(col string, v table.Value) {
	i, ok := r.s.index[col]
	if !ok {
		panic(fmt.Sprintf("events: %s has no column %q", r.s.name, col))
	}
	r.vals[i] = v
}

func (r row) get(col string) table.Value {
	if i, ok := r.s.index[col]; ok {
		return r.vals[i]
	}
	return table.Null
}
