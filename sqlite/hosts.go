package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
)

// hostColumns are the hosts table's columns in scanHost's order.
const hostColumns = `h.id, h.customer_id, h.identifier, h.node_key_hash, h.hostname, h.uuid, h.platform,
	h.platform_like, h.platform_type, h.os_name, h.os_version, h.os_build, h.arch, h.agent_version,
	h.cpu_brand, h.cpu_logical, h.memory_bytes, h.hardware_vendor, h.hardware_model, h.hardware_serial,
	h.primary_ip, h.primary_mac, h.uptime_seconds, h.enrolled_at, h.last_seen, h.detail_updated_at`

func scanHost(row scanner, extra ...any) (*osaudit.Host, error) {
	var h osaudit.Host
	var enrolled, seen, detail int64
	dest := []any{&h.ID, &h.CustomerID, &h.Identifier, &h.NodeKeyHash, &h.Hostname, &h.UUID, &h.Platform,
		&h.PlatformLike, &h.PlatformType, &h.OSName, &h.OSVersion, &h.OSBuild, &h.Arch, &h.AgentVersion,
		&h.CPUBrand, &h.CPULogical, &h.MemoryBytes, &h.HardwareVendor, &h.HardwareModel, &h.HardwareSerial,
		&h.PrimaryIP, &h.PrimaryMAC, &h.UptimeSeconds, &enrolled, &seen, &detail}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	h.EnrolledAt, h.LastSeen, h.DetailUpdatedAt = fromMicros(enrolled), fromMicros(seen), fromMicros(detail)
	return &h, nil
}

// inventory returns the inventory fields' values in hostColumns' order,
// from hostname to uptime_seconds, strings made valid UTF-8.
func inventory(h *osaudit.Host) []any {
	return []any{clean(h.Hostname), clean(h.UUID), clean(h.Platform), clean(h.PlatformLike), clean(h.PlatformType),
		clean(h.OSName), clean(h.OSVersion), clean(h.OSBuild), clean(h.Arch), clean(h.AgentVersion), clean(h.CPUBrand),
		h.CPULogical, h.MemoryBytes, clean(h.HardwareVendor), clean(h.HardwareModel), clean(h.HardwareSerial),
		clean(h.PrimaryIP), clean(h.PrimaryMAC), h.UptimeSeconds}
}

func checkHost(h *osaudit.Host) error {
	switch {
	case h == nil:
		return osaudit.Errorf(osaudit.EINVALID, "no host")
	case h.CustomerID <= 0:
		return osaudit.Errorf(osaudit.EINVALID, "host without a customer")
	case h.Identifier == "":
		return osaudit.Errorf(osaudit.EINVALID, "host without an identifier")
	case len(h.Identifier) > 1024:
		return osaudit.Errorf(osaudit.EINVALID, "host identifier longer than 1024 bytes")
	}
	return nil
}

// EnrollHost creates the host or re-enrolls the customer's host with the
// same identifier, keeping its ID and label membership and replacing its
// node key hash and inventory. EnrolledAt is the time of this enrollment;
// LastSeen is h.LastSeen or now.
func (s *Store) EnrollHost(ctx context.Context, h *osaudit.Host) error {
	if err := checkHost(h); err != nil {
		return err
	}
	if len(h.NodeKeyHash) == 0 {
		return osaudit.Errorf(osaudit.EINVALID, "host without a node key hash")
	}
	details, err := marshal(h.Details)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	seen := h.LastSeen
	if seen.IsZero() {
		seen = now
	}
	args := append([]any{h.CustomerID, clean(h.Identifier), h.NodeKeyHash}, inventory(h)...)
	args = append(args, micros(now), micros(seen), micros(h.DetailUpdatedAt))
	return s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
			INSERT INTO hosts (customer_id, identifier, node_key_hash, hostname, uuid, platform, platform_like,
				platform_type, os_name, os_version, os_build, arch, agent_version, cpu_brand, cpu_logical,
				memory_bytes, hardware_vendor, hardware_model, hardware_serial, primary_ip, primary_mac,
				uptime_seconds, enrolled_at, last_seen, detail_updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_id, identifier) DO UPDATE SET
				node_key_hash = excluded.node_key_hash, hostname = excluded.hostname, uuid = excluded.uuid,
				platform = excluded.platform, platform_like = excluded.platform_like,
				platform_type = excluded.platform_type, os_name = excluded.os_name,
				os_version = excluded.os_version, os_build = excluded.os_build, arch = excluded.arch,
				agent_version = excluded.agent_version, cpu_brand = excluded.cpu_brand,
				cpu_logical = excluded.cpu_logical, memory_bytes = excluded.memory_bytes,
				hardware_vendor = excluded.hardware_vendor, hardware_model = excluded.hardware_model,
				hardware_serial = excluded.hardware_serial, primary_ip = excluded.primary_ip,
				primary_mac = excluded.primary_mac, uptime_seconds = excluded.uptime_seconds,
				enrolled_at = excluded.enrolled_at, last_seen = max(last_seen, excluded.last_seen),
				detail_updated_at = excluded.detail_updated_at
			RETURNING id`, args...).Scan(&id)
		switch {
		case isUnique(err):
			return osaudit.Errorf(osaudit.ECONFLICT, "another host has this node key")
		case isForeignKey(err):
			return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", h.CustomerID)
		case err != nil:
			return fmt.Errorf("sqlite: enroll host: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO host_details (host_id, details) VALUES (?, ?)
			ON CONFLICT (host_id) DO UPDATE SET details = excluded.details`, id, details); err != nil {
			return fmt.Errorf("sqlite: enroll host: %w", err)
		}
		h.ID, h.EnrolledAt = id, now
		if seen.After(h.LastSeen) {
			h.LastSeen = seen
		}
		return nil
	})
}

