// Package memstore is an in-memory osaudit.Store for tests of the manager
// and the HTTP API: small, unindexed, with the store contract's semantics
// (IDs, re-enrollment, config generation, campaign result sequence). It
// counts calls so tests can check what a request cost the store.
package memstore

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/osaudit/osaudit"
)

// Store keeps everything in maps under one mutex.
type Store struct {
	Now func() time.Time

	// Calls counts every method call by name.
	mu        sync.Mutex
	Calls     map[string]int
	nextID    int64
	gen       int64
	seq       int64
	customers map[int64]*osaudit.Customer
	secrets   map[int64]*osaudit.EnrollSecret
	hosts     map[int64]*osaudit.Host
	queries   map[int64]*osaudit.Query
	packs     map[int64]*osaudit.Pack
	labels    map[int64]*osaudit.Label
	members   map[int64]map[int64]bool // label -> host
	campaigns map[int64]*osaudit.Campaign
	cresults  []*osaudit.CampaignResult
	results   []*osaudit.ResultRow
	statuses  []*osaudit.StatusRow
	users     map[int64]*osaudit.User
	tokens    map[int64]*osaudit.APIToken

	// FailWrites makes InsertResults, InsertStatus and AddCampaignResults
	// fail while set.
	FailWrites atomic.Bool
}

var _ osaudit.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		Now:       time.Now,
		Calls:     map[string]int{},
		customers: map[int64]*osaudit.Customer{},
		secrets:   map[int64]*osaudit.EnrollSecret{},
		hosts:     map[int64]*osaudit.Host{},
		queries:   map[int64]*osaudit.Query{},
		packs:     map[int64]*osaudit.Pack{},
		labels:    map[int64]*osaudit.Label{},
		members:   map[int64]map[int64]bool{},
		campaigns: map[int64]*osaudit.Campaign{},
		users:     map[int64]*osaudit.User{},
		tokens:    map[int64]*osaudit.APIToken{},
	}
}

// CallCount returns how often method was called.
func (s *Store) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Calls[method]
}

// TotalCalls returns the number of calls of every method.
func (s *Store) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.Calls {
		n += c
	}
	return n
}

func (s *Store) lock(method string) func() {
	s.mu.Lock()
	s.Calls[method]++
	return s.mu.Unlock
}

func (s *Store) id() int64 { s.nextID++; return s.nextID }

func notFound(what string) error { return osaudit.Errorf(osaudit.ENOTFOUND, "%s not found", what) }

func clone[T any](v *T) *T { c := *v; return &c }

// Close does nothing.
func (s *Store) Close() error { return nil }

// CreateCustomer implements osaudit.CustomerStore.
func (s *Store) CreateCustomer(ctx context.Context, c *osaudit.Customer) error {
	defer s.lock("CreateCustomer")()
	for _, o := range s.customers {
		if o.Name == c.Name {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer %q exists", c.Name)
		}
	}
	c.ID, c.CreatedAt = s.id(), s.Now()
	s.customers[c.ID] = clone(c)
	return nil
}

// Customer implements osaudit.CustomerStore.
func (s *Store) Customer(ctx context.Context, id int64) (*osaudit.Customer, error) {
	defer s.lock("Customer")()
	if c, ok := s.customers[id]; ok {
		return clone(c), nil
	}
	return nil, notFound("customer")
}

// CustomerByName implements osaudit.CustomerStore.
func (s *Store) CustomerByName(ctx context.Context, name string) (*osaudit.Customer, error) {
	defer s.lock("CustomerByName")()
	for _, c := range s.customers {
		if c.Name == name {
			return clone(c), nil
		}
	}
	return nil, notFound("customer")
}

// Customers implements osaudit.CustomerStore.
func (s *Store) Customers(ctx context.Context) ([]*osaudit.Customer, error) {
	defer s.lock("Customers")()
	return sorted(s.customers, func(c *osaudit.Customer) int64 { return c.ID }), nil
}

