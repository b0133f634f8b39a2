package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
)

// Live-query campaigns: start one, read its results page by page, or
// stream them as server-sent events while hosts answer.

const (
	defaultCampaignTTL = 2 * time.Minute
	maxCampaignTTL     = 24 * time.Hour
	// sseKeepalive spaces the comments that keep idle streams open through
	// proxies.
	sseKeepalive = 15 * time.Second
)

// streams lets the server end its open event streams at shutdown.
type streams struct {
	once, closeOnce sync.Once
	done            chan struct{}
}

func (s *streams) doneChan() chan struct{} {
	s.once.Do(func() { s.done = make(chan struct{}) })
	return s.done
}

// CloseStreams ends the open live-query event streams with an "end" event
// (reason "shutdown"). Call it when the HTTP server shuts down, e.g. with
// http.Server.RegisterOnShutdown: Shutdown waits for open streams, which
// otherwise last until their campaign expires.
func (s *Server) CloseStreams() {
	done := s.streams.doneChan()
	s.streams.closeOnce.Do(func() { close(done) })
}

// campaignView is a campaign as the REST API shows it.
type campaignView struct {
	*osaudit.Campaign
	Targets int            `json:"targets"`          // hosts the campaign reaches
	Status  map[string]int `json:"status,omitempty"` // hosts by their latest status
}

// resultView is one host's answer with the host's names.
type resultView struct {
	*osaudit.CampaignResult
	Hostname       string `json:"hostname"`
	HostIdentifier string `json:"host_identifier"`
}

func (a rest) createCampaign(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		SQL      string   `json:"query"`
		HostIDs  []int64  `json:"host_ids"`
		Hosts    []string `json:"hosts"` // identifiers or hostnames
		LabelIDs []int64  `json:"label_ids"`
		Labels   []string `json:"labels"` // names
		Customer string   `json:"customer,omitempty"`
		TTL      float64  `json:"ttl,omitempty"` // seconds
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	ctx := r.Context()
	if err := checkSQL("campaign", body.SQL); err != nil {
		return err
	}
	ttl := defaultCampaignTTL
	if body.TTL != 0 {
		ttl = time.Duration(body.TTL * float64(time.Second))
		if ttl < time.Second || ttl > maxCampaignTTL {
			return osaudit.Errorf(osaudit.EINVALID, "ttl: want 1..%d seconds, got %v", int(maxCampaignTTL.Seconds()), body.TTL)
		}
	}
	customerID := c.Scope.CustomerID
	if body.Customer != "" {
		cu, err := a.customerRef(ctx, c, body.Customer)
		if err != nil {
			return err
		}
		customerID = cu.ID
	}
	if c.Scope.Role == osaudit.RoleCustomerViewer {
		return osaudit.Errorf(osaudit.EFORBIDDEN, "this token is read-only; live queries need a customer_admin or provider_admin token")
	}
	hostIDs, err := a.hostRefs(ctx, c, customerID, body.HostIDs, body.Hosts)
	if err != nil {
		return err
	}
	labelIDs := append([]int64(nil), body.LabelIDs...)
	for _, id := range body.LabelIDs {
		if _, err := a.labelRef(ctx, c, customerID, strconv.FormatInt(id, 10)); err != nil {
			return osaudit.Errorf(osaudit.EINVALID, "unknown label id %d", id)
		}
	}
	for _, name := range body.Labels {
		l, err := a.labelRef(ctx, c, customerID, name)
		if err != nil {
			return err
		}
		labelIDs = append(labelIDs, l.ID)
	}
	if c.Scope.Role == osaudit.RoleProviderAdmin && customerID != 0 && len(labelIDs) > 0 {
		// The manager targets a provider campaign's labels across customers:
		// narrow them to the named customer's members here.
		for _, l := range labelIDs {
			hs, err := a.allHosts(ctx, osaudit.HostFilter{CustomerID: customerID, LabelID: l})
			if err != nil {
				return err
			}
			for _, h := range hs {
				if !slices.Contains(hostIDs, h.ID) {
					hostIDs = append(hostIDs, h.ID)
				}
			}
		}
		if len(hostIDs) == 0 {
			return osaudit.Errorf(osaudit.EINVALID, "no hosts of customer %q in the labels", body.Customer)
		}
		labelIDs = nil
	}
	if len(hostIDs) == 0 && len(labelIDs) == 0 {
		return osaudit.Errorf(osaudit.EINVALID, "no targets: give hosts, host_ids, labels or label_ids")
	}
	if a.Manager == nil {
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "live queries are not available on this server")
	}
	scope := c.Scope
	if scope.Role == osaudit.RoleProviderAdmin && customerID != 0 {
		scope.CustomerID = customerID
	}
	camp, err := a.Manager.StartCampaign(ctx, scope, body.SQL, hostIDs, labelIDs, ttl)
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		// A host in the store that the manager does not know has no node key.
		return osaudit.Errorf(osaudit.EINVALID, "%s (not enrolled, or revoked)", osaudit.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	latest, _, err := a.campaignState(ctx, camp)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, campaignView{Campaign: camp, Targets: len(latest)})
}