// Host returns a host with its Details and LabelIDs.
func (s *Store) Host(ctx context.Context, id int64) (*osaudit.Host, error) {
	var details []byte
	h, err := scanHost(s.r.QueryRowContext(ctx, `SELECT `+hostColumns+`, d.details
		FROM hosts h LEFT JOIN host_details d ON d.host_id = h.id WHERE h.id = ?`, id), &details)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("host", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: host %d: %w", id, err)
	}
	if err := unmarshal(details, &h.Details); err != nil {
		return nil, err
	}
	if err := s.loadLabelIDs(ctx, []*osaudit.Host{h}); err != nil {
		return nil, err
	}
	return h, nil
}

// loadLabelIDs fills the hosts' LabelIDs.
func (s *Store) loadLabelIDs(ctx context.Context, hs []*osaudit.Host) error {
	if len(hs) == 0 {
		return nil
	}
	byID := make(map[int64]*osaudit.Host, len(hs))
	ids := make([]int64, len(hs))
	for i, h := range hs {
		byID[h.ID], ids[i] = h, h.ID
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host_id, label_id FROM label_membership
		WHERE host_id IN (SELECT value FROM json_each(?)) ORDER BY host_id, label_id`, int64s(ids))
	if err != nil {
		return fmt.Errorf("sqlite: host labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hid, lid int64
		if err := rows.Scan(&hid, &lid); err != nil {
			return fmt.Errorf("sqlite: host labels: %w", err)
		}
		if h := byID[hid]; h != nil {
			h.LabelIDs = append(h.LabelIDs, lid)
		}
	}
	return rows.Err()
}

// likePattern returns a LIKE pattern matching s as a substring, with
// backslash as the escape character.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Hosts lists hosts matching f, by ID, a page at a time. Details are not
// loaded (Host has them); LabelIDs are.
func (s *Store) Hosts(ctx context.Context, f osaudit.HostFilter) ([]*osaudit.Host, error) {
	n, err := pageLimit(f.Page)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	add("h.id > ?", f.After)
	if f.CustomerID != 0 {
		add("h.customer_id = ?", f.CustomerID)
	}
	if f.IDs != nil {
		add("h.id IN (SELECT value FROM json_each(?))", int64s(f.IDs))
	}
	if f.Identifier != "" {
		add("h.identifier = ?", clean(f.Identifier))
	}
	if f.Hostname != "" {
		add("h.hostname = ? COLLATE NOCASE", f.Hostname)
	}
	if f.Identifiers != nil {
		add("h.identifier IN (SELECT value FROM json_each(?))", jsonStrings(f.Identifiers, clean))
	}
	if f.Hostnames != nil {
		add("h.hostname COLLATE NOCASE IN (SELECT value FROM json_each(?))", jsonStrings(f.Hostnames, nil))
	}
	if f.Platform != "" {
		add("h.platform = ?", f.Platform)
	}
	if f.LabelID != 0 {
		add("h.id IN (SELECT host_id FROM label_membership WHERE label_id = ?)", f.LabelID)
	}
	if f.Search != "" {
		p := likePattern(f.Search)
		add(`(h.hostname LIKE ? ESCAPE '\' OR h.identifier LIKE ? ESCAPE '\' OR h.uuid LIKE ? ESCAPE '\' OR h.primary_ip LIKE ? ESCAPE '\')`, p, p, p, p)
	}
	q := `SELECT ` + hostColumns + ` FROM hosts h WHERE ` + strings.Join(where, " AND ") + ` ORDER BY h.id LIMIT ?`
	args = append(args, n)
	hs, err := queryAll(ctx, s.r, "hosts", func(r scanner) (*osaudit.Host, error) { return scanHost(r) }, q, args...)
	if err != nil {
		return nil, err
	}
	if err := s.loadLabelIDs(ctx, hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// HostAuth lists every host's authentication data for the server's cache:
// ID, CustomerID, NodeKeyHash (nil when revoked), Identifier, Hostname,
// the platform fields, LastSeen and DetailUpdatedAt.
func (s *Store) HostAuth(ctx context.Context) ([]*osaudit.Host, error) {
	return queryAll(ctx, s.r, "host auth", scanAuth, `SELECT id, customer_id, node_key_hash, identifier, hostname, platform,
		platform_like, platform_type, os_name, os_version, last_seen, detail_updated_at FROM hosts ORDER BY id`)
}

func scanAuth(row scanner) (*osaudit.Host, error) {
	h := new(osaudit.Host)
	var seen, detail int64
	if err := row.Scan(&h.ID, &h.CustomerID, &h.NodeKeyHash, &h.Identifier, &h.Hostname, &h.Platform,
		&h.PlatformLike, &h.PlatformType, &h.OSName, &h.OSVersion, &seen, &detail); err != nil {
		return nil, err
	}
	h.LastSeen, h.DetailUpdatedAt = fromMicros(seen), fromMicros(detail)
	return h, nil
}

// UpdateHostDetails replaces a host's inventory fields and Details and sets
// DetailUpdatedAt (h.DetailUpdatedAt, or now if it is zero).
func (s *Store) UpdateHostDetails(ctx context.Context, h *osaudit.Host) error {
	if h == nil || h.ID <= 0 {
		return osaudit.Errorf(osaudit.EINVALID, "host without an ID")
	}
	details, err := marshal(h.Details)
	if err != nil {
		return err
	}
	at := h.DetailUpdatedAt
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	args := append(inventory(h), micros(at), h.ID)
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET hostname = ?, uuid = ?, platform = ?, platform_like = ?,
			platform_type = ?, os_name = ?, os_version = ?, os_build = ?, arch = ?, agent_version = ?,
			cpu_brand = ?, cpu_logical = ?, memory_bytes = ?, hardware_vendor = ?, hardware_model = ?,
			hardware_serial = ?, primary_ip = ?, primary_mac = ?, uptime_seconds = ?, detail_updated_at = ?
			WHERE id = ?`, args...)
		if err != nil {
			return fmt.Errorf("sqlite: update host %d: %w", h.ID, err)
		}
		if err := checkAffected(res, "host", h.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO host_details (host_id, details) VALUES (?, ?)
			ON CONFLICT (host_id) DO UPDATE SET details = excluded.details`, h.ID, details); err != nil {
			return fmt.Errorf("sqlite: update host %d: %w", h.ID, err)
		}
		h.DetailUpdatedAt = at
		return nil
	})
}

