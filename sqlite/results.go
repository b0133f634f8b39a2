package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// insertChunk is how many rows one multi-row INSERT carries: fewer
// statement executions per batch (10 parameters a row, far below SQLite's
// limit of 32766).
const insertChunk = 32

const insertResultSQL = `INSERT INTO results (customer_id, host_id, name_id, action, unix_time, epoch, counter, keyset_id,
	columns, decorations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertResultsSQL is insertResultSQL for insertChunk rows.
var insertResultsSQL = insertResultSQL + strings.Repeat(", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", insertChunk-1)

const insertStatusSQL = `INSERT INTO statuses (customer_id, host_id, time, severity, filename, line, message, version)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

func checkResult(r *osaudit.ResultRow) error {
	switch {
	case r == nil:
		return osaudit.Errorf(osaudit.EINVALID, "nil result row")
	case r.CustomerID <= 0 || r.HostID <= 0:
		return osaudit.Errorf(osaudit.EINVALID, "result row without a customer or host")
	case r.Name == "":
		return osaudit.Errorf(osaudit.EINVALID, "result row without a query name")
	}
	return nil
}

// InsertResults stores rows in one transaction, durably (see the package
// comment), and sets their IDs. Concurrent calls share a transaction (see
// ingest.go); a call's rows are stored all or none. Columns are stored
// compactly (see columns.go), decorations as a JSON object; invalid UTF-8
// in them becomes U+FFFD. Rows are not checked against the hosts table
// (the server authenticated them).
func (s *Store) InsertResults(ctx context.Context, rows []*osaudit.ResultRow) error {
	for _, r := range rows {
		if err := checkResult(r); err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return s.submit(ctx, &ingestReq{results: rows})
}

// insertResults inserts rows in tx, insertChunk at a time.
func (s *Store) insertResults(ctx context.Context, tx *sql.Tx, rows []*osaudit.ResultRow) error {
	var buf []byte
	var keys []string
	args := make([]any, 0, 10*insertChunk)
	one := tx.StmtContext(ctx, s.insertResult)
	many := tx.StmtContext(ctx, s.insertChunkStmt)
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), insertChunk)]
		rows = rows[len(chunk):]
		st := many
		if len(chunk) < insertChunk {
			st = one
		}
		args = args[:0]
		for i, r := range chunk {
			nameID, err := s.intern.nameID(ctx, tx, r.Name)
			if err != nil {
				return err
			}
			keyset, cols, err := s.intern.columns(ctx, tx, nameID, r.Columns)
			if err != nil {
				return err
			}
			var decorations any
			if len(r.Decorations) > 0 {
				buf, keys = appendStringMap(buf[:0], r.Decorations, keys)
				decorations = string(buf)
			}
			args = append(args, r.CustomerID, r.HostID, nameID, clean(r.Action), r.UnixTime, r.Epoch, r.Counter, keyset, cols, decorations)
			if st == one {
				res, err := st.ExecContext(ctx, args...)
				if err != nil {
					return fmt.Errorf("sqlite: insert results: %w", err)
				}
				if chunk[i].ID, err = res.LastInsertId(); err != nil {
					return fmt.Errorf("sqlite: insert results: %w", err)
				}
				args = args[:0]
			}
		}
		if st == many {
			res, err := st.ExecContext(ctx, args...)
			if err != nil {
				return fmt.Errorf("sqlite: insert results: %w", err)
			}
			last, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("sqlite: insert results: %w", err)
			}
			// One statement's rowids are consecutive: nothing else writes
			// between them.
			for i, r := range chunk {
				r.ID = last - int64(len(chunk)-1-i)
			}
		}
	}
	return nil
}

