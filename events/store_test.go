package events

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

// fakeClock is a settable clock for the store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// statusLog collects status lines.
type statusLog struct {
	mu    sync.Mutex
	lines []string
}

func (s *statusLog) add(sev int, msg string) {
	s.mu.Lock()
	s.lines = append(s.lines, fmt.Sprintf("%d %s", sev, msg))
	s.mu.Unlock()
}

func (s *statusLog) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

var testColumns = []string{"name", "time", "eid"}

func addNamed(s *Store, name string) table.Event {
	return s.Add("t", []table.Value{table.Text(name), table.Null, table.Null})
}

// collect reads a table as "id:name" strings.
func collect(s *Store, name string) []string {
	var out []string
	s.Events(name, func(e table.Event) bool {
		out = append(out, fmt.Sprintf("%d:%s", e.ID, e.Values[0].String()))
		return true
	})
	return out
}

func TestStoreIDsAndColumns(t *testing.T) {
	clock := newFakeClock()
	s := NewStore(StoreConfig{Now: clock.Now})
	s.Declare("t", testColumns)
	e1 := addNamed(s, "a")
	clock.Advance(2 * time.Second)
	e2 := addNamed(s, "b")
	if e1.ID != 1 || e2.ID != 2 {
		t.Fatalf("ids = %d, %d; want 1, 2", e1.ID, e2.ID)
	}
	if got, want := e2.Values[2].String(), "0000000002"; got != want {
		t.Errorf("eid column = %q, want %q", got, want)
	}
	if got, want := e2.Values[1].String(), "1700000002"; got != want {
		t.Errorf("time column = %q, want %q", got, want)
	}
	if e2.Time != 1_700_000_002 {
		t.Errorf("Event.Time = %d", e2.Time)
	}
	// Another table has its own ids.
	s.Declare("u", testColumns)
	if e := s.Add("u", make([]table.Value, 3)); e.ID != 1 {
		t.Errorf("first id of another table = %d, want 1", e.ID)
	}
	// An undeclared table keeps its values as given.
	vals := []table.Value{table.Text("x")}
	if e := s.Add("raw", vals); e.Values[0].String() != "x" || e.ID != 1 {
		t.Errorf("undeclared table event = %+v", e)
	}
	if diff := cmp.Diff([]string{"1:a", "2:b"}, collect(s, "t")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := collect(s, "nothing"); got != nil {
		t.Errorf("unknown table gave %v", got)
	}
}

func TestEID(t *testing.T) {
	for id, want := range map[uint64]string{1: "0000000001", 1234567890: "1234567890", 12345678901: "12345678901"} {
		if got := eid(id); got != want {
			t.Errorf("eid(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestStoreMaxDropsOldestAndWarns(t *testing.T) {
	clock := newFakeClock()
	var status statusLog
	s := NewStore(StoreConfig{Max: 3, Now: clock.Now, Status: status.add})
	s.Declare("process_events", testColumns)
	for i := range 5 {
		s.Add("process_events", []table.Value{table.Text(fmt.Sprint(i)), table.Null, table.Null})
	}
	if diff := cmp.Diff([]string{"3:2", "4:3", "5:4"}, collect(s, "process_events")); diff != "" {
		t.Errorf("events after overflow (-want +got):\n%s", diff)
	}
	want := []string{"1 Expiring events for subscriber: process_events (overflowed limit 3; 1 dropped)"}
	if diff := cmp.Diff(want, status.all()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	// The warning repeats at most once a minute, with the count since.
	clock.Advance(time.Minute)
	s.Add("process_events", []table.Value{table.Text("5"), table.Null, table.Null})
	want = append(want, "1 Expiring events for subscriber: process_events (overflowed limit 3; 2 dropped)")
	if diff := cmp.Diff(want, status.all()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if over, _ := s.Dropped("process_events"); over != 3 {
		t.Errorf("overflowed = %d, want 3", over)
	}
	held, added := s.Counts("process_events")
	if held != 3 || added != 6 {
		t.Errorf("counts = %d held, %d added; want 3, 6", held, added)
	}
}

func TestStoreExpiry(t *testing.T) {
	clock := newFakeClock()
	s := NewStore(StoreConfig{Expiry: time.Hour, Now: clock.Now})
	s.Declare("t", testColumns)
	addNamed(s, "old")
	clock.Advance(30 * time.Minute)
	addNamed(s, "mid")
	clock.Advance(30 * time.Minute) // "old" is now exactly an hour old: expired, as in osquery
	addNamed(s, "new")
	if diff := cmp.Diff([]string{"2:mid", "3:new"}, collect(s, "t")); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// Reading expires too, without any write.
	clock.Advance(45 * time.Minute)
	if diff := cmp.Diff([]string{"3:new"}, collect(s, "t")); diff != "" {
		t.Errorf("events after an idle hour (-want +got):\n%s", diff)
	}
	if _, expired := s.Dropped("t"); expired != 2 {
		t.Errorf("expired = %d, want 2", expired)
	}
	// Ids keep counting after expiry.
	if e := addNamed(s, "later"); e.ID != 4 {
		t.Errorf("id after expiry = %d, want 4", e.ID)
	}
}

func TestStoreNoLimits(t *testing.T) {
	clock := newFakeClock()
	s := NewStore(StoreConfig{Now: clock.Now})
	s.Declare("t", testColumns)
	for range 1000 {
		addNamed(s, "x")
		clock.Advance(time.Hour)
	}
	if held, _ := s.Counts("t"); held != 1000 {
		t.Errorf("held %d events, want 1000 with neither max nor expiry", held)
	}
}

func TestStoreEventsStopsAndSkipsNewcomers(t *testing.T) {
	s := NewStore(StoreConfig{})
	s.Declare("t", testColumns)
	for i := range 600 {
		addNamed(s, fmt.Sprint(i))
	}
	n := 0
	s.Events("t", func(table.Event) bool { n++; return n < 300 })
	if n != 300 {
		t.Errorf("fn called %d times after returning false at 300", n)
	}
	// Events added while reading are not given to this read.
	n = 0
	s.Events("t", func(table.Event) bool {
		n++
		addNamed(s, "late")
		return true
	})
	if n != 600 {
		t.Errorf("read %d events, want the 600 present when it began", n)
	}
}

// TestStoreConcurrent runs publishers and readers together; run with -race.
func TestStoreConcurrent(t *testing.T) {
	clock := newFakeClock()
	s := NewStore(StoreConfig{Max: 500, Expiry: time.Minute, Now: clock.Now})
	s.Declare("t", testColumns)
	var wg sync.WaitGroup
	var stop atomic.Bool
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				s.Add("t", []table.Value{table.Text(fmt.Sprintf("%d-%d", p, i)), table.Null, table.Null})
				if i%100 == 0 {
					clock.Advance(time.Second)
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				var last uint64
				s.Events("t", func(e table.Event) bool {
					if e.ID <= last {
						t.Errorf("ids not increasing: %d after %d", e.ID, last)
						return false
					}
					if !strings.Contains(e.Values[0].String(), "-") || e.Values[2].String() != eid(e.ID) {
						t.Errorf("bad event %+v", e)
						return false
					}
					last = e.ID
					return true
				})
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	held, added := s.Counts("t")
	if added != 8000 || held > 500 {
		t.Errorf("counts = %d held, %d added; want <= 500, 8000", held, added)
	}
}
