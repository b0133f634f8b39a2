// Package state is the agent's durable local database (--database_path):
// each scheduled query's last results, epoch and counter; splay intervals,
// the denylist and other small facts; and the results buffer that loggers
// drain. It is one SQLite file in WAL mode with synchronous=FULL.
//
// The guarantee: a query's result lines are appended to the buffer in the
// same transaction that saves its new state, so a crash at any point
// leaves either both (the diff is logged once) or neither (the next run
// computes the same diff again). Each logger reads the buffer in order
// from its own cursor; see Logger for how a logger that can truncate its
// output (the filesystem logger) turns that into exactly-once delivery.
package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"

	"github.com/osaudit/osaudit/diff"
	"github.com/osaudit/osaudit/osquery"
)

// FileName is the database's file inside --database_path when that path is
// a directory (osquery's RocksDB path is one).
const FileName = "osaudit.db"

// Kind is what a buffered line is.
type Kind int

// Line kinds.
const (
	KindResult Kind = iota + 1
	KindSnapshot
	KindStatus
)

// Line is one buffered log line.
type Line struct {
	Kind Kind
	Data []byte
}

// Entry is a buffered line with its position.
type Entry struct {
	ID int64
	Line
}

// DB is the agent's state database.
type DB struct {
	db   *sql.DB
	path string
}

