package osaudit

import "time"

// The manager's domain: customers (tenants) and their hosts, enroll
// secrets, queries, packs and labels, live-query campaigns, results, and
// the people and tokens that use the API. IDs are positive; 0 means unset.

// Customer is a tenant: a managed-security provider's client.
type Customer struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"` // unique
	CreatedAt time.Time `json:"created_at"`
}

// EnrollSecret lets agents enroll into a customer. Only its SHA-256 hash
// is stored; the secret is shown once, when it is created.
type EnrollSecret struct {
	ID         int64      `json:"id"`
	CustomerID int64      `json:"customer_id"`
	Name       string     `json:"name"`
	Hash       []byte     `json:"-"`
	Secret     string     `json:"secret,omitempty"` // set only in the create response
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Host is an enrolled agent (osaudit or osqueryd) and its inventory.
type Host struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Identifier string `json:"host_identifier"` // as the agent sent it; unique per customer
	// NodeKeyHash is SHA-256 of the node key; the key itself is never stored.
	NodeKeyHash []byte `json:"-"`

	Hostname       string `json:"hostname"`
	UUID           string `json:"uuid"`
	Platform       string `json:"platform"`      // os_version.platform: ubuntu, windows, darwin...
	PlatformLike   string `json:"platform_like"` // os_version.platform_like: debian, rhel...
	PlatformType   string `json:"platform_type"` // the enroll request's: "9" Linux, "2" Windows, "21" macOS
	OSName         string `json:"os_name"`
	OSVersion      string `json:"os_version"`
	OSBuild        string `json:"os_build"`
	Arch           string `json:"arch"`
	AgentVersion   string `json:"agent_version"` // osquery_info.version
	CPUBrand       string `json:"cpu_brand"`
	CPULogical     int64  `json:"cpu_logical_cores"`
	MemoryBytes    int64  `json:"physical_memory"`
	HardwareVendor string `json:"hardware_vendor"`
	HardwareModel  string `json:"hardware_model"`
	HardwareSerial string `json:"hardware_serial"`
	PrimaryIP      string `json:"primary_ip"`
	PrimaryMAC     string `json:"primary_mac"`
	UptimeSeconds  int64  `json:"uptime_seconds"`

	// Details holds the raw rows of host_details and of the detail queries,
	// by table name; the fields above are derived from it.
	Details map[string][]map[string]string `json:"details,omitempty"`

	EnrolledAt      time.Time `json:"enrolled_at"`
	LastSeen        time.Time `json:"last_seen"`
	DetailUpdatedAt time.Time `json:"detail_updated_at"`
	LabelIDs        []int64   `json:"label_ids,omitempty"`
}

// Online reports whether the host checked in within window.
func (h *Host) Online(now time.Time, window time.Duration) bool {
	return !h.LastSeen.IsZero() && now.Sub(h.LastSeen) <= window
}

// HostFilter selects hosts. Zero fields match everything.
type HostFilter struct {
	CustomerID int64
	IDs        []int64
	Identifier string
	Hostname   string // exact, case-insensitive
	// Identifiers and Hostnames match any of theirs (hostnames exact,
	// case-insensitive): one call resolves a list of names, where one
	// call per name cost a 200-host live query ~1 s. Nil: no filter.
	Identifiers []string
	Hostnames   []string
	Search      string // substring of hostname, identifier, uuid or primary ip
	Platform    string
	LabelID     int64
	Page
}

// Page is keyset pagination: items with ID > After, at most Limit (0: the
// store's default, 100; at most 1000).
type Page struct {
	After int64
	Limit int
}

// Query is a named SQL query with its schedule options and ATT&CK mapping.
// CustomerID 0 makes it the provider's, usable by every customer's packs.
type Query struct {
	ID          int64     `json:"id"`
	CustomerID  int64     `json:"customer_id"`
	Name        string    `json:"name"` // unique per customer
	SQL         string    `json:"query"`
	Description string    `json:"description,omitempty"`
	Interval    int64     `json:"interval,omitempty"`
	Snapshot    bool      `json:"snapshot,omitempty"`
	Removed     *bool     `json:"removed,omitempty"` // nil: osquery's default, true
	Platform    string    `json:"platform,omitempty"`
	Version     string    `json:"version,omitempty"`
	Shard       int       `json:"shard,omitempty"`
	Techniques  []string  `json:"attack_techniques,omitempty"` // MITRE ATT&CK ids: T1059, T1053.005...
	UpdatedAt   time.Time `json:"updated_at"`
}

// Pack groups queries in osquery's pack format and says which hosts get it.
type Pack struct {
	ID          int64       `json:"id"`
	CustomerID  int64       `json:"customer_id"` // 0: the provider's
	Name        string      `json:"name"`        // unique per customer
	Description string      `json:"description,omitempty"`
	Platform    string      `json:"platform,omitempty"`
	Version     string      `json:"version,omitempty"`
	Shard       int         `json:"shard,omitempty"`
	Discovery   []string    `json:"discovery,omitempty"`
	Queries     []PackQuery `json:"queries"`
	Targets     PackTargets `json:"targets"`
	Disabled    bool        `json:"disabled,omitempty"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// PackQuery is a query in a pack, under its name in the pack, with the
// options the pack sets for it.
type PackQuery struct {
	Name        string   `json:"name"`
	SQL         string   `json:"query"`
	Description string   `json:"description,omitempty"`
	Interval    int64    `json:"interval"`
	Snapshot    bool     `json:"snapshot,omitempty"`
	Removed     *bool    `json:"removed,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	Version     string   `json:"version,omitempty"`
	Shard       int      `json:"shard,omitempty"`
	Denylist    *bool    `json:"denylist,omitempty"`
	Techniques  []string `json:"attack_techniques,omitempty"`
}

