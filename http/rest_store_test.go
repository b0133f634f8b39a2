package http

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
)

// restStore is an in-memory osaudit.Store for the REST tests: small, and
// faithful to the interfaces' contracts where the REST side relies on them.
type restStore struct {
	mu        sync.Mutex
	next      int64
	gen       int64
	customers map[int64]*osaudit.Customer
	secrets   map[int64]*osaudit.EnrollSecret
	hosts     map[int64]*osaudit.Host
	queries   map[int64]*osaudit.Query
	packs     map[int64]*osaudit.Pack
	labels    map[int64]*osaudit.Label
	members   map[int64]map[int64]bool // label -> hosts
	campaigns map[int64]*osaudit.Campaign
	cresults  []*osaudit.CampaignResult
	results   []*osaudit.ResultRow
	statuses  []*osaudit.StatusRow
	users     map[int64]*osaudit.User
	tokens    map[int64]*osaudit.APIToken
	saves     int // SaveQuery/SavePack/SaveLabel calls, for idempotence tests
}

var _ osaudit.Store = (*restStore)(nil)

func newRestStore() *restStore {
	return &restStore{
		customers: map[int64]*osaudit.Customer{}, secrets: map[int64]*osaudit.EnrollSecret{},
		hosts: map[int64]*osaudit.Host{}, queries: map[int64]*osaudit.Query{}, packs: map[int64]*osaudit.Pack{},
		labels: map[int64]*osaudit.Label{}, members: map[int64]map[int64]bool{}, campaigns: map[int64]*osaudit.Campaign{},
		users: map[int64]*osaudit.User{}, tokens: map[int64]*osaudit.APIToken{},
	}
}

func (s *restStore) id() int64 { s.next++; return s.next }

func notFoundErr(what string) error { return osaudit.Errorf(osaudit.ENOTFOUND, "no such %s", what) }

