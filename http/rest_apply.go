package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/osaudit/osaudit"
)

// apply makes the server match declarative documents, like fleetctl
// apply: customers, queries, labels and packs, each upserted by name
// within its customer. Objects that already match are left alone, so
// applying the same documents twice changes nothing the second time.

// document is one declarative object: {"apiVersion": "v1", "kind":
// "query", "spec": {...}}.
type document struct {
	APIVersion string          `json:"apiVersion,omitempty"`
	Kind       string          `json:"kind"`
	Spec       json.RawMessage `json:"spec"`
}

// applyRequest is the body of POST /api/v1/apply.
type applyRequest struct {
	// Customer (ID or name) owns documents that name none; empty: the
	// caller's customer, or the provider for a provider token.
	Customer  string     `json:"customer,omitempty"`
	Documents []document `json:"documents"`
}

// applied says what apply did with one document.
type applied struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Customer string `json:"customer"` // the owner's name, "" for the provider
	ID       int64  `json:"id"`
	Action   string `json:"action"` // created, updated or unchanged
}

// Apply actions.
const (
	actionCreated   = "created"
	actionUpdated   = "updated"
	actionUnchanged = "unchanged"
)

// customerSpec declares a customer.
type customerSpec struct {
	Name string `json:"name"`
}

// querySpec declares a saved query.
type querySpec struct {
	Name        string   `json:"name"`
	Customer    string   `json:"customer,omitempty"`
	Query       string   `json:"query"`
	Description string   `json:"description,omitempty"`
	Interval    int64    `json:"interval,omitempty"`
	Snapshot    bool     `json:"snapshot,omitempty"`
	Removed     *bool    `json:"removed,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	Version     string   `json:"version,omitempty"`
	Shard       int      `json:"shard,omitempty"`
	Techniques  []string `json:"attack_techniques,omitempty"`
}

// labelSpec declares a label: dynamic (a query) or manual (hosts).
type labelSpec struct {
	Name        string `json:"name"`
	Customer    string `json:"customer,omitempty"`
	Description string `json:"description,omitempty"`
	Query       string `json:"query,omitempty"`
	Platform    string `json:"platform,omitempty"`
	// MembershipType is "dynamic" (the default with a query) or "manual"
	// (the default with hosts), as in Fleet's label specs.
	MembershipType string `json:"label_membership_type,omitempty"`
	// Hosts are a manual label's members: IDs, identifiers or hostnames.
	Hosts []string `json:"hosts,omitempty"`
}

// packSpec declares a pack; its targets name customers and labels.
type packSpec struct {
	Name        string          `json:"name"`
	Customer    string          `json:"customer,omitempty"`
	Description string          `json:"description,omitempty"`
	Platform    string          `json:"platform,omitempty"`
	Version     string          `json:"version,omitempty"`
	Shard       int             `json:"shard,omitempty"`
	Discovery   []string        `json:"discovery,omitempty"`
	Disabled    bool            `json:"disabled,omitempty"`
	Queries     []packQuerySpec `json:"queries"`
	Targets     struct {
		Customers []string `json:"customers,omitempty"`
		Labels    []string `json:"labels,omitempty"`
		Platforms []string `json:"platforms,omitempty"`
	} `json:"targets"`
}

// packQuerySpec is a query in a pack spec: its SQL, or a saved query's
// name (in saved_query, or in query as Fleet's pack specs do).
type packQuerySpec struct {
	Name        string   `json:"name"`
	Query       string   `json:"query,omitempty"`
	SavedQuery  string   `json:"saved_query,omitempty"`
	Description string   `json:"description,omitempty"`
	Interval    *int64   `json:"interval,omitempty"` // missing: osquery's default, 3600
	Snapshot    bool     `json:"snapshot,omitempty"`
	Removed     *bool    `json:"removed,omitempty"`
	Platform    string   `json:"platform,omitempty"`
	Version     string   `json:"version,omitempty"`
	Shard       int      `json:"shard,omitempty"`
	Denylist    *bool    `json:"denylist,omitempty"`
	Techniques  []string `json:"attack_techniques,omitempty"`
}

// defaultInterval is osquery's --schedule_default_interval.
const defaultInterval = 3600

// kindOrder applies documents so that references resolve: customers
// first, packs last.
var kindOrder = []string{"customer", "label", "query", "pack"}

func decodeSpec(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return fmt.Errorf("spec is missing")
	}
	if err := strictJSON(raw, v); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	return nil
}

type pendingDoc struct {
	index int
	kind  string
	name  string
	spec  any
}

func (a rest) apply(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req applyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Documents) == 0 {
		return osaudit.Errorf(osaudit.EINVALID, "no documents to apply")
	}
	byKind := map[string][]pendingDoc{}
	for i, d := range req.Documents {
		if d.APIVersion != "" && d.APIVersion != "v1" && d.APIVersion != "osaudit/v1" {
			return osaudit.Errorf(osaudit.EINVALID, "document %d: apiVersion %q: want v1", i+1, d.APIVersion)
		}
		var spec any
		var name string
		switch kind := strings.ToLower(d.Kind); kind {
		case "customer":
			s := &customerSpec{}
			spec, name = s, ""
			if err := decodeSpec(d.Spec, s); err != nil {
				return osaudit.Errorf(osaudit.EINVALID, "document %d (customer): %v", i+1, err)
			}
			name = s.Name
		case "query":
			s := &querySpec{}
			spec = s
			if err := decodeSpec(d.Spec, s); err != nil {
				return osaudit.Errorf(osaudit.EINVALID, "document %d (query): %v", i+1, err)
			}
			name = s.Name
		case "label":
			s := &labelSpec{}
			spec = s
			if err := decodeSpec(d.Spec, s); err != nil {
				return osaudit.Errorf(osaudit.EINVALID, "document %d (label): %v", i+1, err)
			}
			name = s.Name
		case "pack":
			s := &packSpec{}
			spec = s
			if err := decodeSpec(d.Spec, s); err != nil {
				return osaudit.Errorf(osaudit.EINVALID, "document %d (pack): %v", i+1, err)
			}
			name = s.Name
		default:
			return osaudit.Errorf(osaudit.EINVALID, "document %d: kind %q: want customer, query, label or pack", i+1, d.Kind)
		}
		kind := strings.ToLower(d.Kind)
		byKind[kind] = append(byKind[kind], pendingDoc{index: i, kind: kind, name: name, spec: spec})
	}
	ctx := r.Context()
	results := make([]applied, len(req.Documents))
	changed := false
	for _, kind := range kindOrder {
		for _, d := range byKind[kind] {
			res, err := a.applyOne(ctx, c, req.Customer, d)
			if err != nil {
				if code := osaudit.ErrorCode(err); code != osaudit.EINTERNAL {
					return osaudit.Errorf(code, "document %d (%s %q): %s", d.index+1, d.kind, d.name, osaudit.ErrorMessage(err))
				}
				return fmt.Errorf("document %d (%s %q): %w", d.index+1, d.kind, d.name, err)
			}
			if res.Action != actionUnchanged {
				changed = true
			}
			results[d.index] = res
		}
	}
	if changed {
		a.configChanged()
	}
	return respond(w, http.StatusOK, map[string]any{"results": results})
}

// owner resolves the customer of a document: its own, else the request's
// default, else the caller's.
func (a rest) owner(ctx context.Context, c *caller, specCustomer, defaultCustomer string) (int64, string, error) {
	ref := specCustomer
	if ref == "" {
		ref = defaultCustomer
	}
	id, err := a.ownerOf(ctx, c, 0, ref)
	if err != nil {
		return 0, "", err
	}
	if id == 0 {
		return 0, "", nil
	}
	cu, err := a.Store.Customer(ctx, id)
	if err != nil {
		return 0, "", fmt.Errorf("look up customer %d: %w", id, err)
	}
	return id, cu.Name, nil
}

// same reports whether two objects have the same JSON once their IDs and
// times are left out (set by the caller).
func same(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func (a rest) applyOne(ctx context.Context, c *caller, defaultCustomer string, d pendingDoc) (applied, error) {
	res := applied{Kind: d.kind, Name: d.name}
	switch s := d.spec.(type) {
	case *customerSpec:
		if err := c.provider(); err != nil {
			return res, err
		}
		if err := checkName("customer", s.Name); err != nil {
			return res, err
		}
		res.Customer = s.Name
		cu, err := a.Store.CustomerByName(ctx, s.Name)
		if err == nil {
			res.ID, res.Action = cu.ID, actionUnchanged
			return res, nil
		}
		if osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return res, err
		}
		cu = &osaudit.Customer{Name: s.Name}
		if err := a.Store.CreateCustomer(ctx, cu); err != nil {
			return res, err
		}
		res.ID, res.Action = cu.ID, actionCreated
		return res, nil

	case *querySpec:
		cid, cname, err := a.owner(ctx, c, s.Customer, defaultCustomer)
		if err != nil {
			return res, err
		}
		res.Customer = cname
		q := &osaudit.Query{CustomerID: cid, Name: s.Name, SQL: s.Query, Description: s.Description, Interval: s.Interval,
			Snapshot: s.Snapshot, Removed: s.Removed, Platform: s.Platform, Version: s.Version, Shard: s.Shard, Techniques: s.Techniques}
		if err := checkQuery(q); err != nil {
			return res, err
		}
		old, err := a.Store.QueryByName(ctx, cid, s.Name)
		if err != nil && osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return res, err
		}
		res.Action = actionCreated
		if old != nil {
			q.ID, q.UpdatedAt = old.ID, old.UpdatedAt
			if same(q, old) {
				res.ID, res.Action = old.ID, actionUnchanged
				return res, nil
			}
			res.Action = actionUpdated
		}
		if err := a.Store.SaveQuery(ctx, q); err != nil {
			return res, err
		}
		res.ID = q.ID
		return res, nil

	case *labelSpec:
		cid, cname, err := a.owner(ctx, c, s.Customer, defaultCustomer)
		if err != nil {
			return res, err
		}
		res.Customer = cname
		l := &osaudit.Label{CustomerID: cid, Name: s.Name, Description: s.Description, SQL: s.Query, Platform: s.Platform}
		switch s.MembershipType {
		case "manual":
			l.Manual = true
		case "dynamic":
		case "":
			l.Manual = s.Query == "" && s.Hosts != nil
		default:
			return res, osaudit.Errorf(osaudit.EINVALID, "label_membership_type: want dynamic or manual, got %q", s.MembershipType)
		}
		if !l.Manual && len(s.Hosts) > 0 {
			return res, osaudit.Errorf(osaudit.EINVALID, "a dynamic label lists no hosts: its query decides them")
		}
		if err := checkLabel(l); err != nil {
			return res, err
		}
		old, err := a.Store.LabelByName(ctx, cid, s.Name)
		if err != nil && osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return res, err
		}
		res.Action = actionCreated
		if old != nil {
			if old.Manual != l.Manual {
				return res, osaudit.Errorf(osaudit.EINVALID, "label %q cannot change between manual and dynamic; delete it first", s.Name)
			}
			l.ID, l.UpdatedAt = old.ID, old.UpdatedAt
			res.Action = actionUpdated
			if same(l, old) {
				res.Action = actionUnchanged
			}
		}
		if res.Action != actionUnchanged {
			if err := a.Store.SaveLabel(ctx, l); err != nil {
				return res, err
			}
		}
		res.ID = l.ID
		if l.Manual {
			hosts := s.Hosts
			if hosts == nil {
				hosts = []string{}
			}
			n, err := a.setMembers(ctx, c, l, nil, nil, hosts)
			if err != nil {
				return res, err
			}
			if n > 0 && res.Action == actionUnchanged {
				res.Action = actionUpdated
			}
		}
		return res, nil

	case *packSpec:
		cid, cname, err := a.owner(ctx, c, s.Customer, defaultCustomer)
		if err != nil {
			return res, err
		}
		res.Customer = cname
		p, err := a.packFromSpec(ctx, c, cid, s)
		if err != nil {
			return res, err
		}
		if err := checkPack(p); err != nil {
			return res, err
		}
		if err := a.checkTargets(ctx, c, cid, p.Targets); err != nil {
			return res, err
		}
		old, err := a.Store.PackByName(ctx, cid, s.Name)
		if err != nil && osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return res, err
		}
		res.Action = actionCreated
		if old != nil {
			// Target lists are sets: a store may keep them in its own order.
			for _, t := range []*osaudit.PackTargets{&p.Targets, &old.Targets} {
				slices.Sort(t.CustomerIDs)
				slices.Sort(t.LabelIDs)
				t.CustomerIDs, t.LabelIDs = slices.Compact(t.CustomerIDs), slices.Compact(t.LabelIDs)
			}
			p.ID, p.UpdatedAt = old.ID, old.UpdatedAt
			if old.Queries == nil {
				old.Queries = []osaudit.PackQuery{}
			}
			if same(p, old) {
				res.ID, res.Action = old.ID, actionUnchanged
				return res, nil
			}
			res.Action = actionUpdated
		}
		if err := a.Store.SavePack(ctx, p); err != nil {
			return res, err
		}
		res.ID = p.ID
		return res, nil
	}
	return res, fmt.Errorf("unknown spec %T", d.spec)
}

// packFromSpec builds a pack of customer cid from its spec, resolving
// saved queries, customers and labels by name.
func (a rest) packFromSpec(ctx context.Context, c *caller, cid int64, s *packSpec) (*osaudit.Pack, error) {
	p := &osaudit.Pack{CustomerID: cid, Name: s.Name, Description: s.Description, Platform: s.Platform, Version: s.Version,
		Shard: s.Shard, Discovery: s.Discovery, Disabled: s.Disabled, Queries: []osaudit.PackQuery{}}
	for _, qs := range s.Queries {
		pq := osaudit.PackQuery{Name: qs.Name, SQL: qs.Query, Description: qs.Description, Interval: defaultInterval,
			Snapshot: qs.Snapshot, Removed: qs.Removed, Platform: qs.Platform, Version: qs.Version, Shard: qs.Shard,
			Denylist: qs.Denylist, Techniques: qs.Techniques}
		if qs.Interval != nil {
			pq.Interval = *qs.Interval
		}
		ref := qs.SavedQuery
		if ref == "" && qs.Query != "" && !strings.ContainsAny(strings.TrimSpace(qs.Query), " \t\r\n") {
			ref = strings.TrimSpace(qs.Query) // Fleet's pack specs name a saved query in "query"
		}
		if ref != "" {
			saved, err := a.savedQuery(ctx, cid, ref)
			if err != nil && (qs.SavedQuery != "" || osaudit.ErrorCode(err) != osaudit.EINVALID) {
				return nil, err
			}
			if saved != nil {
				pq.SQL = saved.SQL
				if pq.Description == "" {
					pq.Description = saved.Description
				}
				if pq.Techniques == nil {
					pq.Techniques = saved.Techniques
				}
				if pq.Name == "" {
					pq.Name = saved.Name
				}
			}
		}
		p.Queries = append(p.Queries, pq)
	}
	for _, ref := range s.Targets.Customers {
		cu, err := a.customerRef(ctx, c, ref)
		if err != nil {
			return nil, osaudit.Errorf(osaudit.EINVALID, "targets: unknown customer %q", ref)
		}
		p.Targets.CustomerIDs = append(p.Targets.CustomerIDs, cu.ID)
	}
	for _, ref := range s.Targets.Labels {
		l, err := a.labelRef(ctx, c, cid, ref)
		if err != nil {
			return nil, err
		}
		p.Targets.LabelIDs = append(p.Targets.LabelIDs, l.ID)
	}
	p.Targets.Platforms = s.Targets.Platforms
	return p, nil
}

// savedQuery finds a saved query by name: the customer's, else the
// provider's.
func (a rest) savedQuery(ctx context.Context, cid int64, name string) (*osaudit.Query, error) {
	for _, owner := range []int64{cid, 0} {
		q, err := a.Store.QueryByName(ctx, owner, name)
		if err == nil {
			return q, nil
		}
		if osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return nil, err
		}
		if cid == 0 {
			break
		}
	}
	return nil, osaudit.Errorf(osaudit.EINVALID, "unknown saved query %q", name)
}
