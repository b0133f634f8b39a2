package manager

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// IngestLog stores a log request's rows for the host whose node key it
// is. It returns once they are durable, so an agent whose request failed
// keeps its lines and sends them again. When the writers are behind it
// fails at once with EUNAVAILABLE (backpressure: agents back off).
func (m *Manager) IngestLog(ctx context.Context, nodeKey string, b *osquery.LogBatch) error {
	a, err := m.authenticate(nodeKey)
	if err != nil {
		return err
	}
	if b.Skipped > 0 {
		m.counters.skippedLines.Add(int64(b.Skipped))
		m.Logger.Warn("log lines skipped: not JSON objects", "host_id", a.id, "lines", b.Skipped)
	}
	now := m.Now()
	switch {
	case len(b.Results) > 0:
		for _, r := range b.Results {
			r.CustomerID, r.HostID = a.customerID, a.id
			if r.UnixTime <= 0 {
				r.UnixTime = now.Unix()
			}
		}
		return m.results.submit(ctx, b.Results, true)
	case len(b.Statuses) > 0:
		for _, s := range b.Statuses {
			s.CustomerID, s.HostID = a.customerID, a.id
			if s.Time.IsZero() {
				s.Time = now.UTC()
			}
		}
		return m.statuses.submit(ctx, b.Statuses, true)
	}
	return nil
}

// batcher is a group-commit writer: requests queue their rows and wait;
// one goroutine writes the rows of every request queued within a linger
// time (or until enough rows) in one store call, then answers them all.
type batcher[T any] struct {
	name    string
	log     *slog.Logger
	write   func(context.Context, []T) error
	written func([]T) // called after a successful write, may be nil
	linger  time.Duration
	maxRows int
	maxQ    int64

	closeMu sync.RWMutex
	closed  bool
	in      chan *pendingBatch[T]

	queued, rows, batches, failures atomic.Int64
}

type pendingBatch[T any] struct {
	items []T
	done  chan error // nil: nobody waits
	at    time.Time  // when it was queued
}

type batcherStats struct{ queued, written, batches, failures int64 }

func newBatcher[T any](m *Manager, name string, write func(context.Context, []T) error, written func([]T)) *batcher[T] {
	return &batcher[T]{
		name:    name,
		log:     m.Logger,
		write:   write,
		written: written,
		linger:  m.IngestLinger,
		maxRows: m.IngestBatchRows,
		maxQ:    int64(m.IngestQueueRows),
		in:      make(chan *pendingBatch[T], 16384),
	}
}

func (b *batcher[T]) stats() batcherStats {
	return batcherStats{queued: b.queued.Load(), written: b.rows.Load(), batches: b.batches.Load(), failures: b.failures.Load()}
}

var errQueueFull = osaudit.Errorf(osaudit.EUNAVAILABLE, "the server is busy writing; retry later")

// submit queues items; with wait, it returns once they are written (or
// the write failed, or ctx ended).
func (b *batcher[T]) submit(ctx context.Context, items []T, wait bool) error {
	n := int64(len(items))
	if n == 0 {
		return nil
	}
	// One request larger than the queue is still taken when the queue is
	// empty, so that no body the HTTP layer admits is refused forever.
	if q := b.queued.Add(n); q > b.maxQ && q != n {
		b.queued.Add(-n)
		return errQueueFull
	}
	p := &pendingBatch[T]{items: items, at: time.Now()}
	if wait {
		p.done = make(chan error, 1)
	}
	b.closeMu.RLock()
	var err error
	switch {
	case b.closed:
		err = unavailable("the server is shutting down; retry later")
	default:
		select {
		case b.in <- p:
		default:
			err = errQueueFull
		}
	}
	b.closeMu.RUnlock()
	if err != nil {
		b.queued.Add(-n)
		return err
	}
	if !wait {
		return nil
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run writes batches until ctx ends, then writes whatever is queued and
// refuses more.
func (b *batcher[T]) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *pendingBatch[T]
		select {
		case first = <-b.in:
		case <-ctx.Done():
			b.drain(context.WithoutCancel(ctx))
			return
		}
		group := []*pendingBatch[T]{first}
		n := len(first.items)
		// The linger counts from when the oldest request was queued: one
		// that waited through the previous write goes out with the next.
		// Whatever is queued already always joins the group, even past the
		// deadline: a writer that falls behind then writes larger groups
		// and catches up, rather than smaller ones and falls further back.
		deadline := first.at.Add(b.linger)
	collect:
		for n < b.maxRows {
			select {
			case p := <-b.in:
				group = append(group, p)
				n += len(p.items)
				continue
			default:
			}
			wait := time.Until(deadline)
			if wait <= 0 {
				break
			}
			timer.Reset(wait)
			select {
			case p := <-b.in:
				group = append(group, p)
				n += len(p.items)
			case <-timer.C:
				break collect
			case <-ctx.Done():
				break collect
			}
		}
		timer.Stop()
		b.flush(context.WithoutCancel(ctx), group, n)
	}
}

// drain closes the batcher and writes what was queued.
func (b *batcher[T]) drain(ctx context.Context) {
	b.closeMu.Lock()
	b.closed = true
	b.closeMu.Unlock()
	for {
		var group []*pendingBatch[T]
		n := 0
	more:
		for n < b.maxRows {
			select {
			case p := <-b.in:
				group = append(group, p)
				n += len(p.items)
			default:
				break more
			}
		}
		if len(group) == 0 {
			return
		}
		b.flush(ctx, group, n)
	}
}

// flush writes a group of requests' items in one call and answers them.
func (b *batcher[T]) flush(ctx context.Context, group []*pendingBatch[T], n int) {
	items := group[0].items
	if len(group) > 1 {
		items = make([]T, 0, n)
		for _, p := range group {
			items = append(items, p.items...)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := b.write(ctx, items)
	cancel()
	b.batches.Add(1)
	if err != nil {
		b.failures.Add(1)
		b.log.Error("store write failed; agents will resend", "rows", b.name, "count", n, "requests", len(group), "err", err)
		if osaudit.ErrorCode(err) == osaudit.EINTERNAL || errors.Is(err, context.DeadlineExceeded) {
			err = unavailableErr{err}
		}
	} else {
		b.rows.Add(int64(n))
		if b.written != nil {
			b.written(items)
		}
	}
	b.queued.Add(-int64(n))
	for _, p := range group {
		if p.done != nil {
			p.done <- err
		}
	}
}

// unavailableErr reports a failed store write to agents as EUNAVAILABLE
// (retry later), keeping the cause for the server's log.
type unavailableErr struct{ cause error }

func (e unavailableErr) Error() string { return "store write failed: " + e.cause.Error() }
func (e unavailableErr) Unwrap() []error {
	return []error{osaudit.Errorf(osaudit.EUNAVAILABLE, "storing failed; retry later"), e.cause}
}
