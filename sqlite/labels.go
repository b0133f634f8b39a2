package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/osaudit/osaudit"
)

func checkLabel(l *osaudit.Label) error {
	if l == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no label")
	}
	if err := checkName("label", l.Name); err != nil {
		return err
	}
	switch {
	case l.CustomerID < 0 || l.ID < 0:
		return osaudit.Errorf(osaudit.EINVALID, "label %q: negative id", l.Name)
	case l.Manual && l.SQL != "":
		return osaudit.Errorf(osaudit.EINVALID, "label %q is manual and has a query", l.Name)
	case !l.Manual && l.SQL == "":
		return osaudit.Errorf(osaudit.EINVALID, "label %q is neither manual nor has a query", l.Name)
	}
	return nil
}

// SaveLabel inserts (ID 0) or updates a label and sets ID and UpdatedAt.
// A label has a query (dynamic) or is manual, not both.
func (s *Store) SaveLabel(ctx context.Context, l *osaudit.Label) error {
	if err := checkLabel(l); err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	id := l.ID
	err := s.write(ctx, func(tx *sql.Tx) error {
		return saveOwned(ctx, tx, "labels", "label", l.Name, &id, l.CustomerID,
			`INSERT INTO labels (customer_id, name, description, sql, platform, manual, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`,
			`UPDATE labels SET name = ?, description = ?, sql = ?, platform = ?, manual = ?, updated_at = ?
				WHERE id = ? AND coalesce(customer_id, 0) = ?`,
			l.Name, l.Description, l.SQL, l.Platform, l.Manual, micros(at))
	})
	if err != nil {
		return err
	}
	l.ID, l.UpdatedAt = id, at
	return nil
}

const labelColumns = `id, coalesce(customer_id, 0), name, description, sql, platform, manual, updated_at`

func scanLabel(row scanner) (*osaudit.Label, error) {
	var l osaudit.Label
	var updated int64
	if err := row.Scan(&l.ID, &l.CustomerID, &l.Name, &l.Description, &l.SQL, &l.Platform, &l.Manual, &updated); err != nil {
		return nil, err
	}
	l.UpdatedAt = fromMicros(updated)
	return &l, nil
}

// Label returns the label with id.
func (s *Store) Label(ctx context.Context, id int64) (*osaudit.Label, error) {
	return queryOne(ctx, s.r, "label", notFound("label", id), scanLabel, `SELECT `+labelColumns+` FROM labels WHERE id = ?`, id)
}

// LabelByName returns the customer's label (0: the provider's) named name.
func (s *Store) LabelByName(ctx context.Context, customerID int64, name string) (*osaudit.Label, error) {
	return queryOne(ctx, s.r, "label", osaudit.Errorf(osaudit.ENOTFOUND, "label %q not found", name), scanLabel,
		`SELECT `+labelColumns+` FROM labels WHERE coalesce(customer_id, 0) = ? AND name = ?`, customerID, name)
}

// Labels lists the labels the scope sees, by ID.
func (s *Store) Labels(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Label, error) {
	where, args := scopeWhere(sc)
	return queryAll(ctx, s.r, "labels", scanLabel, `SELECT `+labelColumns+` FROM labels WHERE `+where+` ORDER BY id`, args...)
}

// DeleteLabel deletes a label and its membership. It fails with ECONFLICT
// while a pack targets the label: dropping it from the pack's targets
// would widen them.
func (s *Store) DeleteLabel(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var pack string
		err := tx.QueryRowContext(ctx, `SELECT p.name FROM pack_labels pl JOIN packs p ON p.id = pl.pack_id
			WHERE pl.label_id = ? ORDER BY p.id LIMIT 1`, id).Scan(&pack)
		switch {
		case err == nil:
			return osaudit.Errorf(osaudit.ECONFLICT, "label %d is a target of pack %q", id, pack)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlite: delete label %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete label %d: %w", id, err)
		}
		if err := checkAffected(res, "label", id); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	})
}

// SetLabelMembership adds (true) or removes (false) hosts in a label, in
// one transaction. A customer's label takes only that customer's hosts.
// The config generation rises only if the membership changed.
func (s *Store) SetLabelMembership(ctx context.Context, labelID int64, member map[int64]bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var owner sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM labels WHERE id = ?`, labelID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("label", labelID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: label membership: %w", err)
		}
		var add []int64
		for id, in := range member {
			if in {
				add = append(add, id)
			}
		}
		if len(add) > 0 {
			var bad int64
			err := tx.QueryRowContext(ctx, `SELECT count(*) - (SELECT count(*) FROM hosts
				WHERE id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR customer_id = ?2))
				FROM (SELECT DISTINCT value FROM json_each(?1))`, int64s(add), owner).Scan(&bad)
			if err != nil {
				return fmt.Errorf("sqlite: label membership: %w", err)
			}
			if bad > 0 {
				return osaudit.Errorf(osaudit.EINVALID, "%d of the hosts do not exist or belong to another customer than label %d", bad, labelID)
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO label_membership (label_id, host_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return fmt.Errorf("sqlite: label membership: %w", err)
		}
		defer ins.Close()
		del, err := tx.PrepareContext(ctx, `DELETE FROM label_membership WHERE label_id = ? AND host_id = ?`)
		if err != nil {
			return fmt.Errorf("sqlite: label membership: %w", err)
		}
		defer del.Close()
		var changed int64
		for id, in := range member {
			st := del
			if in {
				st = ins
			}
			res, err := st.ExecContext(ctx, labelID, id)
			if err != nil {
				return fmt.Errorf("sqlite: label membership: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("sqlite: label membership: %w", err)
			}
			changed += n
		}
		if changed > 0 {
			return bumpGeneration(ctx, tx)
		}
		return nil
	})
}

// LabelMembership lists every host's labels, in ID order.
func (s *Store) LabelMembership(ctx context.Context) (map[int64][]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT host_id, label_id FROM label_membership ORDER BY host_id, label_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: label membership: %w", err)
	}
	defer rows.Close()
	m := map[int64][]int64{}
	for rows.Next() {
		var h, l int64
		if err := rows.Scan(&h, &l); err != nil {
			return nil, fmt.Errorf("sqlite: label membership: %w", err)
		}
		m[h] = append(m[h], l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: label membership: %w", err)
	}
	return m, nil
}