const schema = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS queries (
	name TEXT PRIMARY KEY,
	rows BLOB NOT NULL,
	epoch INTEGER NOT NULL,
	counter INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS buffer (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind INTEGER NOT NULL,
	line BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
	logger TEXT PRIMARY KEY,
	id INTEGER NOT NULL,
	offsets TEXT NOT NULL DEFAULT '{}'
);
`

// Open opens (creating it if needed) the database at path: a directory
// holds FileName; any other path is the file itself.
func Open(path string) (*DB, error) {
	file := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		file = filepath.Join(path, FileName)
	} else if errors.Is(err, os.ErrNotExist) && !strings.HasSuffix(path, ".db") {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, fmt.Errorf("state: %w", err)
		}
		file = filepath.Join(path, FileName)
	}
	conn, err := sqlite.NewConnector("file:" + file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_pragma=cache_size(-512)")
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1) // one writer; the agent is not concurrent here
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("state: open %s: %w", file, err)
	}
	return &DB{db: db, path: file}, nil
}

// Path returns the database file.
func (d *DB) Path() string { return d.path }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// QueryState returns a query's stored state; Known is false if it never ran.
func (d *DB) QueryState(ctx context.Context, name string) (diff.State, error) {
	var rows []byte
	var s diff.State
	err := d.db.QueryRowContext(ctx, `SELECT rows, epoch, counter FROM queries WHERE name = ?`, name).Scan(&rows, &s.Epoch, &s.Counter)
	if errors.Is(err, sql.ErrNoRows) {
		return diff.State{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("state: %s: %w", name, err)
	}
	if err := json.Unmarshal(rows, &s.Rows); err != nil {
		// A damaged record restarts the query's diff rather than stopping it.
		return diff.State{}, nil
	}
	s.Known = true
	return s, nil
}

// Commit appends lines to the buffer and, if next is not nil, saves the
// query's new state, in one transaction. If the buffer then holds more than
// max lines (0: no limit), the oldest are dropped and their count returned.
func (d *DB) Commit(ctx context.Context, name string, next *diff.State, lines []Line, max int) (dropped int, err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("state: %w", err)
	}
	defer tx.Rollback()
	if next != nil {
		rows := next.Rows
		if rows == nil {
			rows = []osquery.Row{}
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO queries(name, rows, epoch, counter) VALUES (?, ?, ?, ?)
			ON CONFLICT(name) DO UPDATE SET rows = excluded.rows, epoch = excluded.epoch, counter = excluded.counter`,
			name, b, next.Epoch, next.Counter); err != nil {
			return 0, fmt.Errorf("state: save %s: %w", name, err)
		}
	}
	if len(lines) > 0 {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO buffer(kind, line) VALUES (?, ?)`)
		if err != nil {
			return 0, err
		}
		for _, l := range lines {
			if _, err := stmt.ExecContext(ctx, int(l.Kind), l.Data); err != nil {
				stmt.Close()
				return 0, fmt.Errorf("state: buffer: %w", err)
			}
		}
		stmt.Close()
	}
	if max > 0 {
		if dropped, err = dropOldest(ctx, tx, max); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("state: commit: %w", err)
	}
	return dropped, nil
}

// dropOldest keeps the buffer to max lines.
func dropOldest(ctx context.Context, tx *sql.Tx, max int) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM buffer`).Scan(&n); err != nil {
		return 0, err
	}
	if n <= max {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM buffer WHERE id IN (SELECT id FROM buffer ORDER BY id LIMIT ?)`, n-max)
	if err != nil {
		return 0, err
	}
	dropped, _ := res.RowsAffected()
	return int(dropped), nil
}

// Cursor is a logger's position in the buffer: the last line it delivered
// and, for loggers that write files, each file's size after that line.
type Cursor struct {
	ID      int64
	Offsets map[string]int64
}

// Cursor returns a logger's cursor; a new logger starts at the beginning.
func (d *DB) Cursor(ctx context.Context, logger string) (Cursor, error) {
	var c Cursor
	var offsets string
	err := d.db.QueryRowContext(ctx, `SELECT id, offsets FROM cursors WHERE logger = ?`, logger).Scan(&c.ID, &offsets)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{Offsets: map[string]int64{}}, nil
	}
	if err != nil {
		return c, fmt.Errorf("state: cursor %s: %w", logger, err)
	}
	c.Offsets = map[string]int64{}
	json.Unmarshal([]byte(offsets), &c.Offsets)
	return c, nil
}

// SetCursor records a logger's progress.
func (d *DB) SetCursor(ctx context.Context, logger string, c Cursor) error {
	offsets, _ := json.Marshal(c.Offsets)
	_, err := d.db.ExecContext(ctx, `INSERT INTO cursors(logger, id, offsets) VALUES (?, ?, ?)
		ON CONFLICT(logger) DO UPDATE SET id = excluded.id, offsets = excluded.offsets`, logger, c.ID, string(offsets))
	if err != nil {
		return fmt.Errorf("state: cursor %s: %w", logger, err)
	}
	return nil
}

// Pending returns up to limit buffered lines after id, oldest first.
func (d *DB) Pending(ctx context.Context, after int64, limit int) ([]Entry, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, kind, line FROM buffer WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("state: buffer: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var kind int
		if err := rows.Scan(&e.ID, &kind, &e.Data); err != nil {
			return nil, err
		}
		e.Kind = Kind(kind)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Trim deletes the buffered lines that every named logger has delivered.
func (d *DB) Trim(ctx context.Context, loggers []string) error {
	if len(loggers) == 0 {
		return nil
	}
	min := int64(-1)
	for _, l := range loggers {
		c, err := d.Cursor(ctx, l)
		if err != nil {
			return err
		}
		if min < 0 || c.ID < min {
			min = c.ID
		}
	}
	_, err := d.db.ExecContext(ctx, `DELETE FROM buffer WHERE id <= ?`, min)
	return err
}

// BufferDepth returns how many lines the buffer holds.
func (d *DB) BufferDepth(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM buffer`).Scan(&n)
	return n, err
}

// Get reads a small value; ok is false when absent.
func (d *DB) Get(ctx context.Context, key string) (value []byte, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return value, err == nil, err
}

// Put writes a small value.
func (d *DB) Put(ctx context.Context, key string, value []byte) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Delete removes a small value.
func (d *DB) Delete(ctx context.Context, key string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM kv WHERE key = ?`, key)
	return err
}

// Forget drops a query's stored results, so its next run starts over.
func (d *DB) Forget(ctx context.Context, name string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM queries WHERE name = ?`, name)
	return err
}

// QueryNames lists the queries with stored state.
func (d *DB) QueryNames(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name FROM queries ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
