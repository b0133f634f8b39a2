package http

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit"
)

// Queries, packs and labels: what agents are told to run. Every change
// tells the manager, which rebuilds the configs agents fetch.

// maxInterval is osquery's longest schedule interval (a week).
const maxInterval = 604800

// maxSQL bounds a query's text.
const maxSQL = 64 << 10

var techniqueRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// platforms are the values osquery understands in a query's or pack's
// platform (a comma-separated list).
var platforms = map[string]bool{
	"darwin": true, "linux": true, "posix": true, "windows": true, "freebsd": true,
	"any": true, "all": true, "ubuntu": true, "centos": true,
}

func checkSQL(what, sql string) error {
	switch {
	case strings.TrimSpace(sql) == "":
		return osaudit.Errorf(osaudit.EINVALID, "%s: the SQL query is empty", what)
	case len(sql) > maxSQL:
		return osaudit.Errorf(osaudit.EINVALID, "%s: the SQL query is longer than %d bytes", what, maxSQL)
	}
	return nil
}

func checkPlatform(what, p string) error {
	if p == "" {
		return nil
	}
	for _, x := range strings.Split(p, ",") {
		if !platforms[strings.TrimSpace(x)] {
			return osaudit.Errorf(osaudit.EINVALID, "%s: unknown platform %q (want darwin, linux, posix, windows, freebsd, any or all, comma-separated)", what, strings.TrimSpace(x))
		}
	}
	return nil
}

func checkTechniques(what string, ts []string) error {
	for _, t := range ts {
		if !techniqueRE.MatchString(t) {
			return osaudit.Errorf(osaudit.EINVALID, "%s: %q is not a MITRE ATT&CK technique id (like T1059 or T1053.005)", what, t)
		}
	}
	return nil
}

func checkShard(what string, shard int) error {
	if shard < 0 || shard > 100 {
		return osaudit.Errorf(osaudit.EINVALID, "%s: shard %d is outside 0..100", what, shard)
	}
	return nil
}

// checkQuery validates a saved query. Its interval is optional (0).
func checkQuery(q *osaudit.Query) error {
	what := fmt.Sprintf("query %q", q.Name)
	if err := checkName("query", q.Name); err != nil {
		return err
	}
	if err := checkSQL(what, q.SQL); err != nil {
		return err
	}
	if q.Interval != 0 && (q.Interval < 1 || q.Interval > maxInterval) {
		return osaudit.Errorf(osaudit.EINVALID, "%s: interval %d is outside 1..%d seconds", what, q.Interval, maxInterval)
	}
	if err := checkPlatform(what, q.Platform); err != nil {
		return err
	}
	if err := checkShard(what, q.Shard); err != nil {
		return err
	}
	return checkTechniques(what, q.Techniques)
}

