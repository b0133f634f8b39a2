// Package sqlite is the manager's embedded store: osaudit.Store on one
// SQLite file (modernc.org/sqlite, pure Go), in WAL mode, with a pool of
// read connections, a single writer connection and a checkpointer.
//
// Durability: every write is one transaction on the writer connection, and
// the connection runs with synchronous=FULL by default, so a commit (and so
// InsertResults' return) is on stable storage: the WAL is fsynced at every
// commit. synchronous=NORMAL would fsync only at checkpoints and could lose
// the last transactions on a power loss (not on a crash of the process).
// Concurrent ingest calls share one transaction (ingest.go), so FULL costs
// one fsync per group and about 10% of ingest throughput (see
// docs/performance.md): FULL is the default, NORMAL an option.
//
// Conventions: times are stored as microseconds since the Unix epoch and
// returned in UTC (the same precision as PostgreSQL's timestamptz); ids are
// never reused. Maps and lists are JSON text. Agents' strings (inventory,
// result names and columns, status lines, campaign answers) are made valid
// UTF-8, each invalid byte becoming U+FFFD as encoding/json does; other
// strings are stored byte for byte.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/osaudit/osaudit"
)

// pageSize is the page size of new databases: SQLite's default, which
// measured faster for ingest than 8 and 16 KiB pages.
const pageSize = 4096

// Options tune the store. The zero value is the default.
type Options struct {
	// Synchronous is SQLite's synchronous setting for the writer: "FULL"
	// (default: a commit is durable when it returns) or "NORMAL" (faster
	// on slow disks; a power loss may lose the last commits).
	Synchronous string
	// BusyTimeout bounds how long a connection waits for a lock held by
	// another process (default 5 s).
	BusyTimeout time.Duration
	// ReadConns is the size of the read pool (default: max(4, GOMAXPROCS)).
	ReadConns int
	// CacheKiB is each connection's page cache (default 16 MiB for the
	// writer, 8 MiB for each reader).
	CacheKiB int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store is osaudit.Store on SQLite.
type Store struct {
	r   *sql.DB // read pool, query_only
	w   *sql.DB // the one writer connection
	now func() time.Time

	insertGroup  *sql.Stmt
	insertStatus *sql.Stmt
	touchHost    *sql.Stmt

	ing     *ingester
	ckpt    *checkpointer
	intern  *interner   // the ingest goroutine's (see columns.go)
	keysets keysetCache // the readers'

	closeOnce sync.Once
	closeErr  error
}

var _ osaudit.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path, applies the
// embedded migrations, and prepares the hot statements.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, osaudit.Errorf(osaudit.EINVALID, "sqlite: empty database path")
	}
	sync := "FULL"
	switch opts.Synchronous {
	case "", "FULL", "full":
	case "NORMAL", "normal":
		sync = "NORMAL"
	default:
		return nil, osaudit.Errorf(osaudit.EINVALID, "sqlite: synchronous must be FULL or NORMAL, not %q", opts.Synchronous)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.ReadConns
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}
	wcache, rcache := 16<<10, 8<<10
	if opts.CacheKiB > 0 {
		wcache, rcache = opts.CacheKiB, opts.CacheKiB
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	common := url.Values{}
	common.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "temp_store(MEMORY)")

	wq := cloneValues(common)
	wq.Add("_pragma", "synchronous("+sync+")")
	wq.Add("_pragma", "cache_size(-"+strconv.Itoa(wcache)+")")
	// Checkpoints run in the background (see checkpoint.go).
	wq.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(backstopPages)+")")
	wq.Set("_txlock", "immediate")
	w, err := openDB(path, wq)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The page size applies only to a new, empty database, so it is set
	// before WAL mode (which writes the first page).
	for _, pragma := range []string{"PRAGMA page_size = " + strconv.Itoa(pageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := w.ExecContext(ctx, pragma); err != nil {
			w.Close()
			return nil, fmt.Errorf("sqlite: open %s: %s: %w", path, pragma, err)
		}
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}

	rq := cloneValues(common)
	rq.Add("_pragma", "cache_size(-"+strconv.Itoa(rcache)+")")
	rq.Add("_pragma", "query_only(1)")
	r, err := openDB(path, rq)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	cq := cloneValues(common)
	cq.Add("_pragma", "synchronous(FULL)")
	ck, err := openDB(path, cq)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	ck.SetMaxOpenConns(1)

	s := &Store{r: r, w: w, now: now}
	if err := s.prepare(ctx); err != nil {
		ck.Close()
		s.Close()
		return nil, err
	}
	s.startIngest()
	s.startCheckpointer(ck)
	return s, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// openDB opens a pool on path with the query parameters q. The path is
// escaped as a file: URI path so that '?', '#' and '%' in it are literal.
func openDB(path string, q url.Values) (*sql.DB, error) {
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	conn, err := sqlite.NewConnector(u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return sql.OpenDB(conn), nil
}

func (s *Store) prepare(ctx context.Context) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = s.w.PrepareContext(ctx, q)
		return st
	}
	s.insertGroup = prep(insertGroupSQL)
	s.insertStatus = prep(insertStatusSQL)
	s.touchHost = prep(`UPDATE hosts SET last_seen = t.at
		FROM (SELECT value ->> 0 AS id, value ->> 1 AS at FROM json_each(?)) AS t
		WHERE hosts.id = t.id AND hosts.last_seen < t.at`)
	if err != nil {
		return fmt.Errorf("sqlite: prepare: %w", err)
	}
	return nil
}

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopIngest()
		var errs []error
		errs = append(errs, s.stopCheckpointer())
		for _, st := range []*sql.Stmt{s.insertGroup, s.insertStatus, s.touchHost} {
			if st != nil {
				st.Close()
			}
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			// A last checkpoint folds the WAL into the database file.
			_, _ = s.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			errs = append(errs, s.w.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// bumpGeneration raises the config generation; called in the same
// transaction as every change to queries, packs, labels or membership.
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `UPDATE config_generation SET generation = generation + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("sqlite: bump config generation: %w", err)
	}
	return nil
}

// ConfigGeneration returns the current config generation.
func (s *Store) ConfigGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := s.r.QueryRowContext(ctx, `SELECT generation FROM config_generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("sqlite: config generation: %w", err)
	}
	return g, nil
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// micros converts a time to stored microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros converts stored microseconds back; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// nullID maps the domain's 0 (the provider's) to NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// pageLimit returns the page size for p: 100 by default, at most 1000.
func pageLimit(p osaudit.Page) (int, error) {
	if p.After < 0 || p.Limit < 0 {
		return 0, osaudit.Errorf(osaudit.EINVALID, "page: after and limit must not be negative")
	}
	switch {
	case p.Limit == 0:
		return 100, nil
	case p.Limit > 1000:
		return 1000, nil
	}
	return p.Limit, nil
}

func notFound(what string, id int64) error {
	return osaudit.Errorf(osaudit.ENOTFOUND, "%s %d not found", what, id)
}

// checkAffected turns "no row changed" into ENOTFOUND.
func checkAffected(res sql.Result, what string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs q on db and scans every row with scan; what names the
// query in errors.
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return out, nil
}

// queryOne scans the row q returns on db, or returns missing if there is
// none.
func queryOne[T any](ctx context.Context, db *sql.DB, what string, missing error, scan func(scanner) (T, error), q string, args ...any) (T, error) {
	v, err := scan(db.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, missing
	}
	if err != nil {
		return v, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return v, nil
}
