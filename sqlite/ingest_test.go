package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestWriteGroup checks that writes queued behind a busy writer share a
// transaction without sharing failures: a failing call's changes are rolled
// back, its neighbours' are kept, and a call whose caller has gone is not
// run.
func TestWriteGroup(t *testing.T) {
	s := openTemp(t, Options{})
	defer s.Close()
	ctx := context.Background()
	exec := func(q string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q); return err }
	}
	if err := s.write(ctx, exec(`CREATE TABLE scratch (x TEXT)`)); err != nil {
		t.Fatal(err)
	}
	// Hold the ingest goroutine in a write until the others are queued.
	release := make(chan struct{})
	held := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := s.write(ctx, func(tx *sql.Tx) error {
			close(held)
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO scratch VALUES ('first')`)
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
	<-held
	errFail := errors.New("fails on purpose")
	gone, cancel := context.WithCancel(ctx)
	ran := false
	results := make([]error, 4)
	calls := []func() error{
		func() error { return s.write(ctx, exec(`INSERT INTO scratch VALUES ('kept 1')`)) },
		func() error {
			return s.write(ctx, func(tx *sql.Tx) error {
				if err := exec(`INSERT INTO scratch VALUES ('rolled back')`)(tx); err != nil {
					return err
				}
				return errFail
			})
		},
		func() error {
			return s.write(gone, func(tx *sql.Tx) error { ran = true; return nil })
		},
		func() error { return s.write(ctx, exec(`INSERT INTO scratch VALUES ('kept 2')`)) },
	}
	for i, call := range calls {
		wg.Go(func() { results[i] = call() })
		// Queue them in order (each waits on the channel, or is in it).
		for len(s.ing.queue) < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	close(release)
	wg.Wait()
	if results[0] != nil || results[3] != nil {
		t.Errorf("neighbours of a failing call failed: %v, %v", results[0], results[3])
	}
	if !errors.Is(results[1], errFail) {
		t.Errorf("failing call returned %v, want its error", results[1])
	}
	if !errors.Is(results[2], context.Canceled) || ran {
		t.Errorf("call of a gone caller: %v, ran %v", results[2], ran)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT x FROM scratch ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var x string
		rows.Scan(&x)
		got = append(got, x)
	}
	want := []string{"first", "kept 1", "kept 2"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("stored %q, want %q", got, want)
	}
}
