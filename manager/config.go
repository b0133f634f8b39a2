package manager

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/osaudit/osaudit"
)

// DefaultOptions are the osquery options agents get, as Fleet sets them:
// "/" between pack and query names, check-ins every 10 s.
func DefaultOptions() map[string]any {
	return map[string]any{
		"pack_delimiter":               "/",
		"distributed_interval":         10,
		"distributed_tls_max_attempts": 3,
		"logger_tls_period":            10,
		"disable_distributed":          false,
	}
}

// DefaultDecorators add the host's UUID and hostname to every log line.
func DefaultDecorators() map[string]any {
	return map[string]any{"load": []string{
		"SELECT uuid AS host_uuid FROM system_info;",
		"SELECT hostname AS hostname FROM system_info;",
	}}
}

// configDefs are the packs and labels at one config generation, and the
// configs rendered from them.
type configDefs struct {
	gen       int64
	packs     []*osaudit.Pack
	labels    []*osaudit.Label
	labelByID map[int64]*osaudit.Label

	mu    sync.Mutex
	cache map[configKey][]byte
}

// configKey is what an agent's config depends on besides the generation.
type configKey struct {
	customerID int64
	platform   string
	labels     string
}

var providerScope = osaudit.Scope{Role: osaudit.RoleProviderAdmin}

// reloadConfig loads packs, labels and label membership from the store;
// configs are rendered again as agents ask for them.
func (m *Manager) reloadConfig(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	gen, err := m.Store.ConfigGeneration(ctx)
	if err != nil {
		return wrap("config generation", err)
	}
	packs, err := m.Store.Packs(ctx, providerScope)
	if err != nil {
		return wrap("load packs", err)
	}
	labels, err := m.Store.Labels(ctx, providerScope)
	if err != nil {
		return wrap("load labels", err)
	}
	members, err := m.Store.LabelMembership(ctx)
	if err != nil {
		return wrap("load label membership", err)
	}
	d := &configDefs{gen: gen, packs: packs, labels: labels, labelByID: map[int64]*osaudit.Label{}, cache: map[configKey][]byte{}}
	for _, l := range labels {
		d.labelByID[l.ID] = l
	}
	m.pendingMu.Lock()
	for label, hosts := range m.pending {
		for h, in := range hosts {
			ls := slices.DeleteFunc(slices.Clone(members[h]), func(x int64) bool { return x == label })
			if in {
				ls = append(ls, label)
			}
			members[h] = ls
		}
	}
	m.pendingMu.Unlock()
	m.mu.RLock()
	for id, a := range m.byID {
		ls := members[id]
		ls = slices.DeleteFunc(slices.Clone(ls), func(x int64) bool { return d.labelByID[x] == nil })
		slices.Sort(ls)
		a.mu.Lock()
		a.setLabels(ls)
		a.mu.Unlock()
	}
	m.mu.RUnlock()
	m.defs.Store(d)
	m.genSeen = gen
	m.counters.configReloads.Add(1)
	return nil
}

// setLabels sets the host's labels (sorted); a.mu held.
func (a *agent) setLabels(ls []int64) {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(l, 10))
	}
	a.labels, a.labelsKey = ls, b.String()
}

// Config returns the osquery config of the host whose node key it is:
// the options, decorators and the packs that apply to it. It costs no
// store work: configs are rendered once per customer, platform, label
// set and config generation.
func (m *Manager) Config(ctx context.Context, nodeKey string) ([]byte, error) {
	a, err := m.authenticate(nodeKey)
	if err != nil {
		return nil, err
	}
	d := m.defs.Load()
	a.mu.Lock()
	if a.cfgDefs == d && a.cfgLabels == a.labelsKey {
		b := a.cfg
		a.mu.Unlock()
		return b, nil
	}
	key := configKey{customerID: a.customerID, platform: a.platform.key, labels: a.labelsKey}
	plat, labels := a.platform, a.labels
	a.mu.Unlock()

	d.mu.Lock()
	b, ok := d.cache[key]
	d.mu.Unlock()
	if !ok {
		b, err = m.render(d, key.customerID, plat, labels)
		if err != nil {
			return nil, err
		}
		m.counters.configRenders.Add(1)
		d.mu.Lock()
		d.cache[key] = b
		d.mu.Unlock()
	}
	a.mu.Lock()
	a.cfgDefs, a.cfgLabels, a.cfg = d, key.labels, b
	a.mu.Unlock()
	return b, nil
}

