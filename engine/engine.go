// Package engine runs SQL over the registered tables: it binds every table
// to SQLite as a virtual table (modernc.org/sqlite's vtab package), pushes
// equality constraints down to the tables, keeps queries read-only with an
// authorizer and ends each one at its deadline. It is the only agent package
// that imports SQLite.
package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// DefaultTimeout is osaudit's default query deadline (--query_timeout).
const DefaultTimeout = 10 * time.Second

// maxValueLength bounds any string or blob a query builds, so that a
// group_concat over a huge result fails cleanly instead of eating memory.
const maxValueLength = 64 << 20

// Options configure an Engine.
type Options struct {
	// Timeout ends every query that runs longer; 0 means DefaultTimeout and
	// a negative value means no deadline.
	Timeout time.Duration
	// Logger receives tables' warnings. nil discards them.
	Logger *slog.Logger
	// Tables restricts the engine to these tables; nil means every
	// registered table.
	Tables []*table.Table
	// MaxConns bounds concurrent queries; 0 means 4.
	MaxConns int
	// Runtime describes the agent to the osquery_* tables; may be nil.
	Runtime table.Runtime
	// HintAllTables makes "did you mean" hints name every registered
	// table, not only Tables (for an engine built with TablesIn).
	HintAllTables bool
}

// Engine runs SQL over tables. It is safe for concurrent use.
type Engine struct {
	root    *hostfs.Root
	log     *slog.Logger
	rt      table.Runtime
	timeout time.Duration
	db      *sql.DB
	tables  map[string]*table.Table // by name and alias
	colls   map[string]bool         // collations the driver has
	only    []string                // names an engine over given tables suggests in hints

	mu     sync.Mutex
	conns  map[string]*connState // by connection id
	nextID atomic.Int64
}

// connState is what the engine knows about one SQLite connection.
type connState struct {
	id       string
	created  map[string]bool // virtual tables made on this connection
	limited  bool            // length limit applied
	internal atomic.Bool     // the engine itself is running DDL
	ctx      atomic.Pointer[context.Context]
}

// New builds an engine over root.
func New(root *hostfs.Root, opts Options) (*Engine, error) {
	e := &Engine{
		root:    root,
		log:     opts.Logger,
		rt:      opts.Runtime,
		timeout: opts.Timeout,
		tables:  map[string]*table.Table{},
		conns:   map[string]*connState{},
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.timeout == 0 {
		e.timeout = DefaultTimeout
	}
	tables := opts.Tables
	if tables == nil {
		tables = table.All()
	} else if opts.HintAllTables {
		e.only = nil
	} else {
		for _, t := range tables {
			e.only = append(e.only, append([]string{t.Name}, t.Aliases...)...)
		}
	}
	drv := &sqlite.Driver{}
	for _, t := range tables {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		for _, name := range append([]string{t.Name}, t.Aliases...) {
			e.tables[name] = t
		}
		if err := drv.RegisterModule(moduleName(t.Name), &module{e: e, t: t}); err != nil {
			return nil, fmt.Errorf("engine: register %s: %w", t.Name, err)
		}
	}
	if err := registerFunctionsWith(drv, root); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	colls, err := registerCollations(drv)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e.colls = map[string]bool{"binary": true, "nocase": true, "rtrim": true}
	for _, c := range colls {
		e.colls[strings.ToLower(c)] = true
	}
	e.db = sql.OpenDB(&connector{e: e, drv: drv})
	n := opts.MaxConns
	if n <= 0 {
		n = 4
	}
	e.db.SetMaxOpenConns(n)
	e.db.SetMaxIdleConns(n)
	return e, nil
}

// hasCollation reports whether SQLite knows a collation; columns declared
// with one it does not know compare as BINARY instead of failing.
func (e *Engine) hasCollation(name string) bool { return e.colls[strings.ToLower(name)] }

// moduleName keeps module names apart from table names, so that a table
// created under its own name never resolves to itself.
func moduleName(table string) string { return "osaudit_" + table }

// Close releases the engine's connections.
func (e *Engine) Close() error { return e.db.Close() }

// Root returns the host root the engine reads.
func (e *Engine) Root() *hostfs.Root { return e.root }

// Table returns a table by name or alias, if the engine serves it.
func (e *Engine) Table(name string) (*table.Table, bool) {
	t, ok := e.tables[name]
	return t, ok
}

// connector opens SQLite connections and registers each with the engine,
// installing the authorizer before any user SQL can run on it.
type connector struct {
	e   *Engine
	drv *sqlite.Driver
}

func (c *connector) Driver() driver.Driver { return c.drv }

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(":memory:")
	if err != nil {
		return nil, err
	}
	st := &connState{id: strconv.FormatInt(c.e.nextID.Add(1), 10), created: map[string]bool{}}
	ar, ok := conn.(sqlite.AuthorizerRegisterer)
	if !ok {
		conn.Close()
		return nil, errors.New("engine: sqlite connection cannot take an authorizer")
	}
	if err := ar.RegisterAuthorizer(st.authorize); err != nil {
		conn.Close()
		return nil, fmt.Errorf("engine: authorizer: %w", err)
	}
	c.e.mu.Lock()
	c.e.conns[st.id] = st
	c.e.mu.Unlock()
	return &trackedConn{Conn: conn, forget: func() {
		c.e.mu.Lock()
		delete(c.e.conns, st.id)
		c.e.mu.Unlock()
	}, state: st}, nil
}

