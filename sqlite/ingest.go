package sqlite

import (
	"context"
	"database/sql"
	"sync"

	"github.com/osaudit/osaudit"
)

// Group commit. InsertResults and InsertStatus hand their rows to one
// ingest goroutine, which writes whatever calls are waiting in a single
// transaction (up to maxGroupRows) and then answers each of them. Under
// load, many agents' small log requests share one commit, one WAL append
// and one fsync; alone, a call costs what a direct transaction would.

// maxGroupRows bounds the rows of one group transaction (a single call
// larger than this is written whole, alone).
const maxGroupRows = 4096

type ingestReq struct {
	results  []*osaudit.ResultRow
	statuses []*osaudit.StatusRow
	done     chan error // buffered: the ingest goroutine never blocks on it
}

func (r *ingestReq) size() int { return len(r.results) + len(r.statuses) }

// ingester owns the ingest goroutine and its queue.
type ingester struct {
	mu     sync.RWMutex // held for reading while sending, for writing by close
	closed bool
	queue  chan *ingestReq
	exited chan struct{}
}

func (s *Store) startIngest() {
	s.ing = &ingester{queue: make(chan *ingestReq, 256), exited: make(chan struct{})}
	s.intern = newInterner()
	go s.ingestLoop()
}

// stopIngest lets queued calls finish and stops the goroutine.
func (s *Store) stopIngest() {
	if s.ing == nil {
		return
	}
	s.ing.mu.Lock()
	if !s.ing.closed {
		s.ing.closed = true
		close(s.ing.queue)
	}
	s.ing.mu.Unlock()
	<-s.ing.exited
}

// submit queues req and waits for its commit. If ctx ends first, it
// returns ctx's error; the rows may still be stored (callers resend, and
// agents' logs are at-least-once anyway).
func (s *Store) submit(ctx context.Context, req *ingestReq) error {
	req.done = make(chan error, 1)
	s.ing.mu.RLock()
	if s.ing.closed {
		s.ing.mu.RUnlock()
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "the store is closed")
	}
	select {
	case s.ing.queue <- req:
	case <-ctx.Done():
		s.ing.mu.RUnlock()
		return ctx.Err()
	}
	s.ing.mu.RUnlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) ingestLoop() {
	defer close(s.ing.exited)
	for first := range s.ing.queue {
		group := []*ingestReq{first}
		n := first.size()
	collect:
		for n < maxGroupRows {
			select {
			case r, ok := <-s.ing.queue:
				if !ok {
					break collect
				}
				group = append(group, r)
				n += r.size()
			default:
				break collect
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes a group in one transaction. If that fails, each call
// is retried alone, so that one call's failure is not its neighbours'.
func (s *Store) commitGroup(group []*ingestReq) {
	// Callers' contexts do not end a transaction shared with others.
	ctx := context.Background()
	err := s.ingestWrite(ctx, func(tx *sql.Tx) error {
		for _, r := range group {
			if err := s.ingestTx(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, r := range group {
			r.done <- err
		}
		return
	}
	for _, r := range group {
		r.done <- s.ingestWrite(ctx, func(tx *sql.Tx) error { return s.ingestTx(ctx, tx, r) })
	}
}

// ingestWrite is write for the ingest goroutine: the names and key sets
// interned in the transaction join the cache only once it commits.
func (s *Store) ingestWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.intern.begin()
	err := s.write(ctx, fn)
	s.intern.end(err == nil)
	return err
}

func (s *Store) ingestTx(ctx context.Context, tx *sql.Tx, r *ingestReq) error {
	if len(r.results) > 0 {
		if err := s.insertResults(ctx, tx, r.results); err != nil {
			return err
		}
	}
	if len(r.statuses) > 0 {
		if err := s.insertStatuses(ctx, tx, r.statuses); err != nil {
			return err
		}
	}
	return nil
}