// checkPack validates a pack, its queries and its targets' shape.
func checkPack(p *osaudit.Pack) error {
	what := fmt.Sprintf("pack %q", p.Name)
	if err := checkName("pack", p.Name); err != nil {
		return err
	}
	if err := checkPlatform(what, p.Platform); err != nil {
		return err
	}
	if err := checkShard(what, p.Shard); err != nil {
		return err
	}
	for _, d := range p.Discovery {
		if err := checkSQL(what+" discovery", d); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i := range p.Queries {
		q := &p.Queries[i]
		if err := checkName(what+" query", q.Name); err != nil {
			return err
		}
		if names[q.Name] {
			return osaudit.Errorf(osaudit.EINVALID, "%s: query %q appears twice", what, q.Name)
		}
		names[q.Name] = true
		qwhat := fmt.Sprintf("%s query %q", what, q.Name)
		if err := checkSQL(qwhat, q.SQL); err != nil {
			return err
		}
		if q.Interval < 1 || q.Interval > maxInterval {
			return osaudit.Errorf(osaudit.EINVALID, "%s: interval %d is outside 1..%d seconds", qwhat, q.Interval, maxInterval)
		}
		if err := checkPlatform(qwhat, q.Platform); err != nil {
			return err
		}
		if err := checkShard(qwhat, q.Shard); err != nil {
			return err
		}
		if err := checkTechniques(qwhat, q.Techniques); err != nil {
			return err
		}
	}
	for _, pl := range p.Targets.Platforms {
		if err := checkPlatform(what+" targets", pl); err != nil {
			return err
		}
	}
	return nil
}

// checkLabel validates a label: a dynamic one has a query, a manual one
// has none.
func checkLabel(l *osaudit.Label) error {
	what := fmt.Sprintf("label %q", l.Name)
	if err := checkName("label", l.Name); err != nil {
		return err
	}
	switch {
	case l.Manual && strings.TrimSpace(l.SQL) != "":
		return osaudit.Errorf(osaudit.EINVALID, "%s: a manual label has no query", what)
	case !l.Manual:
		if strings.TrimSpace(l.SQL) == "" {
			return osaudit.Errorf(osaudit.EINVALID, "%s: the SQL query is empty (set manual: true for a label whose hosts you list)", what)
		}
		if err := checkSQL(what, l.SQL); err != nil {
			return err
		}
	}
	return checkPlatform(what, l.Platform)
}

// checkTargets checks that a pack of customerID targets customers and
// labels that exist and that the caller may use.
func (a rest) checkTargets(ctx context.Context, c *caller, customerID int64, t osaudit.PackTargets) error {
	for _, id := range t.CustomerIDs {
		if customerID != 0 && id != customerID {
			return osaudit.Errorf(osaudit.EINVALID, "a customer's pack targets only its own customer, not customer %d", id)
		}
		if _, err := a.customerRef(ctx, c, strconv.FormatInt(id, 10)); err != nil {
			return osaudit.Errorf(osaudit.EINVALID, "targets: unknown customer %d", id)
		}
	}
	for _, id := range t.LabelIDs {
		l, err := a.Store.Label(ctx, id)
		if err == nil && !(l.CustomerID == 0 || l.CustomerID == customerID || customerID == 0 && c.Scope.Sees(l.CustomerID)) {
			err = osaudit.Errorf(osaudit.ENOTFOUND, "no label")
		}
		if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
			return osaudit.Errorf(osaudit.EINVALID, "targets: unknown label %d", id)
		}
		if err != nil {
			return fmt.Errorf("look up label %d: %w", id, err)
		}
	}
	return nil
}

// labelRef finds a label by ID or name for a customer's use: the
// customer's own or the provider's (customerID 0 with a provider caller:
// any label, if the name is not ambiguous).
func (a rest) labelRef(ctx context.Context, c *caller, customerID int64, ref string) (*osaudit.Label, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		l, err := a.Store.Label(ctx, id)
		if err == nil && c.Scope.Sees(l.CustomerID) && (customerID == 0 || l.CustomerID == 0 || l.CustomerID == customerID) {
			return l, nil
		}
		if err != nil && osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
			return nil, fmt.Errorf("look up label %d: %w", id, err)
		}
	}
	all, err := a.Store.Labels(ctx, c.Scope)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	var match []*osaudit.Label
	for _, l := range all {
		if l.Name != ref || !c.Scope.Sees(l.CustomerID) {
			continue
		}
		if customerID != 0 && l.CustomerID != 0 && l.CustomerID != customerID {
			continue
		}
		match = append(match, l)
	}
	if len(match) > 1 {
		// The customer's own label wins over the provider's of the same name.
		own := filterSlice(match, func(l *osaudit.Label) bool { return l.CustomerID != 0 })
		if len(own) == 1 {
			return own[0], nil
		}
		return nil, osaudit.Errorf(osaudit.EINVALID, "label %q is ambiguous: give its id, or the customer", ref)
	}
	if len(match) == 0 {
		return nil, osaudit.Errorf(osaudit.EINVALID, "unknown label %q", ref)
	}
	return match[0], nil
}