func sortedValues[T any](m map[int64]T) []T {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func pageLimit(p osaudit.Page) int {
	switch {
	case p.Limit <= 0:
		return 100
	case p.Limit > 1000:
		return 1000
	}
	return p.Limit
}

func (s *restStore) Close() error { return nil }

// Customers.

func (s *restStore) CreateCustomer(ctx context.Context, c *osaudit.Customer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.customers {
		if x.Name == c.Name {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer %q exists", c.Name)
		}
	}
	c.ID, c.CreatedAt = s.id(), time.Now().UTC()
	cp := *c
	s.customers[c.ID] = &cp
	return nil
}

func (s *restStore) Customer(ctx context.Context, id int64) (*osaudit.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.customers[id]; ok {
		cp := *c
		return &cp, nil
	}
	return nil, notFoundErr("customer")
}

func (s *restStore) CustomerByName(ctx context.Context, name string) (*osaudit.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.customers {
		if c.Name == name {
			cp := *c
			return &cp, nil
		}
	}
	return nil, notFoundErr("customer")
}

func (s *restStore) Customers(ctx context.Context) ([]*osaudit.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Customer
	for _, c := range sortedValues(s.customers) {
		cp := *c
		out = append(out, &cp)
	}
	return out, nil
}

func (s *restStore) DeleteCustomer(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[id]; !ok {
		return notFoundErr("customer")
	}
	for _, h := range s.hosts {
		if h.CustomerID == id {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer has hosts")
		}
	}
	delete(s.customers, id)
	return nil
}

func (s *restStore) CreateEnrollSecret(ctx context.Context, e *osaudit.EnrollSecret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.customers[e.CustomerID]; !ok {
		return notFoundErr("customer")
	}
	e.ID, e.CreatedAt = s.id(), time.Now().UTC()
	cp := *e
	cp.Secret = ""
	s.secrets[e.ID] = &cp
	return nil
}

func (s *restStore) EnrollSecrets(ctx context.Context, customerID int64) ([]*osaudit.EnrollSecret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.EnrollSecret
	for _, e := range sortedValues(s.secrets) {
		if e.CustomerID == customerID {
			cp := *e
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) EnrollSecretByHash(ctx context.Context, hash []byte) (*osaudit.EnrollSecret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.secrets {
		if bytes.Equal(e.Hash, hash) && e.RevokedAt == nil {
			cp := *e
			return &cp, nil
		}
	}
	return nil, notFoundErr("enroll secret")
}

func (s *restStore) RevokeEnrollSecret(ctx context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.secrets[id]
	if !ok {
		return notFoundErr("enroll secret")
	}
	e.RevokedAt = &at
	return nil
}

// Hosts.

func copyHost(h *osaudit.Host) *osaudit.Host {
	cp := *h
	cp.LabelIDs = slices.Clone(h.LabelIDs)
	return &cp
}

func (s *restStore) EnrollHost(ctx context.Context, h *osaudit.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.hosts {
		if x.CustomerID == h.CustomerID && x.Identifier == h.Identifier {
			h.ID, h.EnrolledAt = x.ID, x.EnrolledAt
			s.hosts[h.ID] = copyHost(h)
			return nil
		}
	}
	h.ID = s.id()
	if h.EnrolledAt.IsZero() {
		h.EnrolledAt = time.Now().UTC()
	}
	s.hosts[h.ID] = copyHost(h)
	return nil
}

func (s *restStore) withLabels(h *osaudit.Host) *osaudit.Host {
	cp := copyHost(h)
	cp.LabelIDs = nil
	for _, l := range slices.Sorted(maps.Keys(s.members)) {
		if s.members[l][h.ID] {
			cp.LabelIDs = append(cp.LabelIDs, l)
		}
	}
	return cp
}

func (s *restStore) Host(ctx context.Context, id int64) (*osaudit.Host, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.hosts[id]; ok {
		return s.withLabels(h), nil
	}
	return nil, notFoundErr("host")
}

func (s *restStore) Hosts(ctx context.Context, f osaudit.HostFilter) ([]*osaudit.Host, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Host
	for _, h := range sortedValues(s.hosts) {
		switch {
		case h.ID <= f.After,
			f.CustomerID != 0 && h.CustomerID != f.CustomerID,
			len(f.IDs) > 0 && !slices.Contains(f.IDs, h.ID),
			f.Identifier != "" && h.Identifier != f.Identifier,
			f.Hostname != "" && !strings.EqualFold(h.Hostname, f.Hostname),
			f.Platform != "" && h.Platform != f.Platform,
			f.LabelID != 0 && !s.members[f.LabelID][h.ID],
			f.Search != "" && !strings.Contains(h.Hostname+"\x00"+h.Identifier+"\x00"+h.UUID+"\x00"+h.PrimaryIP, f.Search):
			continue
		}
		out = append(out, s.withLabels(h))
		if len(out) == pageLimit(f.Page) {
			break
		}
	}
	return out, nil
}

func (s *restStore) HostAuth(ctx context.Context) ([]*osaudit.Host, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Host
	for _, h := range sortedValues(s.hosts) {
		out = append(out, copyHost(h))
	}
	return out, nil
}

func (s *restStore) UpdateHostDetails(ctx context.Context, h *osaudit.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.hosts[h.ID]
	if !ok {
		return notFoundErr("host")
	}
	cp := copyHost(h)
	cp.NodeKeyHash, cp.LastSeen, cp.EnrolledAt = old.NodeKeyHash, old.LastSeen, old.EnrolledAt
	cp.DetailUpdatedAt = time.Now().UTC()
	s.hosts[h.ID] = cp
	return nil
}

func (s *restStore) TouchHosts(ctx context.Context, seen map[int64]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range seen {
		if h, ok := s.hosts[id]; ok {
			h.LastSeen = t
		}
	}
	return nil
}

func (s *restStore) RevokeHost(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hosts[id]
	if !ok {
		return notFoundErr("host")
	}
	h.NodeKeyHash = nil
	return nil
}

func (s *restStore) DeleteHost(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hosts[id]; !ok {
		return notFoundErr("host")
	}
	delete(s.hosts, id)
	return nil
}

func (s *restStore) CountHosts(ctx context.Context, customerID int64, onlineSince time.Time) (osaudit.HostCounts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := osaudit.HostCounts{ByPlatform: map[string]int64{}, ByOS: map[string]int64{}}
	for _, h := range s.hosts {
		if customerID != 0 && h.CustomerID != customerID {
			continue
		}
		c.Total++
		if !h.LastSeen.Before(onlineSince) {
			c.Online++
		}
		c.ByPlatform[h.Platform]++
		c.ByOS[strings.TrimSpace(h.OSName+" "+h.OSVersion)]++
	}
	return c, nil
}

// Queries, packs, labels.

func sees(sc osaudit.Scope, customerID int64) bool { return sc.Sees(customerID) }

func (s *restStore) SaveQuery(ctx context.Context, q *osaudit.Query) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.queries {
		if x.CustomerID == q.CustomerID && x.Name == q.Name && x.ID != q.ID {
			return osaudit.Errorf(osaudit.ECONFLICT, "query %q exists", q.Name)
		}
	}
	if q.ID == 0 {
		q.ID = s.id()
	} else if _, ok := s.queries[q.ID]; !ok {
		return notFoundErr("query")
	}
	q.UpdatedAt = time.Now().UTC()
	cp := *q
	s.queries[q.ID] = &cp
	s.gen++
	s.saves++
	return nil
}

func (s *restStore) Query(ctx context.Context, id int64) (*osaudit.Query, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.queries[id]; ok {
		cp := *q
		return &cp, nil
	}
	return nil, notFoundErr("query")
}

func (s *restStore) QueryByName(ctx context.Context, customerID int64, name string) (*osaudit.Query, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queries {
		if q.CustomerID == customerID && q.Name == name {
			cp := *q
			return &cp, nil
		}
	}
	return nil, notFoundErr("query")
}

func (s *restStore) Queries(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Query, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Query
	for _, q := range sortedValues(s.queries) {
		if sees(sc, q.CustomerID) {
			cp := *q
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) DeleteQuery(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queries[id]; !ok {
		return notFoundErr("query")
	}
	delete(s.queries, id)
	s.gen++
	return nil
}

func copyPack(p *osaudit.Pack) *osaudit.Pack {
	cp := *p
	cp.Queries = slices.Clone(p.Queries)
	if cp.Queries == nil {
		cp.Queries = []osaudit.PackQuery{}
	}
	return &cp
}

func (s *restStore) SavePack(ctx context.Context, p *osaudit.Pack) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.packs {
		if x.CustomerID == p.CustomerID && x.Name == p.Name && x.ID != p.ID {
			return osaudit.Errorf(osaudit.ECONFLICT, "pack %q exists", p.Name)
		}
	}
	if p.ID == 0 {
		p.ID = s.id()
	} else if _, ok := s.packs[p.ID]; !ok {
		return notFoundErr("pack")
	}
	p.UpdatedAt = time.Now().UTC()
	s.packs[p.ID] = copyPack(p)
	s.gen++
	s.saves++
	return nil
}

func (s *restStore) Pack(ctx context.Context, id int64) (*osaudit.Pack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.packs[id]; ok {
		return copyPack(p), nil
	}
	return nil, notFoundErr("pack")
}

func (s *restStore) PackByName(ctx context.Context, customerID int64, name string) (*osaudit.Pack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.packs {
		if p.CustomerID == customerID && p.Name == name {
			return copyPack(p), nil
		}
	}
	return nil, notFoundErr("pack")
}

func (s *restStore) Packs(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Pack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Pack
	for _, p := range sortedValues(s.packs) {
		if sees(sc, p.CustomerID) {
			out = append(out, copyPack(p))
		}
	}
	return out, nil
}

func (s *restStore) DeletePack(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.packs[id]; !ok {
		return notFoundErr("pack")
	}
	delete(s.packs, id)
	s.gen++
	return nil
}

func (s *restStore) SaveLabel(ctx context.Context, l *osaudit.Label) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.labels {
		if x.CustomerID == l.CustomerID && x.Name == l.Name && x.ID != l.ID {
			return osaudit.Errorf(osaudit.ECONFLICT, "label %q exists", l.Name)
		}
	}
	if l.ID == 0 {
		l.ID = s.id()
	} else if _, ok := s.labels[l.ID]; !ok {
		return notFoundErr("label")
	}
	l.UpdatedAt = time.Now().UTC()
	cp := *l
	s.labels[l.ID] = &cp
	s.gen++
	s.saves++
	return nil
}

func (s *restStore) Label(ctx context.Context, id int64) (*osaudit.Label, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.labels[id]; ok {
		cp := *l
		return &cp, nil
	}
	return nil, notFoundErr("label")
}

func (s *restStore) LabelByName(ctx context.Context, customerID int64, name string) (*osaudit.Label, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.labels {
		if l.CustomerID == customerID && l.Name == name {
			cp := *l
			return &cp, nil
		}
	}
	return nil, notFoundErr("label")
}

func (s *restStore) Labels(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Label, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Label
	for _, l := range sortedValues(s.labels) {
		if sees(sc, l.CustomerID) {
			cp := *l
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) DeleteLabel(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.labels[id]; !ok {
		return notFoundErr("label")
	}
	delete(s.labels, id)
	delete(s.members, id)
	s.gen++
	return nil
}

func (s *restStore) SetLabelMembership(ctx context.Context, labelID int64, member map[int64]bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.labels[labelID]; !ok {
		return notFoundErr("label")
	}
	m := s.members[labelID]
	if m == nil {
		m = map[int64]bool{}
		s.members[labelID] = m
	}
	for h, in := range member {
		if in {
			m[h] = true
		} else {
			delete(m, h)
		}
	}
	s.gen++
	return nil
}

func (s *restStore) LabelMembership(ctx context.Context) (map[int64][]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64][]int64{}
	for l, hs := range s.members {
		for h := range hs {
			out[h] = append(out[h], l)
		}
	}
	for h := range out {
		sort.Slice(out[h], func(i, j int) bool { return out[h][i] < out[h][j] })
	}
	return out, nil
}

func (s *restStore) ConfigGeneration(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen, nil
}

// Campaigns.

func (s *restStore) CreateCampaign(ctx context.Context, c *osaudit.Campaign) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = s.id()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC()
	}
	cp := *c
	s.campaigns[c.ID] = &cp
	return nil
}

func (s *restStore) Campaign(ctx context.Context, id int64) (*osaudit.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.campaigns[id]; ok {
		cp := *c
		return &cp, nil
	}
	return nil, notFoundErr("campaign")
}

func (s *restStore) ActiveCampaigns(ctx context.Context, now time.Time) ([]*osaudit.Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.Campaign
	for _, c := range sortedValues(s.campaigns) {
		if c.ExpiresAt.After(now) {
			cp := *c
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) AddCampaignResults(ctx context.Context, rs []*osaudit.CampaignResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		r.Seq = int64(len(s.cresults) + 1)
		cp := *r
		s.cresults = append(s.cresults, &cp)
	}
	return nil
}

func (s *restStore) CampaignResults(ctx context.Context, campaignID, after int64, limit int) ([]*osaudit.CampaignResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.CampaignResult
	for _, r := range s.cresults {
		if r.CampaignID == campaignID && r.Seq > after {
			cp := *r
			out = append(out, &cp)
			if len(out) == pageLimit(osaudit.Page{Limit: limit}) {
				break
			}
		}
	}
	return out, nil
}

// Results.

func (s *restStore) InsertResults(ctx context.Context, rows []*osaudit.ResultRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		r.ID = int64(len(s.results) + 1)
		cp := *r
		s.results = append(s.results, &cp)
	}
	return nil
}

func (s *restStore) InsertStatus(ctx context.Context, rows []*osaudit.StatusRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		r.ID = int64(len(s.statuses) + 1)
		cp := *r
		s.statuses = append(s.statuses, &cp)
	}
	return nil
}

