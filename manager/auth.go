package manager

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// MaxIdentifierLen bounds a host identifier.
const MaxIdentifierLen = 1024

// agent is an enrolled host as the manager keeps it in memory.
type agent struct {
	id, customerID int64
	keyHash        [32]byte
	identifier     string

	lastSeen atomic.Int64 // unix nanoseconds
	flushed  int64        // lastSeen as last written; the sync worker's

	mu            sync.Mutex
	platform      platform
	labels        []int64 // sorted
	labelsKey     string
	detailUpdated time.Time
	detailAsked   time.Time
	labelsUpdated time.Time
	labelsAsked   time.Time
	cfgDefs       *configDefs // the definitions cfg was rendered from
	cfgLabels     string
	cfg           []byte
}

// HashKey returns the SHA-256 of a node key, enroll secret or token: what
// the store keeps of them.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// NewKey returns 32 random bytes in hex: a node key, secret or token.
func NewKey() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loadHosts fills the in-memory host table from the store.
func (m *Manager) loadHosts(ctx context.Context) error {
	hosts, err := m.Store.HostAuth(ctx)
	if err != nil {
		return wrap("load hosts", err)
	}
	now := m.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, h := range hosts {
		if len(h.NodeKeyHash) != sha256.Size {
			continue
		}
		a := &agent{id: h.ID, customerID: h.CustomerID, identifier: h.Identifier, platform: platformOf(h)}
		copy(a.keyHash[:], h.NodeKeyHash)
		if !h.LastSeen.IsZero() {
			a.lastSeen.Store(h.LastSeen.UnixNano())
			a.flushed = h.LastSeen.UnixNano()
		}
		a.detailUpdated = h.DetailUpdatedAt
		// Spread the label queries of a restarted server over an interval.
		a.labelsUpdated = now.Add(-time.Duration(int64(i) * int64(m.LabelInterval) / int64(len(hosts))))
		m.byKey[a.keyHash] = a
		m.byID[a.id] = a
	}
	return nil
}

// authenticate finds the host of a node key and marks it seen. An unknown
// or revoked key is EUNAUTHORIZED: the agent gets node_invalid and
// enrolls again.
func (m *Manager) authenticate(nodeKey string) (*agent, error) {
	m.init()
	if nodeKey == "" || len(nodeKey) > 512 {
		return nil, errNodeInvalid
	}
	h := sha256.Sum256([]byte(nodeKey))
	m.mu.RLock()
	a := m.byKey[h]
	m.mu.RUnlock()
	if a == nil {
		return nil, errNodeInvalid
	}
	a.lastSeen.Store(m.Now().UnixNano())
	return a, nil
}

var errNodeInvalid = osaudit.Errorf(osaudit.EUNAUTHORIZED, "invalid node key")

// Enroll enrolls a host with its customer's enroll secret and returns its
// new node key. source is the client's address, for rate-limiting failed
// attempts. Re-enrolling an identifier keeps the host's record.
func (m *Manager) Enroll(ctx context.Context, source string, req *osquery.EnrollRequest) (string, error) {
	m.init()
	if m.limited(source) {
		m.counters.enrollLimited.Add(1)
		return "", osaudit.Errorf(osaudit.ERATELIMIT, "too many failed enroll attempts; retry later")
	}
	fail := func() (string, error) {
		m.counters.enrollFailed.Add(1)
		m.failed(source)
		return "", osaudit.Errorf(osaudit.EUNAUTHORIZED, "invalid enroll secret")
	}
	if req.EnrollSecret == "" || len(req.EnrollSecret) > 1024 {
		return fail()
	}
	sec, err := m.Store.EnrollSecretByHash(ctx, HashKey(req.EnrollSecret))
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		return fail()
	}
	if err != nil {
		return "", wrap("enroll: find secret", err)
	}
	id := req.HostIdentifier
	if id == "" {
		id = req.HostDetails["osquery_info"]["uuid"]
	}
	if id == "" {
		id = req.HostDetails["system_info"]["uuid"]
	}
	if id == "" {
		return "", osaudit.Errorf(osaudit.EINVALID, "enroll: no host_identifier")
	}
	if len(id) > MaxIdentifierLen {
		return "", osaudit.Errorf(osaudit.EINVALID, "enroll: host_identifier longer than %d bytes", MaxIdentifierLen)
	}
	key := NewKey()
	h := &osaudit.Host{CustomerID: sec.CustomerID, Identifier: id, NodeKeyHash: HashKey(key), PlatformType: req.PlatformType}
	applyDetails(h, req.HostDetails)
	if err := m.Store.EnrollHost(ctx, h); err != nil {
		return "", wrap("enroll", err)
	}
	a := &agent{id: h.ID, customerID: h.CustomerID, identifier: id, platform: platformOf(h)}
	copy(a.keyHash[:], h.NodeKeyHash)
	a.lastSeen.Store(m.Now().UnixNano())
	m.mu.Lock()
	if old := m.byID[h.ID]; old != nil {
		delete(m.byKey, old.keyHash)
		old.mu.Lock()
		a.labels, a.labelsKey, a.labelsUpdated = old.labels, old.labelsKey, old.labelsUpdated
		old.mu.Unlock()
	}
	m.byKey[a.keyHash] = a
	m.byID[a.id] = a
	m.mu.Unlock()
	m.counters.enrollOK.Add(1)
	m.Logger.Info("host enrolled", "host_id", h.ID, "customer_id", h.CustomerID, "host_identifier", id, "source", source)
	return key, nil
}