// DeleteCustomer implements osaudit.CustomerStore.
func (s *Store) DeleteCustomer(ctx context.Context, id int64) error {
	defer s.lock("DeleteCustomer")()
	for _, h := range s.hosts {
		if h.CustomerID == id {
			return osaudit.Errorf(osaudit.ECONFLICT, "customer has hosts")
		}
	}
	delete(s.customers, id)
	return nil
}

// CreateEnrollSecret implements osaudit.CustomerStore.
func (s *Store) CreateEnrollSecret(ctx context.Context, e *osaudit.EnrollSecret) error {
	defer s.lock("CreateEnrollSecret")()
	if _, ok := s.customers[e.CustomerID]; !ok {
		return notFound("customer")
	}
	e.ID, e.CreatedAt = s.id(), s.Now()
	c := clone(e)
	c.Secret = ""
	s.secrets[e.ID] = c
	return nil
}

// EnrollSecrets implements osaudit.CustomerStore.
func (s *Store) EnrollSecrets(ctx context.Context, customerID int64) ([]*osaudit.EnrollSecret, error) {
	defer s.lock("EnrollSecrets")()
	var out []*osaudit.EnrollSecret
	for _, e := range sorted(s.secrets, func(e *osaudit.EnrollSecret) int64 { return e.ID }) {
		if e.CustomerID == customerID {
			out = append(out, e)
		}
	}
	return out, nil
}

// EnrollSecretByHash implements osaudit.CustomerStore.
func (s *Store) EnrollSecretByHash(ctx context.Context, hash []byte) (*osaudit.EnrollSecret, error) {
	defer s.lock("EnrollSecretByHash")()
	for _, e := range s.secrets {
		if e.RevokedAt == nil && bytes.Equal(e.Hash, hash) {
			return clone(e), nil
		}
	}
	return nil, notFound("enroll secret")
}

// RevokeEnrollSecret implements osaudit.CustomerStore.
func (s *Store) RevokeEnrollSecret(ctx context.Context, id int64, at time.Time) error {
	defer s.lock("RevokeEnrollSecret")()
	e, ok := s.secrets[id]
	if !ok {
		return notFound("enroll secret")
	}
	e.RevokedAt = &at
	return nil
}

// EnrollHost implements osaudit.HostStore.
func (s *Store) EnrollHost(ctx context.Context, h *osaudit.Host) error {
	defer s.lock("EnrollHost")()
	if _, ok := s.customers[h.CustomerID]; !ok {
		return notFound("customer")
	}
	for _, o := range s.hosts {
		if o.CustomerID == h.CustomerID && o.Identifier == h.Identifier {
			h.ID, h.EnrolledAt = o.ID, s.Now()
			c := clone(h)
			c.LastSeen, c.LabelIDs = o.LastSeen, nil
			s.hosts[h.ID] = c
			return nil
		}
	}
	h.ID, h.EnrolledAt = s.id(), s.Now()
	s.hosts[h.ID] = clone(h)
	return nil
}

func (s *Store) host(id int64) *osaudit.Host {
	h := clone(s.hosts[id])
	h.LabelIDs = nil
	for l, m := range s.members {
		if m[id] {
			h.LabelIDs = append(h.LabelIDs, l)
		}
	}
	sort.Slice(h.LabelIDs, func(i, j int) bool { return h.LabelIDs[i] < h.LabelIDs[j] })
	return h
}

// Host implements osaudit.HostStore.
func (s *Store) Host(ctx context.Context, id int64) (*osaudit.Host, error) {
	defer s.lock("Host")()
	if _, ok := s.hosts[id]; !ok {
		return nil, notFound("host")
	}
	return s.host(id), nil
}