// Results lists rows in (UnixTime, ID) order; f.After is the ID of the
// last row of the previous page.
func (s *restStore) Results(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.ResultRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.ResultRow
	rows := slices.Clone(s.results)
	slices.SortFunc(rows, func(a, b *osaudit.ResultRow) int {
		if a.UnixTime != b.UnixTime {
			return int(a.UnixTime - b.UnixTime)
		}
		return int(a.ID - b.ID)
	})
	var afterTime int64
	if f.After > 0 && f.After <= int64(len(s.results)) {
		afterTime = s.results[f.After-1].UnixTime
	}
	for _, r := range rows {
		t := time.Unix(r.UnixTime, 0)
		switch {
		case f.After > 0 && (r.UnixTime < afterTime || r.UnixTime == afterTime && r.ID <= f.After),
			f.CustomerID != 0 && r.CustomerID != f.CustomerID,
			f.HostID != 0 && r.HostID != f.HostID,
			f.Name != "" && r.Name != f.Name,
			f.Action != "" && r.Action != f.Action,
			!f.Since.IsZero() && t.Before(f.Since),
			!f.Until.IsZero() && !t.Before(f.Until):
			continue
		}
		if f.Search != "" && !slices.ContainsFunc(slices.Collect(maps.Values(r.Columns)), func(v string) bool { return strings.Contains(v, f.Search) }) {
			continue
		}
		cp := *r
		out = append(out, &cp)
		if len(out) == pageLimit(f.Page) {
			break
		}
	}
	return out, nil
}