// TouchHosts records last-seen times of many hosts in one transaction. A
// time never moves a host's last-seen back; unknown IDs (hosts deleted
// meanwhile) are skipped.
func (s *Store) TouchHosts(ctx context.Context, seen map[int64]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	// One statement over a JSON array of [id, time] pairs, sorted by id
	// so that the updates walk the table in order.
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := make([]byte, 0, len(seen)*28)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, id, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, micros(seen[id]), 10)
		b = append(b, ']')
	}
	b = append(b, ']')
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.touchHost).ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("sqlite: touch hosts: %w", err)
		}
		return nil
	})
}

// RevokeHost forgets a host's node key, so that it must enroll again.
func (s *Store) RevokeHost(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hosts SET node_key_hash = NULL WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: revoke host %d: %w", id, err)
		}
		return checkAffected(res, "host", id)
	})
}

// DeleteHost deletes a host, its details and label membership. Its result
// and status rows stay until PruneResults removes them by age.
func (s *Store) DeleteHost(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var member bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM label_membership WHERE host_id = ?)`, id).Scan(&member); err != nil {
			return fmt.Errorf("sqlite: delete host %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM hosts WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete host %d: %w", id, err)
		}
		if err := checkAffected(res, "host", id); err != nil {
			return err
		}
		if member {
			return bumpGeneration(ctx, tx)
		}
		return nil
	})
}

// CountHosts counts a customer's hosts (0: all) by platform, by OS and by
// online state. It reads only the hosts_counts index.
func (s *Store) CountHosts(ctx context.Context, customerID int64, onlineSince time.Time) (osaudit.HostCounts, error) {
	c := osaudit.HostCounts{ByPlatform: map[string]int64{}, ByOS: map[string]int64{}}
	q := `SELECT platform, os_name, os_version, count(*), coalesce(sum(last_seen >= ?), 0) FROM hosts`
	args := []any{micros(onlineSince)}
	if customerID != 0 {
		q += ` WHERE customer_id = ?`
		args = append(args, customerID)
	}
	// Grouping by the index's own order needs no sort; the groups of
	// different customers are summed here.
	q += ` GROUP BY customer_id, platform, os_name, os_version`
	if onlineSince.IsZero() {
		args[0] = int64(1) // last_seen 0 means never seen
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return c, fmt.Errorf("sqlite: count hosts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var platform, name, version string
		var n, online int64
		if err := rows.Scan(&platform, &name, &version, &n, &online); err != nil {
			return c, fmt.Errorf("sqlite: count hosts: %w", err)
		}
		c.Total += n
		c.Online += online
		c.ByPlatform[platform] += n
		c.ByOS[strings.TrimSpace(name+" "+version)] += n
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("sqlite: count hosts: %w", err)
	}
	return c, nil
}
