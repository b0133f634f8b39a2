package manager

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// Distributed query ids: detailPrefix + table, labelPrefix + label ID,
// campaignPrefix + campaign ID.
const (
	labelPrefix    = "osaudit_label_"
	campaignPrefix = "osaudit_live_"
)

// askAgain is how long an unanswered detail or label request waits before
// it is asked again.
const askAgain = 5 * time.Minute

// emptyRead is the distributed read answer when nothing is due.
var emptyRead = []byte(`{"queries":{},"discovery":{}}`)

// DistributedRead returns the queries due on the host whose node key it
// is, as a distributed read response: live-query campaigns that target
// it, detail queries every DetailInterval, dynamic label queries every
// LabelInterval. With nothing due it costs a map lookup and a clock read.
func (m *Manager) DistributedRead(ctx context.Context, nodeKey string) ([]byte, error) {
	a, err := m.authenticate(nodeKey)
	if err != nil {
		return nil, err
	}
	now := m.Now()
	var queries map[string]string
	add := func(id, sql string) {
		if queries == nil {
			queries = map[string]string{}
		}
		queries[id] = sql
	}
	if cs := *m.campaigns.Load(); len(cs) > 0 {
		var sent []*osaudit.CampaignResult
		for _, c := range cs {
			if c.take(a.id, now) {
				add(campaignPrefix+strconv.FormatInt(c.c.ID, 10), c.c.SQL)
				sent = append(sent, &osaudit.CampaignResult{CampaignID: c.c.ID, HostID: a.id, Status: osaudit.CampaignSent, At: now})
			}
		}
		if len(sent) > 0 {
			if err := m.campaignW.submit(ctx, sent, false); err != nil {
				m.Logger.Warn("record campaign sent status", "host_id", a.id, "err", err)
			}
		}
	}
	a.mu.Lock()
	detailsDue := now.Sub(a.detailUpdated) >= m.DetailInterval && now.Sub(a.detailAsked) >= askAgain
	labelsDue := now.Sub(a.labelsUpdated) >= m.LabelInterval && now.Sub(a.labelsAsked) >= askAgain
	if detailsDue {
		a.detailAsked = now
	}
	if labelsDue {
		a.labelsAsked = now
	}
	plat := a.platform
	a.mu.Unlock()
	if detailsDue {
		for t, sql := range detailQueries {
			add(detailPrefix+t, sql)
		}
	}
	if labelsDue {
		n := 0
		for _, l := range m.defs.Load().labels {
			if labelApplies(l, a.customerID, plat) {
				add(labelPrefix+strconv.FormatInt(l.ID, 10), l.SQL)
				n++
			}
		}
		if n == 0 {
			a.mu.Lock()
			a.labelsUpdated = now
			a.mu.Unlock()
		}
	}
	if len(queries) == 0 {
		return emptyRead, nil
	}
	return osquery.AppendDistributedRead(make([]byte, 0, 256), queries, nil), nil
}

// labelApplies reports whether a dynamic label's query runs on hosts of a
// customer and platform.
func labelApplies(l *osaudit.Label, customerID int64, plat platform) bool {
	return !l.Manual && l.SQL != "" && (l.CustomerID == 0 || l.CustomerID == customerID) && plat.matches(l.Platform)
}

