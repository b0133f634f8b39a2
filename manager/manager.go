// Package manager is osaudit-server's core: enrollment, the configs agents
// get, result and status ingest, live-query campaigns, detail and label
// queries, with the in-memory caches that keep per-check-in store work
// batched.
package manager

import (
	"context"
	"log/slog"
	"time"

	"github.com/osaudit/osaudit"
)

// Manager runs the manager's logic over a store.
type Manager struct {
	Store  osaudit.Store
	Logger *slog.Logger
	Now    func() time.Time
}

// StartCampaign creates a live-query campaign for the hosts and labels the
// scope may see, and makes it reach online agents on their next
// distributed read.
func (m *Manager) StartCampaign(ctx context.Context, s osaudit.Scope, sql string, hostIDs, labelIDs []int64, ttl time.Duration) (*osaudit.Campaign, error) {
	return nil, osaudit.Errorf(osaudit.EUNAVAILABLE, "campaigns are not implemented yet")
}

// Subscribe streams a campaign's results from Seq > after, as they arrive;
// the channel closes when ctx ends or the campaign expires.
func (m *Manager) Subscribe(ctx context.Context, campaignID, after int64) (<-chan *osaudit.CampaignResult, error) {
	return nil, osaudit.Errorf(osaudit.EUNAVAILABLE, "campaigns are not implemented yet")
}

// ConfigChanged tells the manager that queries, packs, labels or options
// changed, so that agents get new configs.
func (m *Manager) ConfigChanged() {}
