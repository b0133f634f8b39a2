package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// Config is what the agent's flags and configuration say about events.
type Config struct {
	// Root is the host whose files the file publisher watches and whose
	// /proc the publishers read; nil means the live host.
	Root *hostfs.Root
	// Now stamps events; nil means time.Now.
	Now func() time.Time
	// Status receives one line for each thing worth telling the operator
	// (a publisher the kernel refused, overflowing tables): severity 0 is
	// information, 1 a warning, 2 an error. nil discards them. It is called
	// from the Manager's own goroutines and methods, and must return without
	// calling the Manager.
	Status func(severity int, msg string)

	DisableEvents bool          // --disable_events
	EventsMax     int           // --events_max; 0 keeps every event
	EventsExpiry  time.Duration // --events_expiry; 0 never expires

	DisableAudit            bool // --disable_audit
	AuditAllowProcessEvents bool // --audit_allow_process_events
	AuditAllowSockets       bool // --audit_allow_sockets
	AuditAllowUserEvents    bool // --audit_allow_user_events
	// AuditAllowConfig lets the audit publisher enable auditing and install
	// its own rules (removed again by Close); without it the publisher only
	// listens, and rules must come from auditctl.
	AuditAllowConfig bool
	// AuditAllowFailedSocketEvents, AuditAllowNullAcceptSocketEvents and
	// AuditAllowUnix are osquery's flags of the same names (all off by
	// default there too).
	AuditAllowFailedSocketEvents     bool
	AuditAllowNullAcceptSocketEvents bool
	AuditAllowUnix                   bool

	EnableFileEvents bool                // --enable_file_events
	FilePaths        map[string][]string // config file_paths: category to paths
	ExcludePaths     map[string][]string // config exclude_paths
	FileAccesses     []string            // config file_accesses: categories that also record reads

	// HardwareDisabledTypes are udev device types hardware_events drops
	// (--hardware_disabled_types, osquery's default is "partition").
	HardwareDisabledTypes []string

	// DisableSubscribers and EnableSubscribers are the config's
	// events.disable_subscribers and events.enable_subscribers: with an
	// enable list only the subscribers it names run.
	DisableSubscribers, EnableSubscribers []string
}

// Manager runs the event publishers the configuration enables and keeps
// their events. The daemon answers the event tables (table.EventRuntime)
// with its Events and EventStatus, adding the per-query optimize cursor.
type Manager struct {
	cfg   Config
	store *Store
	subs  []*subscriber
	// makePublishers makes the publishers Start starts; tests replace it.
	makePublishers func() []publisher

	mu         sync.Mutex
	started    bool
	closed     bool
	cancel     context.CancelFunc
	publishers []publisher
	wg         sync.WaitGroup
}

// subscriber is one event table and whether the configuration lets it run.
type subscriber struct {
	*schema
	enabled bool
}

// publisher is one source of events.
type publisher interface {
	// name is the publisher's name in osquery_events.
	name() string
	// start opens the kernel interface and starts the publisher's
	// goroutines, which run until stop; an error means the kernel refused
	// and leaves the publisher's tables empty.
	start(ctx context.Context, wg *sync.WaitGroup) error
	// stop ends the goroutines started by start (the caller then waits on
	// wg) and undoes what start changed in the kernel.
	stop() error
	// stats describes the publisher for osquery_events.
	stats() publisherStats
}

type publisherStats struct {
	subscriptions, events, refreshes int64
	active                           bool
}

// reconfigurer is a publisher that follows configuration reloads.
type reconfigurer interface {
	reconfigure(paths, exclude map[string][]string, accesses []string)
}