// campaignState reads a campaign's results up to now: the hosts it
// targets (the manager stores a "pending" result for each when it starts
// the campaign), the latest status of each, and the last seq.
func (a rest) campaignState(ctx context.Context, camp *osaudit.Campaign) (latest map[int64]string, last int64, err error) {
	latest = map[int64]string{}
	for _, id := range camp.HostIDs {
		latest[id] = osaudit.CampaignPending
	}
	for {
		rs, err := a.Store.CampaignResults(ctx, camp.ID, last, maxLimit)
		if err != nil {
			return nil, 0, fmt.Errorf("campaign results: %w", err)
		}
		for _, x := range rs {
			if !final(latest[x.HostID]) {
				latest[x.HostID] = x.Status
			}
			last = x.Seq
		}
		if len(rs) < maxLimit {
			return latest, last, nil
		}
	}
}

// campaign finds a campaign the caller may see: a customer sees its own
// campaigns only, never the provider's (which may span customers).
func (a rest) campaign(r *http.Request, c *caller) (*osaudit.Campaign, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	camp, err := a.Store.Campaign(r.Context(), id)
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND || err == nil && c.Scope.Role != osaudit.RoleProviderAdmin && camp.CustomerID != c.Scope.CustomerID {
		return nil, notFound("campaign", id)
	}
	if err != nil {
		return nil, fmt.Errorf("look up campaign %d: %w", id, err)
	}
	return camp, nil
}

// final reports whether a host's status is its last word.
func final(status string) bool {
	return status == osaudit.CampaignDone || status == osaudit.CampaignFailed || status == osaudit.CampaignExpired
}

func (a rest) getCampaign(w http.ResponseWriter, r *http.Request, c *caller) error {
	camp, err := a.campaign(r, c)
	if err != nil {
		return err
	}
	latest, _, err := a.campaignState(r.Context(), camp)
	if err != nil {
		return err
	}
	status := map[string]int{}
	for _, st := range latest {
		status[st]++
	}
	return respond(w, http.StatusOK, campaignView{Campaign: camp, Targets: len(latest), Status: status})
}

// hostNames looks up and remembers hosts' names for results.
type hostNames struct {
	a     rest
	names map[int64][2]string
}

func (n *hostNames) view(ctx context.Context, x *osaudit.CampaignResult) resultView {
	if n.names == nil {
		n.names = map[int64][2]string{}
	}
	nm, ok := n.names[x.HostID]
	if !ok {
		if h, err := n.a.Store.Host(ctx, x.HostID); err == nil {
			nm = [2]string{h.Hostname, h.Identifier}
		}
		n.names[x.HostID] = nm
	}
	return resultView{CampaignResult: x, Hostname: nm[0], HostIdentifier: nm[1]}
}

