package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// Checkpoints copy the WAL's pages into the database file. Left to the
// writer (SQLite's wal_autocheckpoint), a checkpoint runs inside the
// commit that crosses the threshold and stalls that commit, and every
// ingest call queued behind it, for as long as copying and fsyncing tens
// of megabytes takes. Instead a checkpointer goroutine with its own
// connection runs a PASSIVE checkpoint every checkpointEvery, which never
// blocks the writer or readers. The writer keeps a high autocheckpoint
// threshold as a backstop, should the checkpointer fall behind.

const (
	checkpointEvery = 250 * time.Millisecond
	// backstopPages is the writer's wal_autocheckpoint: 64 MiB of WAL. When
	// it triggers, the checkpointer has copied all but the last 250 ms of
	// frames, so the writer's share is small, and the WAL starts over.
	backstopPages = 16384
)

// checkpointer owns the checkpoint goroutine.
type checkpointer struct {
	db     *sql.DB
	stop   chan struct{}
	exited chan struct{}
}

func (s *Store) startCheckpointer(db *sql.DB) {
	s.ckpt = &checkpointer{db: db, stop: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(s.ckpt.exited)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-s.ckpt.stop:
				return
			case <-t.C:
				// A failure (say, the disk is full) is retried on the
				// next tick; the writer's backstop bounds the WAL.
				_, _ = db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
}

func (s *Store) stopCheckpointer() error {
	if s.ckpt == nil {
		return nil
	}
	close(s.ckpt.stop)
	<-s.ckpt.exited
	return s.ckpt.db.Close()
}
