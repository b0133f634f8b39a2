package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/osaudit/osaudit"
)

func checkPack(p *osaudit.Pack) error {
	if p == nil {
		return osaudit.Errorf(osaudit.EINVALID, "no pack")
	}
	if err := checkName("pack", p.Name); err != nil {
		return err
	}
	switch {
	case p.CustomerID < 0 || p.ID < 0:
		return osaudit.Errorf(osaudit.EINVALID, "pack %q: negative id", p.Name)
	case p.Shard < 0 || p.Shard > 100:
		return osaudit.Errorf(osaudit.EINVALID, "pack %q: shard must be 0 to 100", p.Name)
	}
	names := map[string]bool{}
	for i, q := range p.Queries {
		switch {
		case q.Name == "":
			return osaudit.Errorf(osaudit.EINVALID, "pack %q: query %d has no name", p.Name, i)
		case names[q.Name]:
			return osaudit.Errorf(osaudit.EINVALID, "pack %q: query %q appears twice", p.Name, q.Name)
		case q.SQL == "":
			return osaudit.Errorf(osaudit.EINVALID, "pack %q: query %q has no SQL", p.Name, q.Name)
		case q.Interval < 0:
			return osaudit.Errorf(osaudit.EINVALID, "pack %q: query %q has a negative interval", p.Name, q.Name)
		case q.Shard < 0 || q.Shard > 100:
			return osaudit.Errorf(osaudit.EINVALID, "pack %q: query %q: shard must be 0 to 100", p.Name, q.Name)
		}
		names[q.Name] = true
	}
	if p.CustomerID != 0 {
		for _, c := range p.Targets.CustomerIDs {
			if c != p.CustomerID {
				return osaudit.Errorf(osaudit.EINVALID, "pack %q of customer %d cannot target customer %d", p.Name, p.CustomerID, c)
			}
		}
	}
	return nil
}