// InsertStatus stores status log lines in one transaction, durably, and
// sets their IDs. Like InsertResults, concurrent calls share a transaction.
func (s *Store) InsertStatus(ctx context.Context, rows []*osaudit.StatusRow) error {
	for _, r := range rows {
		switch {
		case r == nil:
			return osaudit.Errorf(osaudit.EINVALID, "nil status row")
		case r.CustomerID <= 0 || r.HostID <= 0:
			return osaudit.Errorf(osaudit.EINVALID, "status row without a customer or host")
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return s.submit(ctx, &ingestReq{statuses: rows})
}

func (s *Store) insertStatuses(ctx context.Context, tx *sql.Tx, rows []*osaudit.StatusRow) error {
	st := tx.StmtContext(ctx, s.insertStatus)
	for _, r := range rows {
		res, err := st.ExecContext(ctx, r.CustomerID, r.HostID, micros(r.Time), r.Severity, clean(r.Filename), r.Line, clean(r.Message), clean(r.Version))
		if err != nil {
			return fmt.Errorf("sqlite: insert status: %w", err)
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: insert status: %w", err)
		}
	}
	return nil
}

// ceilUnix returns the first whole second at or after t: a row's time is a
// whole second, so unix_time >= ceilUnix(t) means "at or after t", and
// unix_time < ceilUnix(t) "before t".
func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

// resultQuery builds the WHERE clause of Results and Statuses.
type resultQuery struct {
	where []string
	args  []any
}

func (q *resultQuery) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// Results lists result rows matching f in (UnixTime, ID) order, a page at a
// time: f.After is the ID of the last row of the previous page. Since is
// inclusive, Until exclusive. Search is a case-insensitive (ASCII) substring
// of any column value; it scans the rows the other filters select (a LIKE
// on the stored JSON, then an exact check of each value), so narrow it with
// a host, name or time range.
func (s *Store) Results(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.ResultRow, error) {
	n, err := pageLimit(f.Page)
	if err != nil {
		return nil, err
	}
	var q resultQuery
	// Choose the index: the host's, else the name's, else the customer's,
	// else time alone; the other filters are checked on its rows. INDEXED
	// BY keeps SQLite from preferring another index for the ORDER BY.
	index := "results_time"
	if f.CustomerID != 0 {
		q.add("r.customer_id = ?", f.CustomerID)
		index = "results_customer_time"
	}
	if f.Name != "" {
		q.add("r.name_id = (SELECT id FROM result_names WHERE name = ?)", clean(f.Name))
		index = "results_name_time"
	}
	if f.HostID != 0 {
		q.add("r.host_id = ?", f.HostID)
		index = "results_host_time"
	}
	if f.Action != "" {
		q.add("r.action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		q.add("r.unix_time >= ?", ceilUnix(f.Since))
	}
	if !f.Until.IsZero() {
		q.add("r.unix_time < ?", ceilUnix(f.Until))
	}
	if f.After > 0 {
		var t int64
		err := s.r.QueryRowContext(ctx, `SELECT unix_time FROM results WHERE id = ?`, f.After).Scan(&t)
		switch {
		case err == nil:
			q.add("r.unix_time >= ? AND (r.unix_time > ? OR r.id > ?)", t, t, f.After)
		case errors.Is(err, sql.ErrNoRows):
			q.add("r.id > ?", f.After) // pruned meanwhile
		default:
			return nil, fmt.Errorf("sqlite: results: %w", err)
		}
	}
	if f.Search != "" {
		js := string(osquery.AppendJSONString(nil, f.Search))
		q.add(`r.columns LIKE ? ESCAPE '\'`, likePattern(js[1:len(js)-1]))
		q.add(`EXISTS (SELECT 1 FROM json_each(r.columns) WHERE value LIKE ? ESCAPE '\')`, likePattern(f.Search))
	}
	where := "1"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT r.id, r.customer_id, r.host_id, n.name, r.action, r.unix_time, r.epoch,
		r.counter, r.keyset_id, r.columns, r.decorations
		FROM results r INDEXED BY `+index+` JOIN result_names n ON n.id = r.name_id
		WHERE `+where+` ORDER BY r.unix_time, r.id LIMIT ?`, append(q.args, n)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: results: %w", err)
	}
	defer rows.Close()
	// Columns are decoded once the rows are closed: decoding may look up a
	// key set, and holding this connection while asking the pool for
	// another could deadlock a small pool.
	type raw struct {
		keyset int64
		cols   []byte
	}
	out := []*osaudit.ResultRow{}
	var raws []raw
	for rows.Next() {
		var r osaudit.ResultRow
		var x raw
		var decorations []byte
		if err := rows.Scan(&r.ID, &r.CustomerID, &r.HostID, &r.Name, &r.Action, &r.UnixTime, &r.Epoch, &r.Counter, &x.keyset, &x.cols, &decorations); err != nil {
			return nil, fmt.Errorf("sqlite: results: %w", err)
		}
		if err := unmarshal(decorations, &r.Decorations); err != nil {
			return nil, err
		}
		out = append(out, &r)
		raws = append(raws, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: results: %w", err)
	}
	rows.Close()
	for i, r := range out {
		if r.Columns, err = s.decodeColumns(ctx, raws[i].keyset, raws[i].cols); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Statuses lists status rows matching f in (Time, ID) order, a page at a
// time, like Results. Name and Action do not apply to status lines and
// are ignored; Search is a substring of the message.
func (s *Store) Statuses(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.StatusRow, error) {
	n, err := pageLimit(f.Page)
	if err != nil {
		return nil, err
	}
	var q resultQuery
	index := "statuses_time"
	if f.CustomerID != 0 {
		q.add("customer_id = ?", f.CustomerID)
		index = "statuses_customer_time"
	}
	if f.HostID != 0 {
		q.add("host_id = ?", f.HostID)
		index = "statuses_host_time"
	}
	if !f.Since.IsZero() {
		q.add("time >= ?", micros(f.Since))
	}
	if !f.Until.IsZero() {
		q.add("time < ?", micros(f.Until))
	}
	if f.After > 0 {
		var t int64
		err := s.r.QueryRowContext(ctx, `SELECT time FROM statuses WHERE id = ?`, f.After).Scan(&t)
		switch {
		case err == nil:
			q.add("time >= ? AND (time > ? OR id > ?)", t, t, f.After)
		case errors.Is(err, sql.ErrNoRows):
			q.add("id > ?", f.After)
		default:
			return nil, fmt.Errorf("sqlite: statuses: %w", err)
		}
	}
	if f.Search != "" {
		q.add(`message LIKE ? ESCAPE '\'`, likePattern(f.Search))
	}
	where := "1"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	return queryAll(ctx, s.r, "statuses", scanStatus, `SELECT id, customer_id, host_id, time, severity, filename, line, message, version
		FROM statuses INDEXED BY `+index+` WHERE `+where+` ORDER BY time, id LIMIT ?`, append(q.args, n)...)
}

func scanStatus(row scanner) (*osaudit.StatusRow, error) {
	var r osaudit.StatusRow
	var t int64
	if err := row.Scan(&r.ID, &r.CustomerID, &r.HostID, &t, &r.Severity, &r.Filename, &r.Line, &r.Message, &r.Version); err != nil {
		return nil, err
	}
	r.Time = fromMicros(t)
	return &r, nil
}

// pruneChunk bounds the rows one pruning transaction deletes, so that
// ingest gets the writer between chunks.
const pruneChunk = 5000

// PruneResults deletes result rows with UnixTime before before and status
// rows with Time before it, and returns how many it deleted. It works
// customer by customer through the (customer, time) indexes, in
// transactions of at most pruneChunk rows, so that ingest is not held up.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, t := range []struct {
		table string
		bound int64
	}{{"results", before.Unix()}, {"statuses", micros(before)}} {
		timeCol := "unix_time"
		if t.table == "statuses" {
			timeCol = "time"
		}
		customer := int64(-1 << 63)
		for {
			var next sql.NullInt64
			if err := s.r.QueryRowContext(ctx, `SELECT min(customer_id) FROM `+t.table+` WHERE customer_id > ?`, customer).Scan(&next); err != nil {
				return total, fmt.Errorf("sqlite: prune %s: %w", t.table, err)
			}
			if !next.Valid {
				break
			}
			customer = next.Int64
			for {
				var n int64
				err := s.write(ctx, func(tx *sql.Tx) error {
					res, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE id IN (SELECT id FROM `+t.table+`
						WHERE customer_id = ? AND `+timeCol+` < ? LIMIT ?)`, customer, t.bound, pruneChunk)
					if err != nil {
						return err
					}
					n, err = res.RowsAffected()
					return err
				})
				if err != nil {
					return total, fmt.Errorf("sqlite: prune %s: %w", t.table, err)
				}
				total += n
				if n < pruneChunk {
					break
				}
			}
		}
	}
	return total, nil
}
