package manager

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
)

// pruneStore records PruneResults calls; nothing else is used.
type pruneStore struct {
	osaudit.Store
	mu     sync.Mutex
	before []time.Time
}

func (s *pruneStore) PruneResults(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = append(s.before, before)
	return 3, nil
}

func TestPruneLoop(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	st := &pruneStore{}
	m := &Manager{Store: st, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }, Retention: 48 * time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.pruneLoop(ctx); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st.mu.Lock()
		n := len(st.before)
		st.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	<-done
	if len(st.before) != 1 || !st.before[0].Equal(now.Add(-48*time.Hour)) {
		t.Errorf("pruned before %v, want once before %v", st.before, now.Add(-48*time.Hour))
	}
	// Without a retention nothing is pruned and the loop returns at once.
	m.Retention = 0
	m.pruneLoop(context.Background())
}
