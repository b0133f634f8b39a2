package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/osaudit/osaudit"
)

// maxName bounds names (customers, queries, packs, labels, secrets).
const maxName = 255

// checkName validates a name: non-empty, valid UTF-8, at most maxName bytes.
func checkName(what, name string) error {
	switch {
	case name == "":
		return osaudit.Errorf(osaudit.EINVALID, "%s name is empty", what)
	case len(name) > maxName:
		return osaudit.Errorf(osaudit.EINVALID, "%s name is longer than %d bytes", what, maxName)
	case !utf8.ValidString(name):
		return osaudit.Errorf(osaudit.EINVALID, "%s name is not valid UTF-8", what)
	}
	return nil
}

// CreateCustomer stores a new customer and sets its ID and CreatedAt.
func (s *Store) CreateCustomer(ctx context.Context, c *osaudit.Customer) error {
	if c == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no customer")
	}
	if err := checkName("customer", c.Name); err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO customers (name, created_at) VALUES (?, ?)`, c.Name, micros(at))
		if isUnique(err) {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer %q already exists", c.Name)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create customer: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: create customer: %w", err)
		}
		c.ID, c.CreatedAt = id, at
		return nil
	})
}

func scanCustomer(row scanner) (*osaudit.Customer, error) {
	var c osaudit.Customer
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// Customer returns the customer with id.
func (s *Store) Customer(ctx context.Context, id int64) (*osaudit.Customer, error) {
	return queryOne(ctx, s.r, "customer", notFound("customer", id), scanCustomer,
		`SELECT id, name, created_at FROM customers WHERE id = ?`, id)
}

// CustomerByName returns the customer named name.
func (s *Store) CustomerByName(ctx context.Context, name string) (*osaudit.Customer, error) {
	return queryOne(ctx, s.r, "customer", osaudit.Errorf(osaudit.ENOTFOUND, "customer %q not found", name), scanCustomer,
		`SELECT id, name, created_at FROM customers WHERE name = ?`, name)
}

// Customers lists every customer by ID.
func (s *Store) Customers(ctx context.Context) ([]*osaudit.Customer, error) {
	return queryAll(ctx, s.r, "customers", scanCustomer, `SELECT id, name, created_at FROM customers ORDER BY id`)
}

// DeleteCustomer deletes a customer and everything that is its own
// (secrets, queries, packs, labels, campaigns, users, tokens). It fails with
// ECONFLICT while the customer has hosts, or while a provider pack targets
// it or one of its labels (deleting would widen that pack's targets).
func (s *Store) DeleteCustomer(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: delete customer %d: %w", id, err)
		}
		if n == 0 {
			return notFound("customer", id)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM hosts WHERE customer_id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: delete customer %d: %w", id, err)
		}
		if n > 0 {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer %d still has %d hosts", id, n)
		}
		var pack string
		err := tx.QueryRowContext(ctx, `
			SELECT p.name FROM packs p
			WHERE coalesce(p.customer_id, 0) != ?1 AND (
				EXISTS (SELECT 1 FROM pack_customers pc WHERE pc.pack_id = p.id AND pc.customer_id = ?1)
				OR EXISTS (SELECT 1 FROM pack_labels pl JOIN labels l ON l.id = pl.label_id
					WHERE pl.pack_id = p.id AND l.customer_id = ?1))
			LIMIT 1`, id).Scan(&pack)
		switch {
		case err == nil:
			return osaudit.Errorf(osaudit.ECONFLICT, "pack %q targets customer %d or its labels", pack, id)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlite: delete customer %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ?`, id); err != nil {
			if isForeignKey(err) {
				return osaudit.Errorf(osaudit.ECONFLICT, "customer %d is still referenced", id)
			}
			return fmt.Errorf("sqlite: delete customer %d: %w", id, err)
		}
		// Its queries, packs and labels went with it.
		return bumpGeneration(ctx, tx)
	})
}

// CreateEnrollSecret stores a secret's hash and sets its ID and CreatedAt.
func (s *Store) CreateEnrollSecret(ctx context.Context, e *osaudit.EnrollSecret) error {
	if e == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no enroll secret")
	}
	if len(e.Hash) == 0 {
		return osaudit.Errorf(osaudit.EINVALID, "enroll secret without a hash")
	}
	if e.CustomerID <= 0 {
		return osaudit.Errorf(osaudit.EINVALID, "enroll secret without a customer")
	}
	if len(e.Name) > maxName || !utf8.ValidString(e.Name) {
		return osaudit.Errorf(osaudit.EINVALID, "enroll secret name is too long or not UTF-8")
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO enroll_secrets (customer_id, name, hash, created_at) VALUES (?, ?, ?, ?)`,
			e.CustomerID, e.Name, e.Hash, micros(at))
		switch {
		case isUnique(err):
			return osaudit.Errorf(osaudit.ECONFLICT, "an enroll secret with this hash exists")
		case isForeignKey(err):
			return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", e.CustomerID)
		case err != nil:
			return fmt.Errorf("sqlite: create enroll secret: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: create enroll secret: %w", err)
		}
		e.ID, e.CreatedAt, e.RevokedAt = id, at, nil
		return nil
	})
}

const secretColumns = `id, customer_id, name, hash, created_at, revoked_at`

func scanSecret(row scanner) (*osaudit.EnrollSecret, error) {
	var e osaudit.EnrollSecret
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&e.ID, &e.CustomerID, &e.Name, &e.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	e.CreatedAt = fromMicros(created)
	if revoked.Valid {
		t := fromMicros(revoked.Int64)
		e.RevokedAt = &t
	}
	return &e, nil
}

// EnrollSecrets lists a customer's secrets, revoked ones included, by ID.
func (s *Store) EnrollSecrets(ctx context.Context, customerID int64) ([]*osaudit.EnrollSecret, error) {
	return queryAll(ctx, s.r, "enroll secrets", scanSecret,
		`SELECT `+secretColumns+` FROM enroll_secrets WHERE customer_id = ? ORDER BY id`, customerID)
}

// EnrollSecretByHash finds a secret that is not revoked.
func (s *Store) EnrollSecretByHash(ctx context.Context, hash []byte) (*osaudit.EnrollSecret, error) {
	if len(hash) == 0 {
		return nil, osaudit.Errorf(osaudit.ENOTFOUND, "enroll secret not found")
	}
	return queryOne(ctx, s.r, "enroll secret", osaudit.Errorf(osaudit.ENOTFOUND, "enroll secret not found"), scanSecret,
		`SELECT `+secretColumns+` FROM enroll_secrets WHERE hash = ? AND revoked_at IS NULL`, hash)
}

// RevokeEnrollSecret revokes a secret at at. Revoking a revoked secret
// keeps its first revocation time.
func (s *Store) RevokeEnrollSecret(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE enroll_secrets SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, micros(at), id)
		if err != nil {
			return fmt.Errorf("sqlite: revoke enroll secret %d: %w", id, err)
		}
		return checkAffected(res, "enroll secret", id)
	})
}
