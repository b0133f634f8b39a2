package events

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/table"
)

func TestSubscriberEnabled(t *testing.T) {
	audit := Config{AuditAllowProcessEvents: true, AuditAllowUserEvents: true}
	tests := []struct {
		name string
		cfg  Config
		want []string // enabled tables
	}{
		{"osquery's defaults: audit off, no file events", Config{DisableAudit: true, AuditAllowProcessEvents: true, AuditAllowUserEvents: true}, []string{"hardware_events"}},
		{"audit on", audit, []string{"hardware_events", "process_events", "user_events"}},
		{"sockets too", Config{AuditAllowSockets: true, EnableFileEvents: true}, []string{"file_events", "hardware_events", "socket_events"}},
		{"events disabled", Config{DisableEvents: true, EnableFileEvents: true, AuditAllowProcessEvents: true}, nil},
		{"disable_subscribers", Config{AuditAllowProcessEvents: true, DisableSubscribers: []string{"hardware_events"}}, []string{"process_events"}},
		{"enable_subscribers wins over the others", Config{AuditAllowProcessEvents: true, AuditAllowUserEvents: true, EnableSubscribers: []string{"user_events"}}, []string{"user_events"}},
		{"enable_subscribers does not override the flags", Config{DisableAudit: true, EnableSubscribers: []string{"process_events"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(tt.cfg)
			var got []string
			for _, s := range m.EventStatus() {
				if s.Type == "subscriber" && s.Active {
					got = append(got, s.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("enabled subscribers (-want +got):\n%s", diff)
			}
		})
	}
}

// fakePublisher stands for a publisher the kernel accepts or refuses.
type fakePublisher struct {
	pubName string
	err     error
	mu      sync.Mutex
	running bool
	stops   int
	exited  chan struct{}
}

func (f *fakePublisher) name() string { return f.pubName }

func (f *fakePublisher) start(ctx context.Context, wg *sync.WaitGroup) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	f.running = true
	f.mu.Unlock()
	f.exited = make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(f.exited)
		for {
			f.mu.Lock()
			r := f.running
			f.mu.Unlock()
			if !r {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return nil
}

func (f *fakePublisher) stop() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
	f.stops++
	return nil
}

func (f *fakePublisher) stats() publisherStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return publisherStats{subscriptions: 1, events: 3, active: f.running}
}

func TestManagerRefusedPublisherLeavesTheOthers(t *testing.T) {
	var status statusLog
	m := New(Config{Status: status.add, AuditAllowProcessEvents: true, AuditAllowUserEvents: true})
	refused := &fakePublisher{pubName: publisherAudit, err: errors.New("cannot become the audit daemon: not permitted (run as root, with CAP_AUDIT_CONTROL)")}
	ok := &fakePublisher{pubName: publisherUdev}
	m.makePublishers = func() []publisher { return []publisher{refused, ok} }
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"2 auditeventpublisher: cannot become the audit daemon: not permitted (run as root, with CAP_AUDIT_CONTROL); process_events and user_events stay empty"}
	if diff := cmp.Diff(want, status.all()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if err := m.Start(context.Background()); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v", err)
	}
	got := m.EventStatus()
	wantStatus := []table.EventStatus{
		{Name: "auditeventpublisher", Publisher: "auditeventpublisher", Type: "publisher", Subscriptions: 1, Events: 3},
		{Name: "inotify", Publisher: "inotify", Type: "publisher"},
		{Name: "udev", Publisher: "udev", Type: "publisher", Subscriptions: 1, Events: 3, Active: true},
		{Name: "file_events", Publisher: "inotify", Type: "subscriber"},
		{Name: "hardware_events", Publisher: "udev", Type: "subscriber", Subscriptions: 1, Active: true},
		{Name: "process_events", Publisher: "auditeventpublisher", Type: "subscriber", Subscriptions: 1, Active: true},
		{Name: "socket_events", Publisher: "auditeventpublisher", Type: "subscriber"},
		{Name: "user_events", Publisher: "auditeventpublisher", Type: "subscriber", Subscriptions: 1, Active: true},
	}
	if diff := cmp.Diff(wantStatus, got); diff != "" {
		t.Errorf("EventStatus (-want +got):\n%s", diff)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	<-ok.exited
	if ok.stops != 1 || refused.stops != 1 {
		t.Errorf("stops: %d and %d, want one each", ok.stops, refused.stops)
	}
}

func TestManagerStopsWithContext(t *testing.T) {
	m := New(Config{})
	p := &fakePublisher{pubName: publisherUdev}
	m.makePublishers = func() []publisher { return []publisher{p} }
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-p.exited // the publisher's goroutine ends without Close
	m.Close()
}

func TestManagerDisabled(t *testing.T) {
	var status statusLog
	m := New(Config{DisableEvents: true, Status: status.add})
	called := false
	m.makePublishers = func() []publisher { called = true; return nil }
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("publishers made with events disabled")
	}
	if diff := cmp.Diff([]string{"0 events: disabled (--disable_events); event tables stay empty"}, status.all()); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	m.Events(tableProcessEvents, func(table.Event) bool { t.Error("an event with events disabled"); return false })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); !errors.Is(err, ErrStarted) {
		t.Errorf("Start after Close: %v", err)
	}
}
