package manager

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
)

// MaxCampaignSQL bounds a live query's text.
const MaxCampaignSQL = 64 << 10

// Per-host campaign states in memory.
const (
	hostPending uint8 = iota
	hostSent
	hostAnswered
)

// campaign is an active live query in memory: the hosts it targets (fixed
// when it starts) and how far each got, and its subscribers.
type campaign struct {
	c *osaudit.Campaign

	mu      sync.Mutex
	hosts   map[int64]uint8
	waiters map[chan struct{}]bool
	ended   chan struct{} // closed once the campaign expired and its last statuses are stored
}

func newCampaign(c *osaudit.Campaign, hosts map[int64]uint8) *campaign {
	return &campaign{c: c, hosts: hosts, waiters: map[chan struct{}]bool{}, ended: make(chan struct{})}
}

// take reports whether the host has the campaign's query to run, and
// marks it sent.
func (c *campaign) take(host int64, now time.Time) bool {
	if !now.Before(c.c.ExpiresAt) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.hosts[host]; ok && st == hostPending {
		c.hosts[host] = hostSent
		return true
	}
	return false
}

func (c *campaign) answered(host int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.hosts[host]; ok {
		c.hosts[host] = hostAnswered
	}
}

// wake tells the campaign's subscribers that results were stored.
func (c *campaign) wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w := range c.waiters {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// StartCampaign creates a live-query campaign for the hosts and labels the
// scope may see, and makes it reach online agents on their next
// distributed read. The hosts are fixed when it starts: the listed ones
// and the members of the listed labels (of the scope's customer, for a
// customer scope); each gets a "pending" result at once. ttl 0 means
// DefaultCampaignTTL.
func (m *Manager) StartCampaign(ctx context.Context, s osaudit.Scope, sql string, hostIDs, labelIDs []int64, ttl time.Duration) (*osaudit.Campaign, error) {
	m.init()
	switch {
	case s.Role != osaudit.RoleProviderAdmin && s.Role != osaudit.RoleCustomerAdmin:
		return nil, osaudit.Errorf(osaudit.EFORBIDDEN, "live queries need an admin role")
	case strings.TrimSpace(sql) == "":
		return nil, osaudit.Errorf(osaudit.EINVALID, "live query: no SQL")
	case len(sql) > MaxCampaignSQL:
		return nil, osaudit.Errorf(osaudit.EINVALID, "live query: SQL longer than %d bytes", MaxCampaignSQL)
	case len(hostIDs) == 0 && len(labelIDs) == 0:
		return nil, osaudit.Errorf(osaudit.EINVALID, "live query: no hosts or labels targeted")
	case ttl < 0 || ttl > MaxCampaignTTL:
		return nil, osaudit.Errorf(osaudit.EINVALID, "live query: ttl must be between 0 and %s", MaxCampaignTTL)
	case ttl == 0:
		ttl = DefaultCampaignTTL
	}
	targets := map[int64]uint8{}
	for _, id := range hostIDs {
		a := m.host(id)
		if a == nil || !s.Sees(a.customerID) {
			return nil, osaudit.Errorf(osaudit.ENOTFOUND, "host %d not found", id)
		}
		targets[id] = hostPending
	}
	defs := m.defs.Load()
	for _, lid := range labelIDs {
		l := defs.labelByID[lid]
		if l == nil || !s.Sees(l.CustomerID) {
			return nil, osaudit.Errorf(osaudit.ENOTFOUND, "label %d not found", lid)
		}
	}
	if len(labelIDs) > 0 {
		m.mu.RLock()
		for id, a := range m.byID {
			if !s.Sees(a.customerID) {
				continue
			}
			a.mu.Lock()
			in := slices.ContainsFunc(labelIDs, func(l int64) bool { _, ok := slices.BinarySearch(a.labels, l); return ok })
			a.mu.Unlock()
			if in {
				targets[id] = hostPending
			}
		}
		m.mu.RUnlock()
	}
	c := &osaudit.Campaign{SQL: sql, HostIDs: hostIDs, LabelIDs: labelIDs, ExpiresAt: m.Now().Add(ttl).UTC()}
	if s.Role != osaudit.RoleProviderAdmin {
		c.CustomerID = s.CustomerID
	}
	if err := m.Store.CreateCampaign(ctx, c); err != nil {
		return nil, wrap("start campaign", err)
	}
	if len(targets) > 0 {
		now := m.Now()
		pending := make([]*osaudit.CampaignResult, 0, len(targets))
		for _, id := range slices.Sorted(mapsKeys(targets)) {
			pending = append(pending, &osaudit.CampaignResult{CampaignID: c.ID, HostID: id, Status: osaudit.CampaignPending, At: now})
		}
		if err := m.Store.AddCampaignResults(ctx, pending); err != nil {
			return nil, wrap("start campaign", err)
		}
	}
	m.addCampaign(newCampaign(c, targets))
	m.Logger.Info("campaign started", "campaign_id", c.ID, "customer_id", c.CustomerID, "hosts", len(targets), "expires_at", c.ExpiresAt)
	return c, nil
}

func mapsKeys[V any](m map[int64]V) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (m *Manager) addCampaign(c *campaign) {
	m.campMu.Lock()
	defer m.campMu.Unlock()
	list := slices.Clone(*m.campaigns.Load())
	list = append(list, c)
	m.campaigns.Store(&list)
}

func (m *Manager) activeCampaign(id int64) *campaign {
	for _, c := range *m.campaigns.Load() {
		if c.c.ID == id {
			return c
		}
	}
	return nil
}

// loadCampaigns loads the active campaigns and how far their hosts got.
func (m *Manager) loadCampaigns(ctx context.Context) error {
	cs, err := m.Store.ActiveCampaigns(ctx, m.Now())
	if err != nil {
		return wrap("load campaigns", err)
	}
	for _, c := range cs {
		hosts := map[int64]uint8{}
		after := int64(0)
		for {
			rs, err := m.Store.CampaignResults(ctx, c.ID, after, 1000)
			if err != nil {
				return wrap("load campaign results", err)
			}
			for _, r := range rs {
				switch r.Status {
				case osaudit.CampaignPending:
					hosts[r.HostID] = max(hosts[r.HostID], hostPending)
				case osaudit.CampaignSent:
					hosts[r.HostID] = max(hosts[r.HostID], hostSent)
				default:
					hosts[r.HostID] = hostAnswered
				}
				after = r.Seq
			}
			if len(rs) < 1000 {
				break
			}
		}
		m.addCampaign(newCampaign(c, hosts))
	}
	return nil
}

// expireCampaigns ends campaigns past their expiry: hosts that did not
// answer get an "expired" result, and subscribers are told.
func (m *Manager) expireCampaigns(ctx context.Context, now time.Time) {
	var expired []*campaign
	m.campMu.Lock()
	list := *m.campaigns.Load()
	var keep []*campaign
	for _, c := range list {
		if now.Before(c.c.ExpiresAt) {
			keep = append(keep, c)
		} else {
			expired = append(expired, c)
		}
	}
	if len(expired) > 0 {
		m.campaigns.Store(&keep)
	}
	m.campMu.Unlock()
	for _, c := range expired {
		var rs []*osaudit.CampaignResult
		c.mu.Lock()
		for _, id := range slices.Sorted(mapsKeys(c.hosts)) {
			if c.hosts[id] != hostAnswered {
				rs = append(rs, &osaudit.CampaignResult{CampaignID: c.c.ID, HostID: id, Status: osaudit.CampaignExpired, At: now})
			}
		}
		c.mu.Unlock()
		if len(rs) > 0 {
			if err := m.campaignW.submit(ctx, rs, true); err != nil {
				m.Logger.Error("record expired campaign hosts", "campaign_id", c.c.ID, "err", err)
			}
		}
		close(c.ended)
		m.Logger.Info("campaign expired", "campaign_id", c.c.ID, "unanswered", len(rs))
	}
}

// campaignResultsWritten wakes the subscribers of the campaigns whose
// results were just stored.
func (m *Manager) campaignResultsWritten(rs []*osaudit.CampaignResult) {
	var last int64
	for _, r := range rs {
		if r.CampaignID == last {
			continue
		}
		last = r.CampaignID
		if c := m.activeCampaign(r.CampaignID); c != nil {
			c.wake()
		}
	}
}

// Subscribe streams a campaign's results from Seq > after, as they arrive;
// the channel closes when ctx ends or the campaign expires (after its last
// results). The caller checks that the campaign is visible to its scope.
func (m *Manager) Subscribe(ctx context.Context, campaignID, after int64) (<-chan *osaudit.CampaignResult, error) {
	m.init()
	if _, err := m.Store.Campaign(ctx, campaignID); err != nil {
		return nil, err
	}
	out := make(chan *osaudit.CampaignResult, 64)
	wake := make(chan struct{}, 1)
	c := m.activeCampaign(campaignID)
	ended := make(chan struct{})
	if c != nil {
		c.mu.Lock()
		c.waiters[wake] = true
		c.mu.Unlock()
		ended = c.ended
	} else {
		close(ended)
	}
	m.subs.Add(1)
	go func() {
		defer m.subs.Done()
		defer close(out)
		if c != nil {
			defer func() {
				c.mu.Lock()
				delete(c.waiters, wake)
				c.mu.Unlock()
			}()
		}
		final := false
		for {
			// Read everything stored after the last result sent.
			for {
				rs, err := m.Store.CampaignResults(ctx, campaignID, after, 500)
				if err != nil {
					if ctx.Err() == nil {
						m.Logger.Error("campaign results", "campaign_id", campaignID, "err", err)
					}
					return
				}
				for _, r := range rs {
					select {
					case out <- r:
						after = r.Seq
					case <-ctx.Done():
						return
					case <-m.stopping:
						return
					}
				}
				if len(rs) < 500 {
					break
				}
			}
			if final {
				return
			}
			select {
			case <-wake:
			case <-ended:
				final = true // read once more, then stop
			case <-ctx.Done():
				return
			case <-m.stopping:
				return
			}
		}
	}()
	return out, nil
}
