package tables_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/events"
	"github.com/osaudit/osaudit/table"
)

// fakeEvents is an agent runtime that collects events: an events.Store
// filled by the test, and a fixed osquery_events status.
type fakeEvents struct {
	store  *events.Store
	clock  time.Time
	status []table.EventStatus
}

func newFakeEvents(tables ...string) *fakeEvents {
	f := &fakeEvents{clock: time.Unix(1_768_471_200, 0)} // 2026-01-15 10:00:00 UTC
	f.store = events.NewStore(events.StoreConfig{Now: func() time.Time { return f.clock }})
	for _, name := range tables {
		f.store.Declare(name, events.Columns(name))
		f.status = append(f.status, table.EventStatus{Name: name, Type: "subscriber", Active: true})
	}
	return f
}

func (f *fakeEvents) Info() table.AgentInfo   { return table.AgentInfo{} }
func (f *fakeEvents) Flags() []table.Flag     { return nil }
func (f *fakeEvents) Plugins() []table.Plugin { return nil }
func (f *fakeEvents) Events(_ context.Context, name string, _ bool, fn func(table.Event) bool) {
	f.store.Events(name, fn)
}
func (f *fakeEvents) EventStatus() []table.EventStatus { return f.status }

var _ table.EventRuntime = (*fakeEvents)(nil)

// add stores one event of a table from column values by name, at the
// fake's clock, which then moves on by step.
func (f *fakeEvents) add(t *testing.T, name string, step time.Duration, vals map[string]table.Value) {
	t.Helper()
	cols := events.Columns(name)
	row := make([]table.Value, len(cols))
	index := map[string]int{}
	for i, c := range cols {
		index[c] = i
	}
	for k, v := range vals {
		i, ok := index[k]
		if !ok {
			t.Fatalf("%s has no column %q", name, k)
		}
		row[i] = v
	}
	f.store.Add(name, row)
	f.clock = f.clock.Add(step)
}

func eventEngine(t *testing.T, rt table.Runtime) *engine.Engine {
	t.Helper()
	e, err := engine.New(fixtureRoot("minimal"), engine.Options{Runtime: rt, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func eventQueryRows(t *testing.T, e *engine.Engine, q string) [][]string {
	t.Helper()
	_, rows, err := e.QueryAll(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := [][]string{}
	for _, r := range rows {
		var s []string
		for _, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			s = append(s, fmt.Sprint(v))
		}
		out = append(out, s)
	}
	return out
}

// TestEventTablesMatchPublisherLayout keeps the column order of the events
// package's values equal to the tables' declarations.
func TestEventTablesMatchPublisherLayout(t *testing.T) {
	for _, name := range []string{"process_events", "socket_events", "user_events", "file_events", "hardware_events"} {
		tb, ok := table.Lookup(name)
		if !ok {
			t.Errorf("%s is not registered", name)
			continue
		}
		var cols []string
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
		}
		if diff := cmp.Diff(cols, events.Columns(name)); diff != "" {
			t.Errorf("%s: events.Columns differs from the table (-table +events):\n%s", name, diff)
		}
		if !tb.Has(table.EventSubscriber) {
			t.Errorf("%s lacks the event_subscriber attribute", name)
		}
	}
}

// TestEventTablesWithoutRuntime: the shell collects no events.
func TestEventTablesWithoutRuntime(t *testing.T) {
	e := eventEngine(t, nil)
	for _, name := range []string{"process_events", "socket_events", "user_events", "file_events", "hardware_events", "osquery_events"} {
		if rows := eventQueryRows(t, e, "SELECT * FROM "+name); len(rows) != 0 {
			t.Errorf("%s: %d rows without an event runtime", name, len(rows))
		}
	}
}

func TestOsqueryEvents(t *testing.T) {
	f := newFakeEvents()
	f.status = []table.EventStatus{
		{Name: "auditeventpublisher", Publisher: "auditeventpublisher", Type: "publisher", Subscriptions: 2, Events: 40, Active: true},
		{Name: "udev", Publisher: "udev", Type: "publisher"},
		{Name: "process_events", Publisher: "auditeventpublisher", Type: "subscriber", Subscriptions: 1, Events: 40, Active: true},
	}
	got := eventQueryRows(t, eventEngine(t, f), "SELECT * FROM osquery_events")
	want := [][]string{
		{"auditeventpublisher", "auditeventpublisher", "publisher", "2", "40", "0", "1"},
		{"udev", "udev", "publisher", "0", "0", "0", "0"},
		{"process_events", "auditeventpublisher", "subscriber", "1", "40", "0", "1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
