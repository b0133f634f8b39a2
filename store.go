package osaudit

import (
	"context"
	"time"
)

// The manager's store, as small interfaces. The SQLite store (package
// sqlite) implements all of them, and later the PostgreSQL one; package
// storetest is the conformance suite both must pass. Methods return domain
// errors (ENOTFOUND, ECONFLICT, EINVALID) for what the caller did wrong.
// Writes on the agent hot path come in batches: the server keeps auth,
// last-seen and config in memory and writes many hosts at once.

// CustomerStore keeps customers and their enroll secrets.
type CustomerStore interface {
	CreateCustomer(ctx context.Context, c *Customer) error // sets ID, CreatedAt
	Customer(ctx context.Context, id int64) (*Customer, error)
	CustomerByName(ctx context.Context, name string) (*Customer, error)
	Customers(ctx context.Context) ([]*Customer, error)
	DeleteCustomer(ctx context.Context, id int64) error // fails with ECONFLICT while it has hosts

	CreateEnrollSecret(ctx context.Context, s *EnrollSecret) error // s.Hash set by the caller; sets ID, CreatedAt
	EnrollSecrets(ctx context.Context, customerID int64) ([]*EnrollSecret, error)
	// EnrollSecretByHash finds a secret that is not revoked.
	EnrollSecretByHash(ctx context.Context, hash []byte) (*EnrollSecret, error)
	RevokeEnrollSecret(ctx context.Context, id int64, at time.Time) error
}

// HostStore keeps enrolled hosts and their inventory.
type HostStore interface {
	// EnrollHost creates the host, or, if the customer already has one with
	// the same identifier, keeps its record and ID and replaces its node
	// key hash and inventory. It sets h.ID and h.EnrolledAt.
	EnrollHost(ctx context.Context, h *Host) error
	Host(ctx context.Context, id int64) (*Host, error)
	Hosts(ctx context.Context, f HostFilter) ([]*Host, error)
	// HostAuth lists every host's authentication data (ID, CustomerID,
	// NodeKeyHash, Identifier, platform fields, LastSeen, DetailUpdatedAt),
	// for the server's in-memory cache.
	HostAuth(ctx context.Context) ([]*Host, error)
	// UpdateHostDetails replaces a host's inventory fields and Details and
	// sets DetailUpdatedAt.
	UpdateHostDetails(ctx context.Context, h *Host) error
	// TouchHosts records last-seen times of many hosts at once.
	TouchHosts(ctx context.Context, seen map[int64]time.Time) error
	// RevokeHost forgets a host's node key, so it must enroll again.
	RevokeHost(ctx context.Context, id int64) error
	DeleteHost(ctx context.Context, id int64) error
	// CountHosts counts a customer's hosts (0: all) by platform and by
	// online state (seen since onlineSince).
	CountHosts(ctx context.Context, customerID int64, onlineSince time.Time) (HostCounts, error)
}

// HostCounts summarises hosts for "agents by operating system".
type HostCounts struct {
	Total      int64            `json:"total"`
	Online     int64            `json:"online"`
	ByPlatform map[string]int64 `json:"by_platform"`
	ByOS       map[string]int64 `json:"by_os"` // "Ubuntu 22.04", "Windows 11 Pro 23H2"...
}

// ConfigStore keeps queries, packs and labels, and a generation number that
// rises with every change to them, so that servers know when their cached
// agent configs are stale.
type ConfigStore interface {
	SaveQuery(ctx context.Context, q *Query) error // insert (ID 0) or update; sets ID, UpdatedAt
	Query(ctx context.Context, id int64) (*Query, error)
	QueryByName(ctx context.Context, customerID int64, name string) (*Query, error)
	Queries(ctx context.Context, s Scope) ([]*Query, error)
	DeleteQuery(ctx context.Context, id int64) error

	SavePack(ctx context.Context, p *Pack) error
	Pack(ctx context.Context, id int64) (*Pack, error)
	PackByName(ctx context.Context, customerID int64, name string) (*Pack, error)
	Packs(ctx context.Context, s Scope) ([]*Pack, error)
	DeletePack(ctx context.Context, id int64) error

	SaveLabel(ctx context.Context, l *Label) error
	Label(ctx context.Context, id int64) (*Label, error)
	LabelByName(ctx context.Context, customerID int64, name string) (*Label, error)
	Labels(ctx context.Context, s Scope) ([]*Label, error)
	DeleteLabel(ctx context.Context, id int64) error
	// SetLabelMembership records whether hosts are in a label (dynamic
	// results and manual edits), many at once.
	SetLabelMembership(ctx context.Context, labelID int64, member map[int64]bool) error
	// LabelMembership lists every (host, label) pair, for the cache.
	LabelMembership(ctx context.Context) (map[int64][]int64, error)

	// ConfigGeneration rises whenever a query, pack, label or membership
	// changes.
	ConfigGeneration(ctx context.Context) (int64, error)
}

// CampaignStore keeps live-query campaigns and their results.
type CampaignStore interface {
	CreateCampaign(ctx context.Context, c *Campaign) error // sets ID, CreatedAt
	Campaign(ctx context.Context, id int64) (*Campaign, error)
	// ActiveCampaigns lists campaigns that have not expired at now.
	ActiveCampaigns(ctx context.Context, now time.Time) ([]*Campaign, error)
	// AddCampaignResults stores answers (and "sent" statuses); sets Seq.
	AddCampaignResults(ctx context.Context, rs []*CampaignResult) error
	// CampaignResults lists a campaign's results with Seq > after, in order.
	CampaignResults(ctx context.Context, campaignID, after int64, limit int) ([]*CampaignResult, error)
}

// ResultStore keeps scheduled-query results and status logs.
type ResultStore interface {
	// InsertResults stores rows durably; it returns only once they are.
	InsertResults(ctx context.Context, rows []*ResultRow) error
	InsertStatus(ctx context.Context, rows []*StatusRow) error
	// Results lists rows in (UnixTime, ID) order, oldest first; the next
	// page is f.After = the ID of the last row of this one.
	Results(ctx context.Context, f ResultFilter) ([]*ResultRow, error)
	// Statuses lists status lines in (Time, ID) order, paged like Results;
	// f.Search matches the message, f.Name and f.Action do not apply.
	Statuses(ctx context.Context, f ResultFilter) ([]*StatusRow, error)
	// PruneResults deletes result and status rows older than before.
	PruneResults(ctx context.Context, before time.Time) (int64, error)
}

// UserStore keeps portal users and API tokens.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByEmail(ctx context.Context, email string) (*User, error)
	Users(ctx context.Context, s Scope) ([]*User, error)
	CreateToken(ctx context.Context, t *APIToken) error // t.Hash set by the caller
	TokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	Tokens(ctx context.Context, s Scope) ([]*APIToken, error)
	DeleteToken(ctx context.Context, id int64) error
	TouchToken(ctx context.Context, id int64, at time.Time) error
}

// Store is everything the manager keeps.
type Store interface {
	CustomerStore
	HostStore
	ConfigStore
	CampaignStore
	ResultStore
	UserStore
	Close() error
}
