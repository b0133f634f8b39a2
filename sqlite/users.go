package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osaudit/osaudit"
)

// checkRole validates a role and the customer it applies to: provider
// admins belong to no customer, customer roles to one.
func checkRole(what string, r osaudit.Role, customerID int64) error {
	switch r {
	case osaudit.RoleProviderAdmin:
		if customerID != 0 {
			return osaudit.Errorf(osaudit.EINVALID, "%s: a provider admin belongs to no customer", what)
		}
	case osaudit.RoleCustomerAdmin, osaudit.RoleCustomerViewer:
		if customerID <= 0 {
			return osaudit.Errorf(osaudit.EINVALID, "%s: role %s needs a customer", what, r)
		}
	default:
		return osaudit.Errorf(osaudit.EINVALID, "%s: unknown role %q", what, r)
	}
	return nil
}

// userWhere is scopeWhere for users and tokens: a customer scope sees only
// its own customer's, never the provider's staff.
func userWhere(s osaudit.Scope) (string, []any) {
	if s.Role == osaudit.RoleProviderAdmin {
		return "1", nil
	}
	return "customer_id = ?", []any{s.CustomerID}
}

// CreateUser stores a user and sets ID and CreatedAt. Emails are unique,
// compared without regard to ASCII case.
func (s *Store) CreateUser(ctx context.Context, u *osaudit.User) error {
	if u == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no user")
	}
	if u.Email == "" || len(u.Email) > 320 || !utf8.ValidString(u.Email) || !strings.Contains(u.Email, "@") {
		return osaudit.Errorf(osaudit.EINVALID, "user: invalid email %q", u.Email)
	}
	if err := checkRole("user", u.Role, u.CustomerID); err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, role, customer_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, u.Email, u.Name, u.PasswordHash, string(u.Role), nullID(u.CustomerID), micros(at))
		switch {
		case isUnique(err):
			return osaudit.Errorf(osaudit.ECONFLICT, "user %q already exists", u.Email)
		case isForeignKey(err):
			return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", u.CustomerID)
		case err != nil:
			return fmt.Errorf("sqlite: create user: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: create user: %w", err)
		}
		u.ID, u.CreatedAt = id, at
		return nil
	})
}

const userColumns = `id, email, name, password_hash, role, coalesce(customer_id, 0), created_at`

func scanUser(row scanner) (*osaudit.User, error) {
	var u osaudit.User
	var role string
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &role, &u.CustomerID, &created); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = osaudit.Role(role), fromMicros(created)
	return &u, nil
}

// UserByEmail returns the user with email (ASCII case ignored).
func (s *Store) UserByEmail(ctx context.Context, email string) (*osaudit.User, error) {
	return queryOne(ctx, s.r, "user", osaudit.Errorf(osaudit.ENOTFOUND, "user %q not found", email), scanUser,
		`SELECT `+userColumns+` FROM users WHERE email = ?`, email)
}

// Users lists the users the scope sees, by ID: all for the provider, the
// customer's own otherwise.
func (s *Store) Users(ctx context.Context, sc osaudit.Scope) ([]*osaudit.User, error) {
	where, args := userWhere(sc)
	return queryAll(ctx, s.r, "users", scanUser, `SELECT `+userColumns+` FROM users WHERE `+where+` ORDER BY id`, args...)
}

// CreateToken stores an API token's hash and sets ID and CreatedAt. A
// token of a user has that user's customer.
func (s *Store) CreateToken(ctx context.Context, t *osaudit.APIToken) error {
	if t == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no token")
	}
	if len(t.Hash) == 0 {
		return osaudit.Errorf(osaudit.EINVALID, "token without a hash")
	}
	if len(t.Name) > maxName || !utf8.ValidString(t.Name) {
		return osaudit.Errorf(osaudit.EINVALID, "token name is too long or not UTF-8")
	}
	if err := checkRole("token", t.Role, t.CustomerID); err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	return s.write(ctx, func(tx *sql.Tx) error {
		if t.UserID != 0 {
			var owner int64
			err := tx.QueryRowContext(ctx, `SELECT coalesce(customer_id, 0) FROM users WHERE id = ?`, t.UserID).Scan(&owner)
			if errors.Is(err, sql.ErrNoRows) {
				return osaudit.Errorf(osaudit.EINVALID, "user %d does not exist", t.UserID)
			}
			if err != nil {
				return fmt.Errorf("sqlite: create token: %w", err)
			}
			if owner != t.CustomerID {
				return osaudit.Errorf(osaudit.EINVALID, "token of user %d must have the user's customer", t.UserID)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, hash, role, customer_id, user_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Name, t.Hash, string(t.Role), nullID(t.CustomerID), nullID(t.UserID), micros(at))
		switch {
		case isUnique(err):
			return osaudit.Errorf(osaudit.ECONFLICT, "a token with this hash exists")
		case isForeignKey(err):
			return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", t.CustomerID)
		case err != nil:
			return fmt.Errorf("sqlite: create token: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: create token: %w", err)
		}
		t.ID, t.CreatedAt = id, at
		return nil
	})
}

const tokenColumns = `id, name, hash, role, coalesce(customer_id, 0), coalesce(user_id, 0), created_at, last_used_at`

func scanToken(row scanner) (*osaudit.APIToken, error) {
	var t osaudit.APIToken
	var role string
	var created, used int64
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &role, &t.CustomerID, &t.UserID, &created, &used); err != nil {
		return nil, err
	}
	t.Role, t.CreatedAt, t.LastUsedAt = osaudit.Role(role), fromMicros(created), fromMicros(used)
	return &t, nil
}

// TokenByHash returns the token with hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*osaudit.APIToken, error) {
	if len(hash) == 0 {
		return nil, osaudit.Errorf(osaudit.ENOTFOUND, "token not found")
	}
	return queryOne(ctx, s.r, "token", osaudit.Errorf(osaudit.ENOTFOUND, "token not found"), scanToken,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash)
}

// Tokens lists the tokens the scope sees, by ID (hashes included; callers
// must not show them).
func (s *Store) Tokens(ctx context.Context, sc osaudit.Scope) ([]*osaudit.APIToken, error) {
	where, args := userWhere(sc)
	return queryAll(ctx, s.r, "tokens", scanToken, `SELECT `+tokenColumns+` FROM api_tokens WHERE `+where+` ORDER BY id`, args...)
}

// DeleteToken deletes a token.
func (s *Store) DeleteToken(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete token %d: %w", id, err)
		}
		return checkAffected(res, "token", id)
	})
}

// TouchToken records a token's use; the time never moves back.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = max(last_used_at, ?) WHERE id = ?`, micros(at), id)
		if err != nil {
			return fmt.Errorf("sqlite: touch token %d: %w", id, err)
		}
		return checkAffected(res, "token", id)
	})
}
