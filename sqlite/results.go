package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// A group holds the rows of one query run of one host (see migration
// 0002): row n of group g has the id g<<groupLineBits | n.
const (
	groupLineBits = 12
	maxGroupLines = 1 << groupLineBits
)

const insertGroupSQL = `INSERT INTO result_groups (customer_id, host_id, name_id, unix_time, epoch, counter, keyset_id,
	lines, data, decorations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

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

// sameRun reports whether a and b are rows of one query run: what a group
// stores once.
func sameRun(a, b *osaudit.ResultRow) bool {
	return a.HostID == b.HostID && a.CustomerID == b.CustomerID && a.Name == b.Name && a.UnixTime == b.UnixTime &&
		a.Epoch == b.Epoch && a.Counter == b.Counter && maps.Equal(a.Decorations, b.Decorations)
}

// insertResults inserts rows in tx, consecutive rows of one query run (and
// one key set) as one group.
func (s *Store) insertResults(ctx context.Context, tx *sql.Tx, rows []*osaudit.ResultRow) error {
	st := tx.StmtContext(ctx, s.insertGroup)
	data := s.intern.data[:0]
	var buf []byte
	var keys []string
	for len(rows) > 0 {
		first := rows[0]
		nameID, err := s.intern.nameID(ctx, tx, first.Name)
		if err != nil {
			return err
		}
		ks, cols, err := s.intern.keysetOf(ctx, tx, nameID, first.Columns)
		if err != nil {
			return err
		}
		data = appendLine(append(data[:0], '['), ks, clean(first.Action), cols)
		n := 1
		for ; n < len(rows) && n < maxGroupLines && sameRun(first, rows[n]); n++ {
			if !ks.matches(rows[n].Columns) {
				break // another key set: another group
			}
			data = appendLine(append(data, ','), ks, clean(rows[n].Action), rows[n].Columns)
		}
		data = append(data, ']')
		var decorations any
		if len(first.Decorations) > 0 {
			buf, keys = appendStringMap(buf[:0], first.Decorations, keys)
			decorations = string(buf)
		}
		res, err := st.ExecContext(ctx, first.CustomerID, first.HostID, nameID, first.UnixTime, first.Epoch, first.Counter, ks.id,
			n, string(data), decorations)
		if err != nil {
			return fmt.Errorf("sqlite: insert results: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: insert results: %w", err)
		}
		for i, r := range rows[:n] {
			r.ID = id<<groupLineBits | int64(i)
		}
		rows = rows[n:]
	}
	s.intern.data = data
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
//
// The SQL selects groups (a query run's rows share the time and every
// filtered field but the action and the columns); their rows are checked
// here, and groups are read until the page is full.
func (s *Store) Results(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.ResultRow, error) {
	n, err := pageLimit(f.Page)
	if err != nil {
		return nil, err
	}
	var q resultQuery
	// Choose the index: the host's, else the name's, else the customer's,
	// else time alone; the other filters are checked on its rows. INDEXED
	// BY keeps SQLite from preferring another index for the ORDER BY.
	index := "result_groups_time"
	if f.CustomerID != 0 {
		q.add("g.customer_id = ?", f.CustomerID)
		index = "result_groups_customer_time"
	}
	if f.Name != "" {
		q.add("g.name_id = (SELECT id FROM result_names WHERE name = ?)", clean(f.Name))
		index = "result_groups_name_time"
	}
	if f.HostID != 0 {
		q.add("g.host_id = ?", f.HostID)
		index = "result_groups_host_time"
	}
	if f.Action != "" {
		// A row's array starts with its action; quotes inside values are
		// escaped, so this matches only actions.
		q.add("instr(g.data, ?) > 0", "["+string(osquery.AppendJSONString(nil, f.Action)))
	}
	if !f.Since.IsZero() {
		q.add("g.unix_time >= ?", ceilUnix(f.Since))
	}
	if !f.Until.IsZero() {
		q.add("g.unix_time < ?", ceilUnix(f.Until))
	}
	if f.Search != "" {
		js := string(osquery.AppendJSONString(nil, f.Search))
		q.add(`g.data LIKE ? ESCAPE '\'`, likePattern(js[1:len(js)-1]))
	}
	// The cursor: the group of the previous page's last row, and its row
	// number there.
	afterGroup, afterLine := int64(0), int64(-1)
	var cursor string
	var cursorArgs []any
	if f.After > 0 {
		afterGroup, afterLine = f.After>>groupLineBits, f.After&(maxGroupLines-1)
		var t int64
		err := s.r.QueryRowContext(ctx, `SELECT unix_time FROM result_groups WHERE id = ?`, afterGroup).Scan(&t)
		switch {
		case err == nil:
			cursor, cursorArgs = "g.unix_time >= ? AND (g.unix_time > ? OR g.id >= ?)", []any{t, t, afterGroup}
		case errors.Is(err, sql.ErrNoRows):
			cursor, cursorArgs = "g.id > ?", []any{afterGroup} // pruned meanwhile
		default:
			return nil, fmt.Errorf("sqlite: results: %w", err)
		}
	}
	// Without row filters, a group's lines column tells how many of its
	// rows join the page, and reading stops once they fill it; with them,
	// groups are read a few at a time.
	rowFilter := f.Action != "" || f.Search != ""
	limit := n
	if rowFilter {
		limit = min(n, 32)
	}
	out := []*osaudit.ResultRow{}
	for {
		where := append(slices.Clone(q.where), "1")
		args := slices.Clone(q.args)
		if cursor != "" {
			where = append(where, cursor)
			args = append(args, cursorArgs...)
		}
		need := -1
		if !rowFilter {
			need = n - len(out)
		}
		groups, more, err := s.resultGroups(ctx, index, strings.Join(where, " AND "), args, limit, need, afterGroup, afterLine)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			keys, err := s.keysOf(ctx, g.keyset)
			if err != nil {
				return nil, err
			}
			lines, err := decodeGroup(g.data, len(keys))
			if err != nil {
				return nil, err
			}
			for i, l := range lines {
				if g.id == afterGroup && int64(i) <= afterLine ||
					f.Action != "" && l.action != f.Action ||
					f.Search != "" && !containsFoldAny(l.values, f.Search) {
					continue
				}
				r := g.row
				r.ID = g.id<<groupLineBits | int64(i)
				r.Action = l.action
				r.Columns = columnsMap(keys, l.values)
				out = append(out, &r)
				if len(out) == n {
					return out, nil
				}
			}
		}
		if !more || len(groups) == 0 {
			return out, nil
		}
		last := groups[len(groups)-1]
		cursor, cursorArgs = "g.unix_time >= ? AND (g.unix_time > ? OR g.id > ?)", []any{last.row.UnixTime, last.row.UnixTime, last.id}
		afterGroup = 0
	}
}