// trackedConn is a SQLite connection that unregisters itself on Close. It
// exposes the interfaces database/sql needs for queries with context.
type trackedConn struct {
	driver.Conn
	forget func()
	state  *connState
}

func (c *trackedConn) Close() error { c.forget(); return c.Conn.Close() }

// Unwrap lets sqlite.Limit reach the driver's connection.
func (c *trackedConn) Unwrap() driver.Conn { return c.Conn }

func (c *trackedConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c *trackedConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c *trackedConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *trackedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *trackedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *trackedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (e *Engine) conn(id string) *connState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conns[id]
}

// Rows streams a query's result. Close it when done.
type Rows struct {
	conn   *sql.Conn
	rows   *sql.Rows
	cancel context.CancelFunc
	ctx    context.Context
	cols   []string
	types  []string
	vals   []any
	ptrs   []any
	e      *Engine
	st     *connState
	err    error
}

// Query runs one SQL statement and returns its rows as they are produced.
func (e *Engine) Query(ctx context.Context, query string) (*Rows, error) {
	var cancel context.CancelFunc
	if e.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	r, err := e.query(ctx, query)
	if err != nil {
		defer cancel()
		return nil, e.explain(ctx, query, err)
	}
	r.cancel = cancel
	return r, nil
}

func (e *Engine) query(ctx context.Context, query string) (*Rows, error) {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	st, err := e.prepareConn(ctx, conn, query)
	if err != nil {
		conn.Close()
		return nil, err
	}
	st.ctx.Store(&ctx)
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		st.ctx.Store(nil)
		conn.Close()
		return nil, err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		conn.Close()
		return nil, err
	}
	r := &Rows{conn: conn, rows: rows, ctx: ctx, cols: cols, e: e, st: st}
	if cts, err := rows.ColumnTypes(); err == nil {
		for _, ct := range cts {
			r.types = append(r.types, ct.DatabaseTypeName())
		}
	}
	r.vals = make([]any, len(cols))
	r.ptrs = make([]any, len(cols))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// prepareConn makes sure the connection has the virtual tables the query
// names and its length limit.
func (e *Engine) prepareConn(ctx context.Context, conn *sql.Conn, query string) (*connState, error) {
	var st *connState
	if err := conn.Raw(func(dc any) error {
		tc, ok := dc.(*trackedConn)
		if !ok {
			return fmt.Errorf("engine: unexpected connection %T", dc)
		}
		st = tc.state
		return nil
	}); err != nil {
		return nil, err
	}
	if !st.limited {
		if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, maxValueLength); err != nil {
			return nil, err
		}
		st.limited = true
	}
	for _, name := range identifiers(query) {
		t, ok := e.tables[name]
		if !ok || st.created[name] {
			continue
		}
		st.internal.Store(true)
		_, err := conn.ExecContext(ctx, "CREATE VIRTUAL TABLE temp."+name+" USING "+moduleName(t.Name)+"("+st.id+")")
		st.internal.Store(false)
		if err != nil {
			return nil, fmt.Errorf("engine: create %s: %w", name, err)
		}
		st.created[name] = true
	}
	return st, nil
}

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.cols }

// DeclTypes returns each result column's declared type where SQLite knows
// it ("BIGINT", "TEXT", ...), or "".
func (r *Rows) DeclTypes() []string { return r.types }

// Next advances to the next row.
func (r *Rows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

// Values returns the current row: each value nil, int64, float64, string or
// []byte. The slice is reused by the next call to Next.
func (r *Rows) Values() []any { return r.vals }

// Err returns the error that ended the rows, if any.
func (r *Rows) Err() error {
	err := r.err
	if err == nil {
		err = r.rows.Err()
	}
	if err == nil {
		return nil
	}
	return r.e.explain(r.ctx, "", err)
}

// Close ends the query and returns its connection to the pool.
func (r *Rows) Close() error {
	err := r.rows.Close()
	r.st.ctx.Store(nil)
	if cerr := r.conn.Close(); err == nil {
		err = cerr
	}
	r.cancel()
	return err
}

// Query is a convenience that runs a statement and collects every row;
// for callers that know the result is small.
func (e *Engine) QueryAll(ctx context.Context, query string) (cols []string, rows [][]any, err error) {
	r, err := e.Query(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	for r.Next() {
		rows = append(rows, append([]any(nil), r.Values()...))
	}
	return r.Columns(), rows, r.Err()
}

// TablesIn returns the registered tables a statement names. An engine
// built over just them starts faster: a one-shot query registers only the
// modules it uses.
func TablesIn(query string) []*table.Table {
	seen := map[*table.Table]bool{}
	out := []*table.Table{}
	for _, w := range identifiers(query) {
		if t, ok := table.Lookup(w); ok && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// identifiers returns the distinct lower-case names in a statement that
// could name a table; the engine creates the virtual tables among them on
// first use, so a connection only builds what its queries need.
func identifiers(query string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tokenize(query) {
		var w string
		switch t.kind {
		case tokWord:
			w = t.text
		case tokQuoted:
			w = strings.Trim(t.text, "\"`[]")
		default:
			continue
		}
		w = strings.ToLower(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