// New builds a Manager; Start starts its publishers.
func New(cfg Config) *Manager {
	if cfg.Root == nil {
		cfg.Root = hostfs.Live()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Status == nil {
		cfg.Status = func(int, string) {}
	}
	m := &Manager{cfg: cfg}
	m.makePublishers = m.newPublishers
	m.store = NewStore(StoreConfig{Max: cfg.EventsMax, Expiry: cfg.EventsExpiry, Now: cfg.Now, Status: cfg.Status})
	for _, s := range schemas() {
		if !eventsSupported {
			break
		}
		m.store.Declare(s.name, s.cols)
		m.subs = append(m.subs, &subscriber{schema: s, enabled: m.subscriberEnabled(s.name)})
	}
	return m
}

// subscriberEnabled applies the flags and the config's events section.
func (m *Manager) subscriberEnabled(name string) bool {
	c := m.cfg
	switch {
	case c.DisableEvents,
		len(c.EnableSubscribers) > 0 && !slices.Contains(c.EnableSubscribers, name),
		slices.Contains(c.DisableSubscribers, name):
		return false
	}
	switch name {
	case tableProcessEvents:
		return !c.DisableAudit && c.AuditAllowProcessEvents
	case tableSocketEvents:
		return !c.DisableAudit && c.AuditAllowSockets
	case tableUserEvents:
		return !c.DisableAudit && c.AuditAllowUserEvents
	case tableFileEvents:
		return c.EnableFileEvents
	}
	return true
}

// enabled reports whether an event table's subscriber runs.
func (m *Manager) enabled(name string) bool {
	for _, s := range m.subs {
		if s.name == name {
			return s.enabled
		}
	}
	return false
}

// anyEnabled reports whether any subscriber of a publisher runs.
func (m *Manager) anyEnabled(publisher string) bool {
	for _, s := range m.subs {
		if s.publisher == publisher && s.enabled {
			return true
		}
	}
	return false
}

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("events: manager already started")

// Start starts the publishers that the configuration enables. A publisher
// the kernel refuses (no audit in a container, not root, no netlink) is
// reported with one status line and leaves its tables empty; the others
// run. Start fails only when called twice or after Close. The publishers
// run until Close or until ctx ends.
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return ErrStarted
	}
	m.started = true
	if m.cfg.DisableEvents {
		m.cfg.Status(StatusInfo, "events: disabled (--disable_events); event tables stay empty")
		return nil
	}
	ctx, m.cancel = context.WithCancel(ctx)
	for _, p := range m.makePublishers() {
		if err := p.start(ctx, &m.wg); err != nil {
			m.cfg.Status(StatusError, fmt.Sprintf("%s: %v; %s", p.name(), err, m.tablesOf(p.name())))
		}
		m.publishers = append(m.publishers, p)
	}
	if len(m.publishers) > 0 {
		// The publishers stop with ctx too, not only with Close.
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			<-ctx.Done()
			m.stopPublishers()
		}()
	}
	return nil
}

// tablesOf says which enabled tables of a publisher stay empty, for status
// lines.
func (m *Manager) tablesOf(publisher string) string {
	var names []string
	for _, s := range m.subs {
		if s.publisher == publisher && s.enabled {
			names = append(names, s.name)
		}
	}
	switch len(names) {
	case 0:
		return "its tables stay empty"
	case 1:
		return names[0] + " stays empty"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " stay empty"
}

// stopPublishers stops every publisher once; the first caller does the
// work.
func (m *Manager) stopPublishers() error {
	m.mu.Lock()
	pubs := m.publishers
	m.publishers = nil
	m.mu.Unlock()
	var errs []error
	for _, p := range pubs {
		if err := p.stop(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name(), err))
		}
	}
	return errors.Join(errs...)
}

// Close stops the publishers, undoes what they changed in the kernel (audit
// rules installed with AuditAllowConfig) and waits for every goroutine to
// exit. Events already stored stay readable.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	cancel := m.cancel
	m.mu.Unlock()
	err := m.stopPublishers()
	if cancel != nil {
		cancel()
	}
	m.wg.Wait()
	return err
}

// Reconfigure applies a configuration reload: the file publisher watches
// the new file_paths, exclude_paths and file_accesses.
func (m *Manager) Reconfigure(filePaths, excludePaths map[string][]string, fileAccesses []string) {
	m.mu.Lock()
	m.cfg.FilePaths, m.cfg.ExcludePaths, m.cfg.FileAccesses = filePaths, excludePaths, fileAccesses
	pubs := slices.Clone(m.publishers)
	m.mu.Unlock()
	for _, p := range pubs {
		if r, ok := p.(reconfigurer); ok {
			r.reconfigure(filePaths, excludePaths, fileAccesses)
		}
	}
}

// Events calls fn with the stored events of an event table, oldest first,
// until fn returns false.
func (m *Manager) Events(name string, fn func(table.Event) bool) {
	m.store.Events(name, fn)
}

// EventStatus describes the publishers and subscribers, as osquery_events
// shows them: publishers first, then subscribers, each sorted by name.
func (m *Manager) EventStatus() []table.EventStatus {
	m.mu.Lock()
	running := map[string]publisherStats{}
	for _, p := range m.publishers {
		running[p.name()] = p.stats()
	}
	filePaths := countFilePaths(m.cfg.FilePaths)
	m.mu.Unlock()
	var out []table.EventStatus
	for _, name := range m.publisherNames() {
		st := running[name]
		out = append(out, table.EventStatus{
			Name: name, Publisher: name, Type: "publisher",
			Subscriptions: st.subscriptions, Events: st.events, Refreshes: st.refreshes, Active: st.active,
		})
	}
	for _, s := range m.subs {
		_, added := m.store.Counts(s.name)
		subs := int64(0)
		if s.enabled {
			subs = 1
			if s.name == tableFileEvents {
				subs = int64(filePaths)
			}
		}
		out = append(out, table.EventStatus{
			Name: s.name, Publisher: s.publisher, Type: "subscriber",
			Subscriptions: subs, Events: int64(added), Active: s.enabled,
		})
	}
	return out
}

func countFilePaths(paths map[string][]string) int {
	n := 0
	for _, ps := range paths {
		n += len(ps)
	}
	return n
}