// SavePack inserts (ID 0) or updates a pack and sets ID and UpdatedAt. Its
// target labels must exist and be the provider's or the pack's customer's
// (a provider pack may target any label); a customer's pack targets only
// that customer.
func (s *Store) SavePack(ctx context.Context, p *osaudit.Pack) error {
	if err := checkPack(p); err != nil {
		return err
	}
	discovery, err := marshal(nonNil(p.Discovery))
	if err != nil {
		return err
	}
	queries, err := marshal(nonNil(p.Queries))
	if err != nil {
		return err
	}
	platforms, err := marshal(nonNil(p.Targets.Platforms))
	if err != nil {
		return err
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	id := p.ID
	err = s.write(ctx, func(tx *sql.Tx) error {
		err := saveOwned(ctx, tx, "packs", "pack", p.Name, &id, p.CustomerID,
			`INSERT INTO packs (customer_id, name, description, platform, version, shard, discovery, queries,
				platforms, disabled, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			`UPDATE packs SET name = ?, description = ?, platform = ?, version = ?, shard = ?, discovery = ?,
				queries = ?, platforms = ?, disabled = ?, updated_at = ?
				WHERE id = ? AND coalesce(customer_id, 0) = ?`,
			p.Name, p.Description, p.Platform, p.Version, p.Shard, discovery, queries, platforms, p.Disabled, micros(at))
		if err != nil {
			return err
		}
		return s.saveTargets(ctx, tx, id, p)
	})
	if err != nil {
		return err
	}
	p.ID, p.UpdatedAt = id, at
	return nil
}

// saveTargets replaces a pack's target customers and labels.
func (s *Store) saveTargets(ctx context.Context, tx *sql.Tx, id int64, p *osaudit.Pack) error {
	for _, stmt := range []string{`DELETE FROM pack_customers WHERE pack_id = ?`, `DELETE FROM pack_labels WHERE pack_id = ?`} {
		if _, err := tx.ExecContext(ctx, stmt, id); err != nil {
			return fmt.Errorf("sqlite: save pack targets: %w", err)
		}
	}
	for _, c := range p.Targets.CustomerIDs {
		_, err := tx.ExecContext(ctx, `INSERT INTO pack_customers (pack_id, customer_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, c)
		if isForeignKey(err) {
			return osaudit.Errorf(osaudit.EINVALID, "pack %q targets customer %d, which does not exist", p.Name, c)
		}
		if err != nil {
			return fmt.Errorf("sqlite: save pack targets: %w", err)
		}
	}
	for _, l := range p.Targets.LabelIDs {
		var owner sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM labels WHERE id = ?`, l).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return osaudit.Errorf(osaudit.EINVALID, "pack %q targets label %d, which does not exist", p.Name, l)
		}
		if err != nil {
			return fmt.Errorf("sqlite: save pack targets: %w", err)
		}
		if p.CustomerID != 0 && owner.Valid && owner.Int64 != p.CustomerID {
			return osaudit.Errorf(osaudit.EINVALID, "pack %q targets label %d of another customer", p.Name, l)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pack_labels (pack_id, label_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, l); err != nil {
			return fmt.Errorf("sqlite: save pack targets: %w", err)
		}
	}
	return nil
}

const packColumns = `id, coalesce(customer_id, 0), name, description, platform, version, shard, discovery, queries,
	platforms, disabled, updated_at`

func scanPack(row scanner) (*osaudit.Pack, error) {
	var p osaudit.Pack
	var discovery, queries, platforms []byte
	var updated int64
	if err := row.Scan(&p.ID, &p.CustomerID, &p.Name, &p.Description, &p.Platform, &p.Version, &p.Shard,
		&discovery, &queries, &platforms, &p.Disabled, &updated); err != nil {
		return nil, err
	}
	p.UpdatedAt = fromMicros(updated)
	if err := unmarshal(discovery, &p.Discovery); err != nil {
		return nil, err
	}
	if err := unmarshal(queries, &p.Queries); err != nil {
		return nil, err
	}
	if err := unmarshal(platforms, &p.Targets.Platforms); err != nil {
		return nil, err
	}
	if len(p.Discovery) == 0 {
		p.Discovery = nil
	}
	if len(p.Targets.Platforms) == 0 {
		p.Targets.Platforms = nil
	}
	if p.Queries == nil {
		p.Queries = []osaudit.PackQuery{}
	}
	return &p, nil
}

// target is one row of a pack's targets: a customer or a label (with the
// label's owner).
type target struct {
	pack, customer, label, labelOwner int64
}

// packs reads packs matching where and their targets.
func (s *Store) packs(ctx context.Context, where string, args ...any) ([]*osaudit.Pack, map[int64][]target, error) {
	ps, err := queryAll(ctx, s.r, "packs", scanPack, `SELECT `+packColumns+` FROM packs WHERE `+where+` ORDER BY id`, args...)
	if err != nil || len(ps) == 0 {
		return ps, nil, err
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT pack_id, customer_id, 0, 0 FROM pack_customers WHERE pack_id IN (SELECT value FROM json_each(?1))
		UNION ALL
		SELECT pl.pack_id, 0, pl.label_id, coalesce(l.customer_id, 0) FROM pack_labels pl JOIN labels l ON l.id = pl.label_id
			WHERE pl.pack_id IN (SELECT value FROM json_each(?1))
		ORDER BY 1, 2, 3`, int64s(ids))
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: pack targets: %w", err)
	}
	defer rows.Close()
	targets := map[int64][]target{}
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.pack, &t.customer, &t.label, &t.labelOwner); err != nil {
			return nil, nil, fmt.Errorf("sqlite: pack targets: %w", err)
		}
		targets[t.pack] = append(targets[t.pack], t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlite: pack targets: %w", err)
	}
	for _, p := range ps {
		for _, t := range targets[p.ID] {
			if t.customer != 0 {
				p.Targets.CustomerIDs = append(p.Targets.CustomerIDs, t.customer)
			} else {
				p.Targets.LabelIDs = append(p.Targets.LabelIDs, t.label)
			}
		}
	}
	return ps, targets, nil
}

func (s *Store) pack(ctx context.Context, notFound error, where string, args ...any) (*osaudit.Pack, error) {
	ps, _, err := s.packs(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, notFound
	}
	return ps[0], nil
}

// Pack returns the pack with id.
func (s *Store) Pack(ctx context.Context, id int64) (*osaudit.Pack, error) {
	return s.pack(ctx, notFound("pack", id), `id = ?`, id)
}

// PackByName returns the customer's pack (0: the provider's) named name.
func (s *Store) PackByName(ctx context.Context, customerID int64, name string) (*osaudit.Pack, error) {
	return s.pack(ctx, osaudit.Errorf(osaudit.ENOTFOUND, "pack %q not found", name),
		`coalesce(customer_id, 0) = ? AND name = ?`, customerID, name)
}

// Packs lists the packs the scope sees, by ID. A customer sees its own
// packs and the provider's packs that target it (those with no target
// customers, or with it among them); in the provider's packs it sees
// itself as the only target customer, and only the labels it may see
// (a provider pack that targets only other customers' labels is hidden).
func (s *Store) Packs(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Pack, error) {
	where, args := scopeWhere(sc)
	ps, targets, err := s.packs(ctx, where, args...)
	if err != nil || sc.Role == osaudit.RoleProviderAdmin {
		return ps, err
	}
	visible := ps[:0]
	for _, p := range ps {
		if p.CustomerID != 0 {
			visible = append(visible, p)
			continue
		}
		if len(p.Targets.CustomerIDs) > 0 && !slices.Contains(p.Targets.CustomerIDs, sc.CustomerID) {
			continue
		}
		if len(p.Targets.CustomerIDs) > 0 {
			p.Targets.CustomerIDs = []int64{sc.CustomerID}
		}
		hadLabels := len(p.Targets.LabelIDs) > 0
		p.Targets.LabelIDs = nil
		for _, t := range targets[p.ID] {
			if t.label != 0 && sc.Sees(t.labelOwner) {
				p.Targets.LabelIDs = append(p.Targets.LabelIDs, t.label)
			}
		}
		if hadLabels && len(p.Targets.LabelIDs) == 0 {
			continue // only other customers' labels: none of its hosts
		}
		visible = append(visible, p)
	}
	return visible, nil
}

// DeletePack deletes a pack.
func (s *Store) DeletePack(ctx context.Context, id int64) error {
	return s.deleteOwned(ctx, "pack", `DELETE FROM packs WHERE id = ?`, id)
}
