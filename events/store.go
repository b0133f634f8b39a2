// Package events collects operating-system events for osquery's event
// tables. Publishers (Linux audit, inotify and udev netlink) turn kernel
// notifications into rows; a bounded, expiring Store keeps each table's rows
// until a query reads them; a Manager starts the publishers that the flags
// enable and answers the tables through table.EventRuntime.
package events

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/osaudit/osaudit/table"
)

// Severities of the lines a Manager or Store reports through its status
// callback.
const (
	StatusInfo    = 0
	StatusWarning = 1
	StatusError   = 2
)

// overflowWarnEvery bounds how often a table that keeps overflowing is
// reported.
const overflowWarnEvery = time.Minute

// StoreConfig configures a Store.
type StoreConfig struct {
	// Max is the most events kept per table (--events_max); the oldest are
	// dropped beyond it. 0 keeps every event, as osquery does.
	Max int
	// Expiry drops events older than this (--events_expiry) when the table
	// is read or written. 0 keeps events until Max drops them.
	Expiry time.Duration
	// Now is the clock events are stamped with; nil means time.Now.
	Now func() time.Time
	// Status receives the overflow warnings; nil discards them.
	Status func(severity int, msg string)
}

// Store keeps the events of each event table in memory, oldest first, with
// a monotonic id (eid) per table. It is safe for concurrent publishers and
// readers.
type Store struct {
	max    int
	expiry time.Duration
	now    func() time.Time
	status func(int, string)

	mu   sync.Mutex
	logs map[string]*eventLog
}

// eventLog is one table's events: a ring buffer whose ids are contiguous,
// because events leave it only from the oldest end.
type eventLog struct {
	eidCol, timeCol int // positions of the eid and time columns, -1 if none

	ring   []table.Event
	head   int    // index of the oldest event in ring
	n      int    // events held
	nextID uint64 // id of the next event; ids start at 1

	added, overflowed, expired uint64
	unreported                 uint64 // overflowed since the last warning
	warned                     time.Time
}

// NewStore returns an empty store.
func NewStore(cfg StoreConfig) *Store {
	s := &Store{max: cfg.Max, expiry: cfg.Expiry, now: cfg.Now, status: cfg.Status, logs: map[string]*eventLog{}}
	if s.max < 0 {
		s.max = 0
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.status == nil {
		s.status = func(int, string) {}
	}
	return s
}

// Declare names the columns of a table's events, so that Add can fill its
// eid and time columns. A table that is never declared gets its events
// stored as given.
func (s *Store) Declare(name string, columns []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.log(name)
	l.eidCol, l.timeCol = -1, -1
	for i, c := range columns {
		switch c {
		case "eid":
			l.eidCol = i
		case "time":
			l.timeCol = i
		}
	}
}

func (s *Store) log(name string) *eventLog {
	l := s.logs[name]
	if l == nil {
		l = &eventLog{eidCol: -1, timeCol: -1, nextID: 1}
		s.logs[name] = l
	}
	return l
}

// Add stores one event of a table and returns it. values are the event's
// column values in the table's order; Add sets its eid (ten digits, as
// osquery writes it) and time (Unix seconds of the store's clock) and keeps
// the slice, which the caller must not change afterwards.
func (s *Store) Add(name string, values []table.Value) table.Event {
	now := s.now()
	s.mu.Lock()
	l := s.log(name)
	l.expire(now, s.expiry)
	if s.max > 0 && l.n >= s.max {
		l.dropOldest(l.n - s.max + 1)
		l.overflowed++
		l.unreported++
	}
	e := table.Event{ID: l.nextID, Time: now.Unix(), Values: values}
	l.nextID++
	if l.eidCol >= 0 && l.eidCol < len(values) {
		values[l.eidCol] = table.Text(eid(e.ID))
	}
	if l.timeCol >= 0 && l.timeCol < len(values) {
		values[l.timeCol] = table.Int(e.Time)
	}
	l.push(e)
	l.added++
	var warn string
	if l.unreported > 0 && (l.warned.IsZero() || now.Sub(l.warned) >= overflowWarnEvery) {
		warn = fmt.Sprintf("Expiring events for subscriber: %s (overflowed limit %d; %d dropped)", name, s.max, l.unreported)
		l.unreported, l.warned = 0, now
	}
	s.mu.Unlock()
	if warn != "" {
		s.status(StatusWarning, warn)
	}
	return e
}

// eid formats an event id as osquery's toIndex does: at least ten digits.
func eid(id uint64) string {
	s := strconv.FormatUint(id, 10)
	if len(s) < 10 {
		s = "0000000000"[:10-len(s)] + s
	}
	return s
}

// Events calls fn with a table's events, oldest first, until fn returns
// false. Events older than the expiry are dropped first, as osquery does
// when a table is queried. Events added while fn runs are not given. fn runs
// without the store's lock held and must not change an event's values.
func (s *Store) Events(name string, fn func(table.Event) bool) {
	const chunk = 256
	buf := make([]table.Event, 0, chunk)
	var next, end uint64
	for first := true; ; first = false {
		buf = buf[:0]
		s.mu.Lock()
		l := s.logs[name]
		if l == nil {
			s.mu.Unlock()
			return
		}
		if first {
			l.expire(s.now(), s.expiry)
			end = l.nextID
		}
		oldest := l.nextID - uint64(l.n)
		next = max(next, oldest)
		for ; next < end && len(buf) < chunk; next++ {
			buf = append(buf, l.at(int(next-oldest)))
		}
		s.mu.Unlock()
		if len(buf) == 0 {
			return
		}
		for _, e := range buf {
			if !fn(e) {
				return
			}
		}
	}
}

// Counts returns how many events a table holds and how many it was given
// since the store was made.
func (s *Store) Counts(name string) (held int, added uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[name]; l != nil {
		return l.n, l.added
	}
	return 0, 0
}

// Dropped returns how many of a table's events were dropped because the
// table overflowed Max, and how many because they expired.
func (s *Store) Dropped(name string) (overflowed, expired uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[name]; l != nil {
		return l.overflowed, l.expired
	}
	return 0, 0
}

func (l *eventLog) at(i int) table.Event { return l.ring[(l.head+i)%len(l.ring)] }

func (l *eventLog) push(e table.Event) {
	if l.n == len(l.ring) {
		l.grow()
	}
	l.ring[(l.head+l.n)%len(l.ring)] = e
	l.n++
}

// grow doubles the ring, so that a store with a large Max costs memory only
// for the events it holds.
func (l *eventLog) grow() {
	size := max(64, 2*len(l.ring))
	ring := make([]table.Event, size)
	for i := 0; i < l.n; i++ {
		ring[i] = l.at(i)
	}
	l.ring, l.head = ring, 0
}

func (l *eventLog) dropOldest(k int) {
	for ; k > 0 && l.n > 0; k-- {
		l.ring[l.head] = table.Event{} // let the values be collected
		l.head = (l.head + 1) % len(l.ring)
		l.n--
	}
}

// expire drops the oldest events while they are expiry old or older, as
// osquery does (an event exactly expiry old is gone). Events
// are stamped in arrival order, so the first young event ends the sweep.
func (l *eventLog) expire(now time.Time, expiry time.Duration) {
	if expiry <= 0 {
		return
	}
	cutoff := now.Add(-expiry).Unix()
	for l.n > 0 && l.ring[l.head].Time <= cutoff {
		l.dropOldest(1)
		l.expired++
	}
}