// storedGroup is a result group as read, before its rows are decoded.
type storedGroup struct {
	id     int64
	row    osaudit.ResultRow // the fields its rows share
	keyset int64
	data   []byte
}

// resultGroups reads up to limit groups in (unix_time, id) order; with
// need >= 0, it stops early once the groups read hold need rows (not
// counting rows up to afterLine of group afterGroup). more reports whether
// groups may follow those returned.
func (s *Store) resultGroups(ctx context.Context, index, where string, args []any, limit, need int, afterGroup, afterLine int64) (groups []*storedGroup, more bool, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT g.id, g.customer_id, g.host_id, n.name, g.unix_time, g.epoch,
		g.counter, g.keyset_id, g.lines, g.data, g.decorations
		FROM result_groups g INDEXED BY `+index+` JOIN result_names n ON n.id = g.name_id
		WHERE `+where+` ORDER BY g.unix_time, g.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: results: %w", err)
	}
	defer rows.Close()
	// Rows are decoded once the rows are closed: decoding may look up a
	// key set, and holding this connection while asking the pool for
	// another could deadlock a small pool.
	for rows.Next() {
		g := &storedGroup{}
		var lines int64
		var decorations []byte
		if err := rows.Scan(&g.id, &g.row.CustomerID, &g.row.HostID, &g.row.Name, &g.row.UnixTime, &g.row.Epoch, &g.row.Counter,
			&g.keyset, &lines, &g.data, &decorations); err != nil {
			return nil, false, fmt.Errorf("sqlite: results: %w", err)
		}
		if err := unmarshal(decorations, &g.row.Decorations); err != nil {
			return nil, false, err
		}
		groups = append(groups, g)
		if g.id == afterGroup {
			lines -= afterLine + 1
		}
		if need >= 0 {
			if need -= int(lines); need <= 0 {
				return groups, true, nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlite: results: %w", err)
	}
	return groups, len(groups) == limit, nil
}

// containsFoldAny reports whether one of values contains sub, ASCII
// letters matched case-insensitively (as SQLite's LIKE matches them).
func containsFoldAny(values []string, sub string) bool {
	for _, v := range values {
		if containsFoldASCII(v, sub) {
			return true
		}
	}
	return false
}

func containsFoldASCII(s, sub string) bool {
	if len(sub) == 0 {
		return true
	}
	first := lowerASCII(sub[0])
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < len(sub) && lowerASCII(s[i+j]) == lowerASCII(sub[j]) {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
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

// pruneChunk bounds the rows (of statuses) or groups (of results) one
// pruning transaction deletes, so that ingest gets the writer between
// chunks.
const pruneChunk = 5000

// PruneResults deletes result rows with UnixTime before before and status
// rows with Time before it, and returns how many it deleted. It works
// customer by customer through the (customer, time) indexes, in
// transactions of at most pruneChunk rows or groups, so that ingest is not
// held up.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, t := range []struct {
		table, timeCol, count string
		bound                 int64
	}{{"result_groups", "unix_time", "lines", before.Unix()}, {"statuses", "time", "1", micros(before)}} {
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
				var deleted, rows int64
				err := s.write(ctx, func(tx *sql.Tx) error {
					deleted, rows = 0, 0
					res, err := tx.QueryContext(ctx, `DELETE FROM `+t.table+` WHERE id IN (SELECT id FROM `+t.table+`
						WHERE customer_id = ? AND `+t.timeCol+` < ? LIMIT ?) RETURNING `+t.count, customer, t.bound, pruneChunk)
					if err != nil {
						return err
					}
					defer res.Close()
					for res.Next() {
						var n int64
						if err := res.Scan(&n); err != nil {
							return err
						}
						deleted++
						rows += n
					}
					return res.Err()
				})
				if err != nil {
					return total, fmt.Errorf("sqlite: prune %s: %w", t.table, err)
				}
				total += rows
				if deleted < pruneChunk {
					break
				}
			}
		}
	}
	return total, nil
}
