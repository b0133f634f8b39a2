package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/osaudit/osaudit"
)

// Group commit. Every write goes to one ingest goroutine, which writes
// whatever calls are waiting in a single transaction (up to maxGroupRows)
// and then answers each of them. Under load, many agents' small log
// requests, enrollments and detail updates share one commit, one WAL
// append and one fsync; alone, a call costs what a direct transaction
// would. SQLite has one writer anyway: a write that queued behind others
// on the connection would wait as long, and commit alone.

// maxGroupRows bounds the rows of one group transaction (a single call
// larger than this is written whole, alone).
const maxGroupRows = 4096

// ingestReq is one call: rows to insert, or fn, any other write.
type ingestReq struct {
	results  []*osaudit.ResultRow
	statuses []*osaudit.StatusRow
	fn       func(tx *sql.Tx) error
	ctx      context.Context // fn's caller's: fn is skipped once it ends
	done     chan error      // buffered: the ingest goroutine never blocks on it
}

func (r *ingestReq) size() int { return max(len(r.results)+len(r.statuses), 1) }

// write runs fn in a transaction, shared with other calls (see above),
// and returns once it committed. If fn fails, its changes are rolled back
// and the others' are not. fn may run more than once (if the shared
// transaction fails, each call is retried alone): it must not have effects
// outside tx but the ones it would repeat the same way. It must not call
// write.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.submit(ctx, &ingestReq{fn: fn, ctx: ctx})
}

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
// is retried alone, so that one call's failure is not its neighbours'; a
// failing fn does not fail the group: a savepoint undoes its changes.
func (s *Store) commitGroup(group []*ingestReq) {
	// Callers' contexts do not end a transaction shared with others.
	ctx := context.Background()
	if len(group) > 1 {
		fnErrs := make([]error, len(group))
		err := s.ingestWrite(ctx, func(tx *sql.Tx) error {
			for i, r := range group {
				if r.fn == nil {
					if err := s.ingestTx(ctx, tx, r); err != nil {
						return err
					}
					continue
				}
				var err error
				if fnErrs[i], err = s.isolated(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for i, r := range group {
				r.done <- fnErrs[i]
			}
			return
		}
	}
	// A call alone, or each call of a group whose transaction failed.
	for _, r := range group {
		r.done <- s.ingestWrite(ctx, func(tx *sql.Tx) error { return s.ingestTx(ctx, tx, r) })
	}
}

// isolated runs r.fn in tx within a savepoint, and rolls back to it if fn
// fails: fnErr is fn's error. err is a failure of the savepoint itself,
// which fails the transaction (SQLite rolls a transaction back whole on
// some errors, such as a full disk).
func (s *Store) isolated(ctx context.Context, tx *sql.Tx, r *ingestReq) (fnErr, err error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT call`); err != nil {
		return nil, fmt.Errorf("sqlite: savepoint: %w", err)
	}
	fnErr = s.ingestTx(ctx, tx, r)
	if fnErr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO call`); err != nil {
			return nil, fmt.Errorf("sqlite: rollback to savepoint: %w (after %w)", err, fnErr)
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE call`); err != nil {
		return nil, fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return fnErr, nil
}

// ingestWrite runs fn in a transaction on the writer connection and
// commits it. The names and key sets interned in the transaction join the
// cache only once it commits.
func (s *Store) ingestWrite(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.intern.begin()
	err := func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: begin: %w", err)
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: commit: %w", err)
		}
		return nil
	}()
	s.intern.end(err == nil)
	return err
}

func (s *Store) ingestTx(ctx context.Context, tx *sql.Tx, r *ingestReq) error {
	if r.fn != nil {
		if err := r.ctx.Err(); err != nil {
			return err // its caller has gone: not written
		}
		return r.fn(tx)
	}
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
