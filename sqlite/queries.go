package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/osaudit/osaudit"
)

// scopeWhere returns the condition on column customer_id that lets scope s
// see an object: everything for the provider, the provider's objects and
// the scope's own customer's otherwise.
func scopeWhere(s osaudit.Scope) (string, []any) {
	if s.Role == osaudit.RoleProviderAdmin {
		return "1", nil
	}
	return "(customer_id IS NULL OR customer_id = ?)", []any{s.CustomerID}
}

// saveOwned runs the insert or the update of a customer-owned object (a
// query, pack or label): insert when *id is 0, otherwise update the row
// with that id, which must exist and belong to the same customer (objects
// do not move between customers). It maps constraint errors to domain
// errors and bumps the config generation.
func saveOwned(ctx context.Context, tx *sql.Tx, table, what, name string, id *int64, customerID int64,
	insert string, update string, args ...any) error {
	if *id == 0 {
		res, err := tx.ExecContext(ctx, insert, append([]any{nullID(customerID)}, args...)...)
		if err := ownedErr(err, what, name, customerID); err != nil {
			return err
		}
		if *id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: save %s: %w", what, err)
		}
		return bumpGeneration(ctx, tx)
	}
	res, err := tx.ExecContext(ctx, update, append(args, *id, customerID)...)
	if err := ownedErr(err, what, name, customerID); err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: save %s: %w", what, err)
	}
	if n == 0 {
		var owner sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM `+table+` WHERE id = ?`, *id).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(what, *id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: save %s: %w", what, err)
		}
		return osaudit.Errorf(osaudit.EINVALID, "%s %d belongs to customer %d, not %d", what, *id, owner.Int64, customerID)
	}
	return bumpGeneration(ctx, tx)
}

func ownedErr(err error, what, name string, customerID int64) error {
	switch {
	case err == nil:
		return nil
	case isUnique(err):
		return osaudit.Errorf(osaudit.ECONFLICT, "%s %q already exists", what, name)
	case isForeignKey(err):
		return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", customerID)
	}
	return fmt.Errorf("sqlite: save %s %q: %w", what, name, err)
}

func checkQuery(q *osaudit.Query) error {
	if q == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no query")
	}
	if err := checkName("query", q.Name); err != nil {
		return err
	}
	switch {
	case q.SQL == "":
		return osaudit.Errorf(osaudit.EINVALID, "query %q has no SQL", q.Name)
	case q.CustomerID < 0 || q.ID < 0:
		return osaudit.Errorf(osaudit.EINVALID, "query %q: negative id", q.Name)
	case q.Interval < 0:
		return osaudit.Errorf(osaudit.EINVALID, "query %q: negative interval", q.Name)
	case q.Shard < 0 || q.Shard > 100:
		return osaudit.Errorf(osaudit.EINVALID, "query %q: shard must be 0 to 100", q.Name)
	}
	return nil
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func boolPtr(n sql.NullBool) *bool {
	if !n.Valid {
		return nil
	}
	b := n.Bool
	return &b
}

// SaveQuery inserts (ID 0) or updates a query and sets ID and UpdatedAt.
func (s *Store) SaveQuery(ctx context.Context, q *osaudit.Query) error {
	if err := checkQuery(q); err != nil {
		return err
	}
	techniques, err := marshal(nonNil(q.Techniques))
	if err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	id := q.ID
	err = s.write(ctx, func(tx *sql.Tx) error {
		return saveOwned(ctx, tx, "queries", "query", q.Name, &id, q.CustomerID,
			`INSERT INTO queries (customer_id, name, sql, description, interval, snapshot, removed, platform,
				version, shard, techniques, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			`UPDATE queries SET name = ?, sql = ?, description = ?, interval = ?, snapshot = ?, removed = ?,
				platform = ?, version = ?, shard = ?, techniques = ?, updated_at = ?
				WHERE id = ? AND coalesce(customer_id, 0) = ?`,
			q.Name, q.SQL, q.Description, q.Interval, q.Snapshot, nullBool(q.Removed), q.Platform, q.Version,
			q.Shard, techniques, micros(at))
	})
	if err != nil {
		return err
	}
	q.ID, q.UpdatedAt = id, at
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

const queryColumns = `id, coalesce(customer_id, 0), name, sql, description, interval, snapshot, removed, platform,
	version, shard, techniques, updated_at`

func scanQuery(row scanner) (*osaudit.Query, error) {
	var q osaudit.Query
	var removed sql.NullBool
	var techniques []byte
	var updated int64
	if err := row.Scan(&q.ID, &q.CustomerID, &q.Name, &q.SQL, &q.Description, &q.Interval, &q.Snapshot,
		&removed, &q.Platform, &q.Version, &q.Shard, &techniques, &updated); err != nil {
		return nil, err
	}
	q.Removed, q.UpdatedAt = boolPtr(removed), fromMicros(updated)
	if err := unmarshal(techniques, &q.Techniques); err != nil {
		return nil, err
	}
	if len(q.Techniques) == 0 {
		q.Techniques = nil
	}
	return &q, nil
}

// Query returns the query with id.
func (s *Store) Query(ctx context.Context, id int64) (*osaudit.Query, error) {
	return queryOne(ctx, s.r, "query", notFound("query", id), scanQuery, `SELECT `+queryColumns+` FROM queries WHERE id = ?`, id)
}

// QueryByName returns the customer's query (0: the provider's) named name.
func (s *Store) QueryByName(ctx context.Context, customerID int64, name string) (*osaudit.Query, error) {
	return queryOne(ctx, s.r, "query", osaudit.Errorf(osaudit.ENOTFOUND, "query %q not found", name), scanQuery,
		`SELECT `+queryColumns+` FROM queries WHERE coalesce(customer_id, 0) = ? AND name = ?`, customerID, name)
}

// Queries lists the queries the scope sees, by ID.
func (s *Store) Queries(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Query, error) {
	where, args := scopeWhere(sc)
	return queryAll(ctx, s.r, "queries", scanQuery, `SELECT `+queryColumns+` FROM queries WHERE `+where+` ORDER BY id`, args...)
}

// DeleteQuery deletes a query. Packs carry their own copies of their
// queries' SQL, so no pack changes.
func (s *Store) DeleteQuery(ctx context.Context, id int64) error {
	return s.deleteOwned(ctx, "query", `DELETE FROM queries WHERE id = ?`, id)
}

func (s *Store) deleteOwned(ctx context.Context, what, stmt string, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, stmt, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete %s %d: %w", what, id, err)
		}
		if err := checkAffected(res, what, id); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	})
}