// Hosts implements osaudit.HostStore.
func (s *Store) Hosts(ctx context.Context, f osaudit.HostFilter) ([]*osaudit.Host, error) {
	defer s.lock("Hosts")()
	var out []*osaudit.Host
	for _, h := range sorted(s.hosts, func(h *osaudit.Host) int64 { return h.ID }) {
		switch {
		case f.CustomerID != 0 && h.CustomerID != f.CustomerID,
			len(f.IDs) > 0 && !contains(f.IDs, h.ID),
			f.Identifier != "" && h.Identifier != f.Identifier,
			f.Hostname != "" && !strings.EqualFold(h.Hostname, f.Hostname),
			f.Identifiers != nil && !slices.Contains(f.Identifiers, h.Identifier),
			f.Hostnames != nil && !slices.ContainsFunc(f.Hostnames, func(n string) bool { return strings.EqualFold(h.Hostname, n) }),
			f.Platform != "" && h.Platform != f.Platform,
			f.LabelID != 0 && !s.members[f.LabelID][h.ID],
			f.Search != "" && !strings.Contains(h.Hostname+"\x00"+h.Identifier+"\x00"+h.UUID+"\x00"+h.PrimaryIP, f.Search),
			h.ID <= f.After:
			continue
		}
		out = append(out, s.host(h.ID))
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// HostAuth implements osaudit.HostStore.
func (s *Store) HostAuth(ctx context.Context) ([]*osaudit.Host, error) {
	defer s.lock("HostAuth")()
	var out []*osaudit.Host
	for _, h := range sorted(s.hosts, func(h *osaudit.Host) int64 { return h.ID }) {
		if h.NodeKeyHash == nil {
			continue
		}
		out = append(out, &osaudit.Host{ID: h.ID, CustomerID: h.CustomerID, NodeKeyHash: h.NodeKeyHash, Identifier: h.Identifier,
			Hostname: h.Hostname, Platform: h.Platform, PlatformLike: h.PlatformLike, PlatformType: h.PlatformType,
			LastSeen: h.LastSeen, DetailUpdatedAt: h.DetailUpdatedAt})
	}
	return out, nil
}

// UpdateHostDetails implements osaudit.HostStore.
func (s *Store) UpdateHostDetails(ctx context.Context, h *osaudit.Host) error {
	defer s.lock("UpdateHostDetails")()
	o, ok := s.hosts[h.ID]
	if !ok {
		return notFound("host")
	}
	c := clone(h)
	c.CustomerID, c.Identifier, c.NodeKeyHash, c.EnrolledAt, c.LastSeen = o.CustomerID, o.Identifier, o.NodeKeyHash, o.EnrolledAt, o.LastSeen
	if c.DetailUpdatedAt.IsZero() {
		c.DetailUpdatedAt = s.Now()
	}
	s.hosts[h.ID] = c
	return nil
}

// TouchHosts implements osaudit.HostStore.
func (s *Store) TouchHosts(ctx context.Context, seen map[int64]time.Time) error {
	defer s.lock("TouchHosts")()
	for id, t := range seen {
		if h, ok := s.hosts[id]; ok && t.After(h.LastSeen) {
			h.LastSeen = t
		}
	}
	return nil
}

// RevokeHost implements osaudit.HostStore.
func (s *Store) RevokeHost(ctx context.Context, id int64) error {
	defer s.lock("RevokeHost")()
	h, ok := s.hosts[id]
	if !ok {
		return notFound("host")
	}
	h.NodeKeyHash = nil
	return nil
}

// DeleteHost implements osaudit.HostStore.
func (s *Store) DeleteHost(ctx context.Context, id int64) error {
	defer s.lock("DeleteHost")()
	if _, ok := s.hosts[id]; !ok {
		return notFound("host")
	}
	delete(s.hosts, id)
	for _, m := range s.members {
		delete(m, id)
	}
	return nil
}

// CountHosts implements osaudit.HostStore.
func (s *Store) CountHosts(ctx context.Context, customerID int64, onlineSince time.Time) (osaudit.HostCounts, error) {
	defer s.lock("CountHosts")()
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

// SaveQuery implements osaudit.ConfigStore.
func (s *Store) SaveQuery(ctx context.Context, q *osaudit.Query) error {
	defer s.lock("SaveQuery")()
	if q.ID == 0 {
		q.ID = s.id()
	}
	q.UpdatedAt = s.Now()
	s.queries[q.ID] = clone(q)
	s.gen++
	return nil
}

// Query implements osaudit.ConfigStore.
func (s *Store) Query(ctx context.Context, id int64) (*osaudit.Query, error) {
	defer s.lock("Query")()
	if q, ok := s.queries[id]; ok {
		return clone(q), nil
	}
	return nil, notFound("query")
}

// QueryByName implements osaudit.ConfigStore.
func (s *Store) QueryByName(ctx context.Context, customerID int64, name string) (*osaudit.Query, error) {
	defer s.lock("QueryByName")()
	for _, q := range s.queries {
		if q.CustomerID == customerID && q.Name == name {
			return clone(q), nil
		}
	}
	return nil, notFound("query")
}

// Queries implements osaudit.ConfigStore.
func (s *Store) Queries(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Query, error) {
	defer s.lock("Queries")()
	return visible(s.queries, sc, func(q *osaudit.Query) (int64, int64) { return q.ID, q.CustomerID }), nil
}

// DeleteQuery implements osaudit.ConfigStore.
func (s *Store) DeleteQuery(ctx context.Context, id int64) error {
	defer s.lock("DeleteQuery")()
	delete(s.queries, id)
	s.gen++
	return nil
}

// SavePack implements osaudit.ConfigStore.
func (s *Store) SavePack(ctx context.Context, p *osaudit.Pack) error {
	defer s.lock("SavePack")()
	if p.ID == 0 {
		p.ID = s.id()
	}
	p.UpdatedAt = s.Now()
	s.packs[p.ID] = clone(p)
	s.gen++
	return nil
}

// Pack implements osaudit.ConfigStore.
func (s *Store) Pack(ctx context.Context, id int64) (*osaudit.Pack, error) {
	defer s.lock("Pack")()
	if p, ok := s.packs[id]; ok {
		return clone(p), nil
	}
	return nil, notFound("pack")
}

// PackByName implements osaudit.ConfigStore.
func (s *Store) PackByName(ctx context.Context, customerID int64, name string) (*osaudit.Pack, error) {
	defer s.lock("PackByName")()
	for _, p := range s.packs {
		if p.CustomerID == customerID && p.Name == name {
			return clone(p), nil
		}
	}
	return nil, notFound("pack")
}

// Packs implements osaudit.ConfigStore.
func (s *Store) Packs(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Pack, error) {
	defer s.lock("Packs")()
	return visible(s.packs, sc, func(p *osaudit.Pack) (int64, int64) { return p.ID, p.CustomerID }), nil
}

// DeletePack implements osaudit.ConfigStore.
func (s *Store) DeletePack(ctx context.Context, id int64) error {
	defer s.lock("DeletePack")()
	delete(s.packs, id)
	s.gen++
	return nil
}

// SaveLabel implements osaudit.ConfigStore.
func (s *Store) SaveLabel(ctx context.Context, l *osaudit.Label) error {
	defer s.lock("SaveLabel")()
	if l.ID == 0 {
		l.ID = s.id()
	}
	l.UpdatedAt = s.Now()
	s.labels[l.ID] = clone(l)
	s.gen++
	return nil
}

// Label implements osaudit.ConfigStore.
func (s *Store) Label(ctx context.Context, id int64) (*osaudit.Label, error) {
	defer s.lock("Label")()
	if l, ok := s.labels[id]; ok {
		return clone(l), nil
	}
	return nil, notFound("label")
}

// LabelByName implements osaudit.ConfigStore.
func (s *Store) LabelByName(ctx context.Context, customerID int64, name string) (*osaudit.Label, error) {
	defer s.lock("LabelByName")()
	for _, l := range s.labels {
		if l.CustomerID == customerID && l.Name == name {
			return clone(l), nil
		}
	}
	return nil, notFound("label")
}

// Labels implements osaudit.ConfigStore.
func (s *Store) Labels(ctx context.Context, sc osaudit.Scope) ([]*osaudit.Label, error) {
	defer s.lock("Labels")()
	return visible(s.labels, sc, func(l *osaudit.Label) (int64, int64) { return l.ID, l.CustomerID }), nil
}

// DeleteLabel implements osaudit.ConfigStore.
func (s *Store) DeleteLabel(ctx context.Context, id int64) error {
	defer s.lock("DeleteLabel")()
	delete(s.labels, id)
	delete(s.members, id)
	s.gen++
	return nil
}

// SetLabelMembership implements osaudit.ConfigStore.
func (s *Store) SetLabelMembership(ctx context.Context, labelID int64, member map[int64]bool) error {
	defer s.lock("SetLabelMembership")()
	if _, ok := s.labels[labelID]; !ok {
		return notFound("label")
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

// LabelMembership implements osaudit.ConfigStore.
func (s *Store) LabelMembership(ctx context.Context) (map[int64][]int64, error) {
	defer s.lock("LabelMembership")()
	out := map[int64][]int64{}
	for l, m := range s.members {
		for h := range m {
			out[h] = append(out[h], l)
		}
	}
	for _, ls := range out {
		sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	}
	return out, nil
}

// ConfigGeneration implements osaudit.ConfigStore.
func (s *Store) ConfigGeneration(ctx context.Context) (int64, error) {
	defer s.lock("ConfigGeneration")()
	return s.gen, nil
}

// CreateCampaign implements osaudit.CampaignStore.
func (s *Store) CreateCampaign(ctx context.Context, c *osaudit.Campaign) error {
	defer s.lock("CreateCampaign")()
	c.ID, c.CreatedAt = s.id(), s.Now()
	s.campaigns[c.ID] = clone(c)
	return nil
}

// Campaign implements osaudit.CampaignStore.
func (s *Store) Campaign(ctx context.Context, id int64) (*osaudit.Campaign, error) {
	defer s.lock("Campaign")()
	if c, ok := s.campaigns[id]; ok {
		return clone(c), nil
	}
	return nil, notFound("campaign")
}

// ActiveCampaigns implements osaudit.CampaignStore.
func (s *Store) ActiveCampaigns(ctx context.Context, now time.Time) ([]*osaudit.Campaign, error) {
	defer s.lock("ActiveCampaigns")()
	var out []*osaudit.Campaign
	for _, c := range sorted(s.campaigns, func(c *osaudit.Campaign) int64 { return c.ID }) {
		if c.ExpiresAt.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

// AddCampaignResults implements osaudit.CampaignStore.
func (s *Store) AddCampaignResults(ctx context.Context, rs []*osaudit.CampaignResult) error {
	defer s.lock("AddCampaignResults")()
	if s.FailWrites.Load() {
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "writes fail")
	}
	for _, r := range rs {
		s.seq++
		r.Seq = s.seq
		s.cresults = append(s.cresults, clone(r))
	}
	return nil
}

// CampaignResults implements osaudit.CampaignStore.
func (s *Store) CampaignResults(ctx context.Context, campaignID, after int64, limit int) ([]*osaudit.CampaignResult, error) {
	defer s.lock("CampaignResults")()
	var out []*osaudit.CampaignResult
	for _, r := range s.cresults {
		if r.CampaignID == campaignID && r.Seq > after {
			out = append(out, clone(r))
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// InsertResults implements osaudit.ResultStore.
func (s *Store) InsertResults(ctx context.Context, rows []*osaudit.ResultRow) error {
	defer s.lock("InsertResults")()
	if s.FailWrites.Load() {
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "writes fail")
	}
	for _, r := range rows {
		r.ID = s.id()
		s.results = append(s.results, clone(r))
	}
	return nil
}

// InsertStatus implements osaudit.ResultStore.
func (s *Store) InsertStatus(ctx context.Context, rows []*osaudit.StatusRow) error {
	defer s.lock("InsertStatus")()
	if s.FailWrites.Load() {
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "writes fail")
	}
	for _, r := range rows {
		r.ID = s.id()
		s.statuses = append(s.statuses, clone(r))
	}
	return nil
}

// Results implements osaudit.ResultStore.
func (s *Store) Results(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.ResultRow, error) {
	defer s.lock("Results")()
	var out []*osaudit.ResultRow
	for _, r := range s.results {
		if (f.CustomerID == 0 || r.CustomerID == f.CustomerID) && (f.HostID == 0 || r.HostID == f.HostID) &&
			(f.Name == "" || r.Name == f.Name) && (f.Action == "" || r.Action == f.Action) && r.ID > f.After {
			out = append(out, clone(r))
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

// Statuses implements osaudit.ResultStore.
func (s *Store) Statuses(ctx context.Context, f osaudit.ResultFilter) ([]*osaudit.StatusRow, error) {
	defer s.lock("Statuses")()
	var out []*osaudit.StatusRow
	for _, r := range s.statuses {
		if (f.CustomerID == 0 || r.CustomerID == f.CustomerID) && (f.HostID == 0 || r.HostID == f.HostID) && r.ID > f.After {
			out = append(out, clone(r))
		}
	}
	return out, nil
}

// PruneResults implements osaudit.ResultStore.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	defer s.lock("PruneResults")()
	var keep []*osaudit.StatusRow
	n := int64(0)
	for _, r := range s.statuses {
		if r.Time.Before(before) {
			n++
			continue
		}
		keep = append(keep, r)
	}
	s.statuses = keep
	return n, nil
}

// CreateUser implements osaudit.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *osaudit.User) error {
	defer s.lock("CreateUser")()
	for _, o := range s.users {
		if strings.EqualFold(o.Email, u.Email) {
			return osaudit.Errorf(osaudit.ECONFLICT, "user %q exists", u.Email)
		}
	}
	u.ID, u.CreatedAt = s.id(), s.Now()
	s.users[u.ID] = clone(u)
	return nil
}

// UserByEmail implements osaudit.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (*osaudit.User, error) {
	defer s.lock("UserByEmail")()
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return clone(u), nil
		}
	}
	return nil, notFound("user")
}

// Users implements osaudit.UserStore.
func (s *Store) Users(ctx context.Context, sc osaudit.Scope) ([]*osaudit.User, error) {
	defer s.lock("Users")()
	return visible(s.users, sc, func(u *osaudit.User) (int64, int64) { return u.ID, u.CustomerID }), nil
}

// CreateToken implements osaudit.UserStore.
func (s *Store) CreateToken(ctx context.Context, t *osaudit.APIToken) error {
	defer s.lock("CreateToken")()
	t.ID, t.CreatedAt = s.id(), s.Now()
	c := clone(t)
	c.Token = ""
	s.tokens[t.ID] = c
	return nil
}

// TokenByHash implements osaudit.UserStore.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*osaudit.APIToken, error) {
	defer s.lock("TokenByHash")()
	for _, t := range s.tokens {
		if bytes.Equal(t.Hash, hash) {
			return clone(t), nil
		}
	}
	return nil, notFound("token")
}

// Tokens implements osaudit.UserStore.
func (s *Store) Tokens(ctx context.Context, sc osaudit.Scope) ([]*osaudit.APIToken, error) {
	defer s.lock("Tokens")()
	return visible(s.tokens, sc, func(t *osaudit.APIToken) (int64, int64) { return t.ID, t.CustomerID }), nil
}

// DeleteToken implements osaudit.UserStore.
func (s *Store) DeleteToken(ctx context.Context, id int64) error {
	defer s.lock("DeleteToken")()
	delete(s.tokens, id)
	return nil
}

// TouchToken implements osaudit.UserStore.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	defer s.lock("TouchToken")()
	if t, ok := s.tokens[id]; ok {
		t.LastUsedAt = at
	}
	return nil
}

func sorted[T any](m map[int64]*T, id func(*T) int64) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, clone(v))
	}
	sort.Slice(out, func(i, j int) bool { return id(out[i]) < id(out[j]) })
	return out
}

func visible[T any](m map[int64]*T, sc osaudit.Scope, ids func(*T) (id, customer int64)) []*T {
	var out []*T
	for _, v := range sorted(m, func(v *T) int64 { id, _ := ids(v); return id }) {
		if _, c := ids(v); sc.Sees(c) {
			out = append(out, v)
		}
	}
	return out
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