// packJSON and queryJSON are a pack and its queries in osquery's format.
type packJSON struct {
	Queries   map[string]queryJSON `json:"queries"`
	Platform  string               `json:"platform,omitempty"`
	Version   string               `json:"version,omitempty"`
	Shard     int                  `json:"shard,omitempty"`
	Discovery []string             `json:"discovery,omitempty"`
}

type queryJSON struct {
	Query       string `json:"query"`
	Interval    int64  `json:"interval"`
	Snapshot    bool   `json:"snapshot,omitempty"`
	Removed     *bool  `json:"removed,omitempty"`
	Platform    string `json:"platform,omitempty"`
	Version     string `json:"version,omitempty"`
	Shard       int    `json:"shard,omitempty"`
	Denylist    *bool  `json:"denylist,omitempty"`
	Description string `json:"description,omitempty"`
}

// render builds the config of hosts of a customer, platform and labels.
func (m *Manager) render(d *configDefs, customerID int64, plat platform, labels []int64) ([]byte, error) {
	var applies []*osaudit.Pack
	provider := map[string]bool{}
	for _, p := range d.packs {
		if packApplies(p, customerID, plat, labels) {
			applies = append(applies, p)
			provider[p.Name] = provider[p.Name] || p.CustomerID == 0
		}
	}
	packs := map[string]packJSON{}
	for _, p := range applies {
		name := p.Name
		if p.CustomerID != 0 && provider[name] {
			// A customer's pack named like a provider's: both are sent, the
			// customer's under its name and the customer's ID.
			name += "-" + strconv.FormatInt(p.CustomerID, 10)
		}
		pj := packJSON{Queries: map[string]queryJSON{}, Platform: p.Platform, Version: p.Version, Shard: p.Shard, Discovery: p.Discovery}
		for _, q := range p.Queries {
			if q.Name == "" || q.SQL == "" {
				continue
			}
			interval := q.Interval
			if interval <= 0 {
				interval = 3600
			}
			pj.Queries[q.Name] = queryJSON{Query: q.SQL, Interval: interval, Snapshot: q.Snapshot, Removed: q.Removed,
				Platform: q.Platform, Version: q.Version, Shard: q.Shard, Denylist: q.Denylist, Description: q.Description}
		}
		packs[name] = pj
	}
	b, err := json.Marshal(struct {
		Options    map[string]any      `json:"options"`
		Decorators map[string]any      `json:"decorators,omitempty"`
		Packs      map[string]packJSON `json:"packs"`
	}{m.Options, m.Decorators, packs})
	return b, wrap("render config", err)
}

// packApplies reports whether a pack goes to hosts of a customer, platform
// and labels (see osaudit.PackTargets).
func packApplies(p *osaudit.Pack, customerID int64, plat platform, labels []int64) bool {
	switch {
	case p.Disabled:
		return false
	case p.CustomerID != 0 && p.CustomerID != customerID:
		return false
	case p.CustomerID == 0 && len(p.Targets.CustomerIDs) > 0 && !slices.Contains(p.Targets.CustomerIDs, customerID):
		return false
	case len(p.Targets.LabelIDs) > 0 && !slices.ContainsFunc(p.Targets.LabelIDs, func(l int64) bool { _, ok := slices.BinarySearch(labels, l); return ok }):
		return false
	case !plat.matchesAny(p.Targets.Platforms) || !plat.matches(p.Platform):
		return false
	}
	return true
}