// PackTargets says which hosts receive a pack: those of the listed
// customers (all customers of the provider if none and the pack is the
// provider's; the pack's own customer otherwise), further narrowed to hosts
// in any of the labels and on any of the platforms, when listed.
type PackTargets struct {
	CustomerIDs []int64  `json:"customer_ids,omitempty"`
	LabelIDs    []int64  `json:"label_ids,omitempty"`
	Platforms   []string `json:"platforms,omitempty"`
}

// Label is a set of hosts: dynamic (hosts where its query returns a row,
// refreshed through distributed reads) or manual (a list of hosts).
type Label struct {
	ID          int64     `json:"id"`
	CustomerID  int64     `json:"customer_id"` // 0: the provider's, applies to every customer's hosts
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	SQL         string    `json:"query,omitempty"` // empty for a manual label
	Platform    string    `json:"platform,omitempty"`
	Manual      bool      `json:"manual,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Campaign is a live query sent to a set of hosts.
type Campaign struct {
	ID         int64     `json:"id"`
	CustomerID int64     `json:"customer_id"` // 0: a provider campaign
	SQL        string    `json:"query"`
	HostIDs    []int64   `json:"host_ids,omitempty"`
	LabelIDs   []int64   `json:"label_ids,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Campaign result statuses, per host.
const (
	CampaignPending = "pending" // not yet picked up
	CampaignSent    = "sent"    // handed to the host on a distributed read
	CampaignDone    = "done"    // rows received
	CampaignFailed  = "failed"  // the host reported an error
	CampaignExpired = "expired" // the campaign ended before an answer
)

// CampaignResult is one host's answer to a campaign.
type CampaignResult struct {
	CampaignID int64               `json:"campaign_id"`
	HostID     int64               `json:"host_id"`
	Seq        int64               `json:"seq"` // order of arrival, for streaming
	Status     string              `json:"status"`
	Error      string              `json:"error,omitempty"`
	Rows       []map[string]string `json:"rows,omitempty"`
	Stats      map[string]int64    `json:"stats,omitempty"` // wall_time_ms, user_time, system_time, memory
	At         time.Time           `json:"at"`
}

// ResultRow is one row of a scheduled query's result log, as an agent sent
// it (event format; batch and snapshot lines are split into rows).
type ResultRow struct {
	ID          int64             `json:"id"`
	CustomerID  int64             `json:"customer_id"`
	HostID      int64             `json:"host_id"`
	Name        string            `json:"name"` // pack/pack/query as the agent names it
	Action      string            `json:"action"`
	UnixTime    int64             `json:"unix_time"`
	Epoch       int64             `json:"epoch"`
	Counter     int64             `json:"counter"`
	Columns     map[string]string `json:"columns"`
	Decorations map[string]string `json:"decorations,omitempty"`
}

// StatusRow is one status log line an agent sent.
type StatusRow struct {
	ID         int64     `json:"id"`
	CustomerID int64     `json:"customer_id"`
	HostID     int64     `json:"host_id"`
	Time       time.Time `json:"time"`
	Severity   int       `json:"severity"`
	Filename   string    `json:"filename"`
	Line       int       `json:"line"`
	Message    string    `json:"message"`
	Version    string    `json:"version"`
}

// ResultFilter selects result rows. Zero fields match everything.
type ResultFilter struct {
	CustomerID int64
	HostID     int64
	Name       string // exact query name
	Action     string
	Since      time.Time // inclusive
	Until      time.Time // exclusive
	Search     string    // substring of any column value, ASCII case ignored
	Page                 // After: the ID of the previous page's last row
}

// Role is what a user or token may do.
type Role string

// Roles.
const (
	RoleProviderAdmin  Role = "provider_admin"  // every customer
	RoleCustomerAdmin  Role = "customer_admin"  // one customer, read and write
	RoleCustomerViewer Role = "customer_viewer" // one customer, read only
)

// User is a person who signs in to the portal.
type User struct {
	ID           int64     `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name,omitempty"`
	PasswordHash []byte    `json:"-"`
	Role         Role      `json:"role"`
	CustomerID   int64     `json:"customer_id,omitempty"` // 0 for provider admins
	CreatedAt    time.Time `json:"created_at"`
}

// APIToken authenticates REST calls. Only its SHA-256 hash is stored.
type APIToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Hash       []byte    `json:"-"`
	Token      string    `json:"token,omitempty"` // set only in the create response
	Role       Role      `json:"role"`
	CustomerID int64     `json:"customer_id,omitempty"` // 0: provider scope
	UserID     int64     `json:"user_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitempty"`
}

// Scope is who is asking: the role and, for customer roles, the customer.
// Stores take it where a list could leak another customer's data.
type Scope struct {
	Role       Role
	CustomerID int64
}

// Sees reports whether the scope may see an object of customer id (0: the
// provider's objects, visible to all).
func (s Scope) Sees(customerID int64) bool {
	return s.Role == RoleProviderAdmin || customerID == 0 || customerID == s.CustomerID
}

// CanWrite reports whether the scope may change an object of customer id.
func (s Scope) CanWrite(customerID int64) bool {
	switch s.Role {
	case RoleProviderAdmin:
		return true
	case RoleCustomerAdmin:
		return customerID == s.CustomerID && customerID != 0
	}
	return false
}