func (a rest) campaignResults(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	camp, err := a.campaign(r, c)
	if err != nil {
		return err
	}
	rs, err := a.Store.CampaignResults(r.Context(), camp.ID, p.After, min(p.Limit+1, maxLimit))
	if err != nil {
		return fmt.Errorf("campaign results: %w", err)
	}
	var next int64
	if len(rs) > p.Limit || len(rs) == maxLimit && p.Limit == maxLimit {
		rs = rs[:p.Limit]
		next = rs[len(rs)-1].Seq
	}
	names := hostNames{a: a}
	views := make([]resultView, len(rs))
	for i, x := range rs {
		views[i] = names.view(r.Context(), x)
	}
	return writeList(w, views, next)
}

// streamCampaign sends a campaign's results as server-sent events: first a
// "campaign" event, then a "result" event per host answer (id: its seq,
// so that a client may resume with Last-Event-ID or ?after=), and an "end"
// event when every target has answered or the campaign expired.
func (a rest) streamCampaign(w http.ResponseWriter, r *http.Request, c *caller) error {
	camp, err := a.campaign(r, c)
	if err != nil {
		return err
	}
	after := int64(0)
	for _, s := range []string{r.URL.Query().Get("after"), r.Header.Get("Last-Event-ID")} {
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return osaudit.Errorf(osaudit.EINVALID, "after: want a result seq, got %q", s)
		}
		after = max(after, n)
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	latest, _, err := a.campaignState(ctx, camp)
	if err != nil {
		return err
	}
	targets := map[int64]bool{}
	for id := range latest {
		targets[id] = true
	}
	// Hosts that answered before the resume point count as answered.
	answered := map[int64]bool{}
	for seq := int64(0); seq < after; {
		rs, err := a.Store.CampaignResults(ctx, camp.ID, seq, maxLimit)
		if err != nil {
			return fmt.Errorf("campaign results: %w", err)
		}
		for _, x := range rs {
			if x.Seq <= after && final(x.Status) && targets[x.HostID] {
				answered[x.HostID] = true
			}
			seq = x.Seq
		}
		if len(rs) < maxLimit {
			break
		}
	}
	if a.Manager == nil {
		return osaudit.Errorf(osaudit.EUNAVAILABLE, "live queries are not available on this server")
	}
	results, err := a.Manager.Subscribe(ctx, camp.ID, after)
	if err != nil {
		return err
	}

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, id int64, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if id > 0 {
			if _, err := fmt.Fprintf(w, "id: %d\n", id); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	end := func(reason string) {
		_ = send("end", 0, map[string]any{"reason": reason, "targets": len(targets), "answered": len(answered)})
	}
	if err := send("campaign", 0, campaignView{Campaign: camp, Targets: len(targets)}); err != nil {
		return nil // the client went away
	}
	done := func() bool {
		for id := range targets {
			if !answered[id] {
				return false
			}
		}
		return true
	}
	if done() {
		end("complete")
		return nil
	}
	keepalive := time.NewTicker(sseKeepalive)
	defer keepalive.Stop()
	// The manager closes the channel when the campaign expires; this timer
	// is a backstop.
	expiry := time.NewTimer(time.Until(camp.ExpiresAt) + 5*time.Second)
	defer expiry.Stop()
	names := hostNames{a: a}
	for {
		select {
		case x, ok := <-results:
			if !ok {
				if ctx.Err() == nil {
					end("expired")
				}
				return nil
			}
			if err := send("result", x.Seq, names.view(ctx, x)); err != nil {
				return nil
			}
			if final(x.Status) && targets[x.HostID] {
				answered[x.HostID] = true
				if done() {
					end("complete")
					return nil
				}
			}
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-expiry.C:
			end("expired")
			return nil
		case <-a.streams.doneChan():
			end("shutdown")
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}
