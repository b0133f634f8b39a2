package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/osaudit/osaudit"
)

// CreateCampaign stores a live-query campaign and sets ID and CreatedAt.
// Its hosts must exist and, for a customer's campaign, be that customer's;
// its labels must exist and be visible to the customer.
func (s *Store) CreateCampaign(ctx context.Context, c *osaudit.Campaign) error {
	switch {
	case c == nil:
		return osaudit.Errorf(osaudit.EINVALID, "no campaign")
	case c.SQL == "":
		return osaudit.Errorf(osaudit.EINVALID, "campaign without a query")
	case c.CustomerID < 0:
		return osaudit.Errorf(osaudit.EINVALID, "campaign: negative customer id")
	case len(c.HostIDs) == 0 && len(c.LabelIDs) == 0:
		return osaudit.Errorf(osaudit.EINVALID, "campaign without target hosts or labels")
	case c.ExpiresAt.IsZero():
		return osaudit.Errorf(osaudit.EINVALID, "campaign without an expiry")
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	expires := c.ExpiresAt.UTC().Truncate(time.Microsecond)
	if !expires.After(at) {
		return osaudit.Errorf(osaudit.EINVALID, "campaign expires before it starts")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		owner := nullID(c.CustomerID)
		if len(c.HostIDs) > 0 {
			var bad int64
			err := tx.QueryRowContext(ctx, `SELECT count(*) - (SELECT count(*) FROM hosts
				WHERE id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR customer_id = ?2))
				FROM (SELECT DISTINCT value FROM json_each(?1))`, int64s(c.HostIDs), owner).Scan(&bad)
			if err != nil {
				return fmt.Errorf("sqlite: create campaign: %w", err)
			}
			if bad > 0 {
				return osaudit.Errorf(osaudit.EINVALID, "%d of the campaign's hosts do not exist or belong to another customer", bad)
			}
		}
		if len(c.LabelIDs) > 0 {
			var bad int64
			err := tx.QueryRowContext(ctx, `SELECT count(*) - (SELECT count(*) FROM labels
				WHERE id IN (SELECT value FROM json_each(?1)) AND (?2 IS NULL OR customer_id IS NULL OR customer_id = ?2))
				FROM (SELECT DISTINCT value FROM json_each(?1))`, int64s(c.LabelIDs), owner).Scan(&bad)
			if err != nil {
				return fmt.Errorf("sqlite: create campaign: %w", err)
			}
			if bad > 0 {
				return osaudit.Errorf(osaudit.EINVALID, "%d of the campaign's labels do not exist or belong to another customer", bad)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO campaigns (customer_id, sql, host_ids, label_ids, created_by,
			created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			owner, c.SQL, int64s(c.HostIDs), int64s(c.LabelIDs), c.CreatedBy, micros(at), micros(expires))
		if isForeignKey(err) {
			return osaudit.Errorf(osaudit.EINVALID, "customer %d does not exist", c.CustomerID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create campaign: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: create campaign: %w", err)
		}
		c.ID, c.CreatedAt, c.ExpiresAt = id, at, expires
		return nil
	})
}

const campaignColumns = `id, coalesce(customer_id, 0), sql, host_ids, label_ids, created_by, created_at, expires_at`

func scanCampaign(row scanner) (*osaudit.Campaign, error) {
	var c osaudit.Campaign
	var hosts, labels []byte
	var created, expires int64
	if err := row.Scan(&c.ID, &c.CustomerID, &c.SQL, &hosts, &labels, &c.CreatedBy, &created, &expires); err != nil {
		return nil, err
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	if err := unmarshal(hosts, &c.HostIDs); err != nil {
		return nil, err
	}
	if err := unmarshal(labels, &c.LabelIDs); err != nil {
		return nil, err
	}
	if len(c.HostIDs) == 0 {
		c.HostIDs = nil
	}
	if len(c.LabelIDs) == 0 {
		c.LabelIDs = nil
	}
	return &c, nil
}

// Campaign returns the campaign with id.
func (s *Store) Campaign(ctx context.Context, id int64) (*osaudit.Campaign, error) {
	return queryOne(ctx, s.r, "campaign", notFound("campaign", id), scanCampaign,
		`SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id)
}

// ActiveCampaigns lists the campaigns that expire after now, by ID.
func (s *Store) ActiveCampaigns(ctx context.Context, now time.Time) ([]*osaudit.Campaign, error) {
	return queryAll(ctx, s.r, "active campaigns", scanCampaign,
		`SELECT `+campaignColumns+` FROM campaigns WHERE expires_at > ? ORDER BY id`, micros(now))
}

var campaignStatuses = map[string]bool{
	osaudit.CampaignPending: true, osaudit.CampaignSent: true, osaudit.CampaignDone: true,
	osaudit.CampaignFailed: true, osaudit.CampaignExpired: true,
}

// AddCampaignResults stores hosts' answers and statuses in one transaction
// and sets each one's Seq (rising in the order given) and, if zero, At.
// A customer's campaign takes answers only from that customer's hosts.
func (s *Store) AddCampaignResults(ctx context.Context, rs []*osaudit.CampaignResult) error {
	for _, r := range rs {
		switch {
		case r == nil:
			return osaudit.Errorf(osaudit.EINVALID, "nil campaign result")
		case r.CampaignID <= 0 || r.HostID <= 0:
			return osaudit.Errorf(osaudit.EINVALID, "campaign result without a campaign or host")
		case !campaignStatuses[r.Status]:
			return osaudit.Errorf(osaudit.EINVALID, "campaign result status %q", r.Status)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	type encoded struct {
		rows, stats any
		at          time.Time
	}
	enc := make([]encoded, len(rs))
	var buf []byte
	var keys []string
	for i, r := range rs {
		if r.Rows != nil {
			buf = append(buf[:0], '[')
			for j, row := range r.Rows {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf, keys = appendStringMap(buf, row, keys)
			}
			enc[i].rows = string(append(buf, ']'))
		}
		if r.Stats != nil {
			st, err := marshal(r.Stats)
			if err != nil {
				return err
			}
			enc[i].stats = st
		}
		enc[i].at = now
		if !r.At.IsZero() {
			enc[i].at = r.At.UTC().Truncate(time.Microsecond)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		owners := map[int64]sql.NullInt64{}
		check, err := tx.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM hosts WHERE id = ?1 AND (?2 IS NULL OR customer_id = ?2))`)
		if err != nil {
			return fmt.Errorf("sqlite: add campaign results: %w", err)
		}
		defer check.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO campaign_results (campaign_id, host_id, status, error, rows, stats, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("sqlite: add campaign results: %w", err)
		}
		defer ins.Close()
		seqs := make([]int64, len(rs))
		for i, r := range rs {
			owner, ok := owners[r.CampaignID]
			if !ok {
				err := tx.QueryRowContext(ctx, `SELECT customer_id FROM campaigns WHERE id = ?`, r.CampaignID).Scan(&owner)
				if errors.Is(err, sql.ErrNoRows) {
					return osaudit.Errorf(osaudit.EINVALID, "campaign %d does not exist", r.CampaignID)
				}
				if err != nil {
					return fmt.Errorf("sqlite: add campaign results: %w", err)
				}
				owners[r.CampaignID] = owner
			}
			var okHost bool
			if err := check.QueryRowContext(ctx, r.HostID, owner).Scan(&okHost); err != nil {
				return fmt.Errorf("sqlite: add campaign results: %w", err)
			}
			if !okHost {
				return osaudit.Errorf(osaudit.EINVALID, "host %d does not exist or is not the campaign's customer's", r.HostID)
			}
			res, err := ins.ExecContext(ctx, r.CampaignID, r.HostID, r.Status, clean(r.Error), enc[i].rows, enc[i].stats, micros(enc[i].at))
			if err != nil {
				return fmt.Errorf("sqlite: add campaign results: %w", err)
			}
			if seqs[i], err = res.LastInsertId(); err != nil {
				return fmt.Errorf("sqlite: add campaign results: %w", err)
			}
		}
		for i, r := range rs {
			r.Seq, r.At = seqs[i], enc[i].at
		}
		return nil
	})
}

// CampaignResults lists a campaign's results with Seq > after, in Seq
// order, at most limit (0: 100; at most 1000).
func (s *Store) CampaignResults(ctx context.Context, campaignID, after int64, limit int) ([]*osaudit.CampaignResult, error) {
	n, err := pageLimit(osaudit.Page{After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = ?)`, campaignID).Scan(&exists); err != nil {
		return nil, fmt.Errorf("sqlite: campaign results: %w", err)
	}
	if !exists {
		return nil, notFound("campaign", campaignID)
	}
	return queryAll(ctx, s.r, "campaign results", scanCampaignResult, `SELECT seq, campaign_id, host_id, status, error, rows, stats, at
		FROM campaign_results WHERE campaign_id = ? AND seq > ? ORDER BY seq LIMIT ?`, campaignID, after, n)
}

func scanCampaignResult(row scanner) (*osaudit.CampaignResult, error) {
	var r osaudit.CampaignResult
	var data, stats []byte
	var at int64
	if err := row.Scan(&r.Seq, &r.CampaignID, &r.HostID, &r.Status, &r.Error, &data, &stats, &at); err != nil {
		return nil, err
	}
	r.At = fromMicros(at)
	if err := unmarshal(data, &r.Rows); err != nil {
		return nil, err
	}
	if err := unmarshal(stats, &r.Stats); err != nil {
		return nil, err
	}
	return &r, nil
}