// listFilter applies ?customer= and ?name= to an object of customerID.
func (a rest) listFilter(r *http.Request, c *caller) (func(customerID int64, name string) bool, error) {
	id, ok, err := a.customerFilter(r, c)
	if err != nil {
		return nil, err
	}
	explicit := r.URL.Query().Get("customer") != ""
	name := r.URL.Query().Get("name")
	return func(customerID int64, n string) bool {
		if !c.Scope.Sees(customerID) {
			return false
		}
		// A customer token sees its own and the provider's objects; an
		// explicit filter shows only that customer's.
		if ok && customerID != id && (explicit || customerID != 0) {
			return false
		}
		return name == "" || n == name
	}, nil
}

// labelHosts lists a label's members that the caller may see.
func (a rest) labelHosts(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	l, err := a.labels().one(r, c)
	if err != nil {
		return err
	}
	f := osaudit.HostFilter{LabelID: l.ID}
	if id, ok, err := a.customerFilter(r, c); err != nil {
		return err
	} else if ok {
		f.CustomerID = id
	}
	hosts, next, err := a.hostPage(r.Context(), f, p, nil)
	if err != nil {
		return err
	}
	views := make([]hostView, len(hosts))
	for i, h := range hosts {
		views[i] = a.view(h, false)
	}
	return writeList(w, views, next)
}

// editLabelHosts adds hosts to and removes hosts from a manual label. With
// "set", the label's members become exactly those hosts (of the caller's
// scope).
func (a rest) editLabelHosts(w http.ResponseWriter, r *http.Request, c *caller) error {
	l, err := a.labels().one(r, c)
	if err != nil {
		return err
	}
	var body struct {
		Add    []string `json:"add"`    // host IDs, identifiers or hostnames
		Remove []string `json:"remove"` //
		Set    []string `json:"set"`    // replaces the members the caller sees
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	changed, err := a.setMembers(r.Context(), c, l, body.Add, body.Remove, body.Set)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, map[string]int{"changed": changed})
}

// setMembers edits a manual label's members; set (when not nil) replaces
// them. It returns how many memberships changed.
func (a rest) setMembers(ctx context.Context, c *caller, l *osaudit.Label, add, remove, set []string) (int, error) {
	if !l.Manual {
		return 0, osaudit.Errorf(osaudit.EINVALID, "label %q is dynamic: its query decides its hosts", l.Name)
	}
	// Members are hosts of the label's customer, or of the caller's when the
	// label is the provider's.
	customerID := l.CustomerID
	if customerID == 0 && c.Scope.Role != osaudit.RoleProviderAdmin {
		customerID = c.Scope.CustomerID
	}
	if err := c.canWrite(customerID); err != nil {
		return 0, err
	}
	cur, err := a.allHosts(ctx, osaudit.HostFilter{CustomerID: customerID, LabelID: l.ID})
	if err != nil {
		return 0, err
	}
	is, want := map[int64]bool{}, map[int64]bool{}
	for _, h := range cur {
		is[h.ID] = true
		if set == nil {
			want[h.ID] = true
		}
	}
	ids, err := a.hostRefs(ctx, c, customerID, nil, slices.Concat(set, add))
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		want[id] = true
	}
	if ids, err = a.hostRefs(ctx, c, customerID, nil, remove); err != nil {
		return 0, err
	}
	for _, id := range ids {
		delete(want, id)
	}
	member := map[int64]bool{}
	for id := range is {
		if !want[id] {
			member[id] = false
		}
	}
	for id := range want {
		if !is[id] {
			member[id] = true
		}
	}
	if len(member) == 0 {
		return 0, nil
	}
	if err := a.Store.SetLabelMembership(ctx, l.ID, member); err != nil {
		return 0, fmt.Errorf("set label membership: %w", err)
	}
	a.configChanged()
	return len(member), nil
}