// RevokeHost forgets a host's node key: its next request gets
// node_invalid and it must enroll again.
func (m *Manager) RevokeHost(ctx context.Context, id int64) error {
	m.init()
	if err := m.Store.RevokeHost(ctx, id); err != nil {
		return err
	}
	m.forget(id)
	return nil
}

// DeleteHost deletes a host and forgets its node key.
func (m *Manager) DeleteHost(ctx context.Context, id int64) error {
	m.init()
	if err := m.Store.DeleteHost(ctx, id); err != nil {
		return err
	}
	m.forget(id)
	return nil
}

func (m *Manager) forget(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := m.byID[id]; a != nil {
		delete(m.byKey, a.keyHash)
		delete(m.byID, id)
	}
}

// host returns the in-memory host of id, or nil.
func (m *Manager) host(id int64) *agent {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.byID[id]
}

// flushSeen writes, in one store call, the last-seen times that moved by
// SeenResolution or more since they were last written (with all, every
// change). A host checking in every 10 s is written every SeenResolution,
// not every flush: at 20,000 hosts those row updates held the single
// writer long enough to delay result ingest.
func (m *Manager) flushSeen(ctx context.Context, all bool) {
	seen := map[int64]time.Time{}
	var changed []*agent
	m.mu.RLock()
	for _, a := range m.byID {
		if t := a.lastSeen.Load(); t > a.flushed && (all || t-a.flushed >= int64(m.SeenResolution)) {
			seen[a.id] = time.Unix(0, t).UTC()
			changed = append(changed, a)
		}
	}
	m.mu.RUnlock()
	if len(seen) == 0 {
		return
	}
	if err := m.Store.TouchHosts(ctx, seen); err != nil {
		m.counters.touchErrors.Add(1)
		m.Logger.Error("record last seen", "hosts", len(seen), "err", err)
		return // kept for the next flush
	}
	m.counters.touchWrites.Add(1)
	for _, a := range changed {
		a.flushed = seen[a.id].UnixNano()
	}
}

// limited reports whether source made too many failed enroll attempts.
func (m *Manager) limited(source string) bool {
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	l := m.limiters[source]
	return l != nil && l.TokensAt(m.Now()) < 1
}

// failed records a failed enroll attempt of source.
func (m *Manager) failed(source string) {
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	l := m.limiters[source]
	if l == nil {
		if len(m.limiters) >= 100_000 {
			return // a flood from many sources: the limiter table stays bounded
		}
		l = rate.NewLimiter(rate.Every(m.EnrollFailureEvery), m.EnrollFailures)
		m.limiters[source] = l
	}
	l.AllowN(m.Now(), 1)
}

// pruneLimiters drops the limiters of sources that are back to a full
// allowance.
func (m *Manager) pruneLimiters(now time.Time) {
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	for src, l := range m.limiters {
		if l.TokensAt(now) >= float64(m.EnrollFailures) {
			delete(m.limiters, src)
		}
	}
}