func (s *restStore) Statuses(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.StatusRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.StatusRow
	for _, r := range s.statuses {
		switch {
		case r.ID <= f.After,
			f.CustomerID != 0 && r.CustomerID != f.CustomerID,
			f.HostID != 0 && r.HostID != f.HostID,
			f.Search != "" && !strings.Contains(r.Message, f.Search):
			continue
		}
		cp := *r
		out = append(out, &cp)
		if len(out) == pageLimit(f.Page) {
			break
		}
	}
	return out, nil
}

func (s *restStore) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	return 0, nil
}

// Users and tokens.

func (s *restStore) CreateUser(ctx context.Context, u *osaudit.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.users {
		if strings.EqualFold(x.Email, u.Email) {
			return osaudit.Errorf(osaudit.ECONFLICT, "user exists")
		}
	}
	u.ID, u.CreatedAt = s.id(), time.Now().UTC()
	cp := *u
	s.users[u.ID] = &cp
	return nil
}

func (s *restStore) UserByEmail(ctx context.Context, email string) (*osaudit.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			cp := *u
			return &cp, nil
		}
	}
	return nil, notFoundErr("user")
}

func (s *restStore) Users(ctx context.Context, sc osaudit.Scope) ([]*osaudit.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.User
	for _, u := range sortedValues(s.users) {
		if sc.Role == osaudit.RoleProviderAdmin || u.CustomerID == sc.CustomerID {
			cp := *u
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) CreateToken(ctx context.Context, t *osaudit.APIToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ID, t.CreatedAt = s.id(), time.Now().UTC()
	cp := *t
	cp.Token = ""
	s.tokens[t.ID] = &cp
	return nil
}

func (s *restStore) TokenByHash(ctx context.Context, hash []byte) (*osaudit.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			cp := *t
			return &cp, nil
		}
	}
	return nil, notFoundErr("token")
}

func (s *restStore) Tokens(ctx context.Context, sc osaudit.Scope) ([]*osaudit.APIToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*osaudit.APIToken
	for _, t := range sortedValues(s.tokens) {
		if sc.Role == osaudit.RoleProviderAdmin || t.CustomerID == sc.CustomerID {
			cp := *t
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (s *restStore) DeleteToken(ctx context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tokens[id]; !ok {
		return notFoundErr("token")
	}
	delete(s.tokens, id)
	return nil
}

func (s *restStore) TouchToken(ctx context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[id]; ok {
		t.LastUsedAt = at
	}
	return nil
}