// DistributedWrite takes a host's answers to distributed queries: detail
// rows update its inventory, label rows its label membership, campaign
// rows, statuses, messages and stats are stored (durably, before it
// returns) and streamed to subscribers.
func (m *Manager) DistributedWrite(ctx context.Context, nodeKey string, w *osquery.DistributedWrite) error {
	a, err := m.authenticate(nodeKey)
	if err != nil {
		return err
	}
	now := m.Now()
	ids := make([]string, 0, len(w.Queries)+len(w.Statuses))
	for id := range w.Queries {
		ids = append(ids, id)
	}
	for id := range w.Statuses {
		if _, ok := w.Queries[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var (
		details  map[string][]map[string]string
		labels   map[int64]bool
		results  []*osaudit.CampaignResult
		answered []*campaign
	)
	for _, id := range ids {
		rows, status := w.Queries[id], w.Statuses[id]
		switch {
		case strings.HasPrefix(id, detailPrefix):
			t := id[len(detailPrefix):]
			if _, ok := detailQueries[t]; !ok || status != 0 {
				continue
			}
			if details == nil {
				details = map[string][]map[string]string{}
			}
			details[t] = rows
		case strings.HasPrefix(id, labelPrefix):
			lid, err := strconv.ParseInt(id[len(labelPrefix):], 10, 64)
			if err != nil || status != 0 {
				continue
			}
			if labels == nil {
				labels = map[int64]bool{}
			}
			labels[lid] = len(rows) > 0
		case strings.HasPrefix(id, campaignPrefix):
			cid, err := strconv.ParseInt(id[len(campaignPrefix):], 10, 64)
			if err != nil {
				m.counters.unknownQueries.Add(1)
				continue
			}
			c := m.activeCampaign(cid)
			if c == nil {
				continue // expired, or not this server's: the answer came too late
			}
			r := &osaudit.CampaignResult{CampaignID: cid, HostID: a.id, Status: osaudit.CampaignDone, Rows: rows, At: now}
			if status != 0 {
				r.Status, r.Error = osaudit.CampaignFailed, w.Messages[id]
				if r.Error == "" {
					r.Error = "query failed with status " + strconv.Itoa(status)
				}
			}
			if st, ok := w.Stats[id]; ok {
				r.Stats = st.Map()
			}
			results = append(results, r)
			answered = append(answered, c)
		default:
			m.counters.unknownQueries.Add(1)
		}
	}
	if len(results) > 0 {
		if err := m.campaignW.submit(ctx, results, true); err != nil {
			return err
		}
		for _, c := range answered {
			c.answered(a.id)
		}
	}
	if labels != nil {
		m.setLabels(a, labels, now)
	}
	if details != nil {
		if err := m.updateDetails(ctx, a, details, now); err != nil {
			return err
		}
	}
	return nil
}

// updateDetails applies detail query rows to the host's inventory.
func (m *Manager) updateDetails(ctx context.Context, a *agent, rows map[string][]map[string]string, now time.Time) error {
	h, err := m.Store.Host(ctx, a.id)
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		return errNodeInvalid // deleted meanwhile
	}
	if err != nil {
		return wrap("update details", err)
	}
	applyDetailRows(h, rows)
	h.DetailUpdatedAt = now
	if err := m.Store.UpdateHostDetails(ctx, h); err != nil {
		return wrap("update details", err)
	}
	m.counters.detailUpdates.Add(1)
	p := platformOf(h)
	a.mu.Lock()
	a.detailUpdated = now
	a.platform = p
	a.mu.Unlock()
	return nil
}

// setLabels records the host's dynamic label results in memory at once
// (its config follows) and queues them for the store.
func (m *Manager) setLabels(a *agent, results map[int64]bool, now time.Time) {
	defs := m.defs.Load()
	a.mu.Lock()
	ls := slices.Clone(a.labels)
	changed := map[int64]bool{}
	for lid, in := range results {
		l := defs.labelByID[lid]
		if l == nil || l.Manual {
			continue
		}
		i, has := slices.BinarySearch(ls, lid)
		switch {
		case in && !has:
			ls = slices.Insert(ls, i, lid)
			changed[lid] = true
		case !in && has:
			ls = slices.Delete(ls, i, i+1)
			changed[lid] = false
		}
	}
	if len(changed) > 0 {
		a.setLabels(ls)
	}
	a.labelsUpdated = now
	a.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	m.counters.labelChanges.Add(int64(len(changed)))
	m.pendingMu.Lock()
	for lid, in := range changed {
		if m.pending[lid] == nil {
			m.pending[lid] = map[int64]bool{}
		}
		m.pending[lid][a.id] = in
	}
	m.pendingMu.Unlock()
}

// flushMembership writes queued label membership changes, a store call
// per label.
func (m *Manager) flushMembership(ctx context.Context) {
	m.pendingMu.Lock()
	pending := m.pending
	m.pending = map[int64]map[int64]bool{}
	m.pendingMu.Unlock()
	for lid, hosts := range pending {
		err := m.Store.SetLabelMembership(ctx, lid, hosts)
		if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
			continue // the label was deleted
		}
		if err != nil {
			m.Logger.Error("record label membership", "label_id", lid, "hosts", len(hosts), "err", err)
			m.pendingMu.Lock()
			for h, in := range hosts {
				if m.pending[lid] == nil {
					m.pending[lid] = map[int64]bool{}
				}
				if _, newer := m.pending[lid][h]; !newer {
					m.pending[lid][h] = in
				}
			}
			m.pendingMu.Unlock()
		}
	}
}
