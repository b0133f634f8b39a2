package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
)

// Hosts: the enrolled agents, their inventory, and counts by operating
// system.

// hostView is a host as the REST API shows it.
type hostView struct {
	*osaudit.Host
	Online bool `json:"online"`
}

func (a rest) onlineWindow() time.Duration {
	if a.Manager != nil && a.Manager.OnlineWindow > 0 {
		return a.Manager.OnlineWindow
	}
	return defaultOnlineWindow
}

func (a rest) view(h *osaudit.Host, details bool) hostView {
	c := *h
	if !details {
		c.Details = nil
	}
	return hostView{Host: &c, Online: h.Online(a.now(), a.onlineWindow())}
}

func (a rest) listHosts(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	f := osaudit.HostFilter{
		Platform:   q.Get("platform"),
		Search:     q.Get("search"),
		Hostname:   q.Get("hostname"),
		Identifier: q.Get("identifier"),
	}
	if id, ok, err := a.customerFilter(r, c); err != nil {
		return err
	} else if ok {
		f.CustomerID = id
	}
	if ref := q.Get("label"); ref != "" {
		l, err := a.labelRef(ctx, c, f.CustomerID, ref)
		if err != nil {
			return err
		}
		f.LabelID = l.ID
	}
	online, err := boolParam(r, "online")
	if err != nil {
		return err
	}
	hosts, next, err := a.hostPage(ctx, f, p, func(h *osaudit.Host) bool {
		return online == nil || h.Online(a.now(), a.onlineWindow()) == *online
	})
	if err != nil {
		return err
	}
	views := make([]hostView, len(hosts))
	for i, h := range hosts {
		views[i] = a.view(h, false)
	}
	return writeList(w, views, next)
}

// hostPage reads the page p of hosts matching f and keep, fetching more
// from the store while keep rejects some.
func (a rest) hostPage(ctx context.Context, f osaudit.HostFilter, p osaudit.Page, keep func(*osaudit.Host) bool) ([]*osaudit.Host, int64, error) {
	f.Page = osaudit.Page{After: p.After, Limit: min(p.Limit+1, maxLimit)}
	var out []*osaudit.Host
	for {
		hs, err := a.Store.Hosts(ctx, f)
		if err != nil {
			return nil, 0, fmt.Errorf("list hosts: %w", err)
		}
		for _, h := range hs {
			if keep == nil || keep(h) {
				out = append(out, h)
			}
		}
		if len(out) > p.Limit || len(hs) < f.Limit || len(hs) == 0 {
			break
		}
		f.After = hs[len(hs)-1].ID
	}
	if len(out) <= p.Limit {
		return out, 0, nil
	}
	out = out[:p.Limit]
	return out, out[len(out)-1].ID, nil
}

// allHosts lists every host matching f.
func (a rest) allHosts(ctx context.Context, f osaudit.HostFilter) ([]*osaudit.Host, error) {
	var out []*osaudit.Host
	f.Page = osaudit.Page{Limit: maxLimit}
	for {
		hs, err := a.Store.Hosts(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list hosts: %w", err)
		}
		out = append(out, hs...)
		if len(hs) < f.Limit || len(hs) == 0 {
			return out, nil
		}
		f.After = hs[len(hs)-1].ID
	}
}

// host finds a host the caller may see.
func (a rest) host(r *http.Request, c *caller) (*osaudit.Host, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	h, err := a.Store.Host(r.Context(), id)
	var customerID int64
	if h != nil {
		customerID = h.CustomerID
	}
	// A host always has a customer: Sees(0) must not let everyone see it.
	if err == nil && customerID == 0 && c.Scope.Role != osaudit.RoleProviderAdmin {
		return nil, notFound("host", id)
	}
	if err := visible(c, "host", id, customerID, err); err != nil {
		return nil, err
	}
	return h, nil
}

func (a rest) getHost(w http.ResponseWriter, r *http.Request, c *caller) error {
	h, err := a.host(r, c)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, a.view(h, true))
}

func (a rest) deleteHost(w http.ResponseWriter, r *http.Request, c *caller) error {
	h, err := a.host(r, c)
	if err != nil {
		return err
	}
	if err := c.canWrite(h.CustomerID); err != nil {
		return err
	}
	del := a.Store.DeleteHost
	if a.Manager != nil {
		del = a.Manager.DeleteHost // it also forgets the cached node key
	}
	if err := del(r.Context(), h.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeHost forgets the host's node key: the agent must enroll again.
func (a rest) revokeHost(w http.ResponseWriter, r *http.Request, c *caller) error {
	h, err := a.host(r, c)
	if err != nil {
		return err
	}
	if err := c.canWrite(h.CustomerID); err != nil {
		return err
	}
	revoke := a.Store.RevokeHost
	if a.Manager != nil {
		revoke = a.Manager.RevokeHost // it also forgets the cached node key
	}
	if err := revoke(r.Context(), h.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a rest) countHosts(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, _, err := a.customerFilter(r, c)
	if err != nil {
		return err
	}
	counts, err := a.Store.CountHosts(r.Context(), id, a.now().Add(-a.onlineWindow()))
	if err != nil {
		return fmt.Errorf("count hosts: %w", err)
	}
	return respond(w, http.StatusOK, counts)
}

// hostRefs resolves host IDs, identifiers and hostnames to the IDs of
// hosts of customerID (0: any the caller may see). A hostname may name
// several hosts; all are taken.
func (a rest) hostRefs(ctx context.Context, c *caller, customerID int64, ids []int64, refs []string) ([]int64, error) {
	seen := map[int64]bool{}
	var out []int64
	add := func(id int64) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range ids {
		h, err := a.Store.Host(ctx, id)
		if err == nil && (h.CustomerID == 0 || !c.Scope.Sees(h.CustomerID) || customerID != 0 && h.CustomerID != customerID) {
			err = osaudit.Errorf(osaudit.ENOTFOUND, "no host")
		}
		if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
			return nil, osaudit.Errorf(osaudit.EINVALID, "unknown host id %d", id)
		}
		if err != nil {
			return nil, fmt.Errorf("look up host %d: %w", id, err)
		}
		add(id)
	}
	var names []string
	for _, ref := range refs {
		if ref = strings.TrimSpace(ref); ref != "" {
			names = append(names, ref)
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	// Two calls for all the names, not two per name.
	byIdentifier, err := a.allHosts(ctx, osaudit.HostFilter{CustomerID: customerID, Identifiers: names})
	if err != nil {
		return nil, err
	}
	byHostname, err := a.allHosts(ctx, osaudit.HostFilter{CustomerID: customerID, Hostnames: names})
	if err != nil {
		return nil, err
	}
	found := map[string][]int64{}
	for _, h := range byIdentifier {
		found[h.Identifier] = append(found[h.Identifier], h.ID)
	}
	named := map[string][]int64{}
	for _, h := range byHostname {
		k := strings.ToLower(h.Hostname)
		named[k] = append(named[k], h.ID)
	}
	for _, ref := range names {
		ids := append(slices.Clone(found[ref]), named[strings.ToLower(ref)]...)
		if len(ids) == 0 {
			if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
				more, err := a.hostRefs(ctx, c, customerID, []int64{id}, nil)
				if err != nil {
					return nil, osaudit.Errorf(osaudit.EINVALID, "unknown host %q", ref)
				}
				ids = more
			}
		}
		if len(ids) == 0 {
			return nil, osaudit.Errorf(osaudit.EINVALID, "unknown host %q", ref)
		}
		for _, id := range ids {
			add(id)
		}
	}
	return out, nil
}
