package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/osaudit/osaudit"
)

func ptr[T any](v T) *T { return &v }

func testQueries(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	pq := &osaudit.Query{Name: "processes", SQL: "SELECT * FROM processes", Description: "running processes",
		Interval: 3600, Snapshot: true, Removed: ptr(false), Platform: "linux", Version: "5.0.0", Shard: 50,
		Techniques: []string{"T1059", "T1053.005"}}
	must(t, "save provider query", s.SaveQuery(ctx, pq))
	if pq.ID <= 0 {
		t.Fatalf("query ID %d", pq.ID)
	}
	near(t, "UpdatedAt", pq.UpdatedAt)
	aq := &osaudit.Query{CustomerID: a.ID, Name: "processes", SQL: "SELECT pid FROM processes", Removed: ptr(true)}
	must(t, "same name, another customer", s.SaveQuery(ctx, aq))
	bq := &osaudit.Query{CustomerID: b.ID, Name: "users", SQL: "SELECT * FROM users"}
	must(t, "save", s.SaveQuery(ctx, bq))

	got, err := s.Query(ctx, pq.ID)
	must(t, "query", err)
	diff(t, "Query", got, pq)
	got, err = s.QueryByName(ctx, a.ID, "processes")
	must(t, "query by name", err)
	diff(t, "QueryByName", got, aq)
	got, err = s.QueryByName(ctx, 0, "processes")
	must(t, "provider query by name", err)
	diff(t, "provider QueryByName", got, pq)
	got, err = s.QueryByName(ctx, b.ID, "users")
	must(t, "query by name", err)
	if got.Removed != nil || got.Techniques != nil {
		t.Errorf("unset Removed/Techniques came back as %v/%v", got.Removed, got.Techniques)
	}

	// Update in place.
	upd := *aq
	upd.SQL, upd.Interval, upd.Removed = "SELECT pid, name FROM processes", 60, nil
	must(t, "update", s.SaveQuery(ctx, &upd))
	if upd.ID != aq.ID {
		t.Errorf("update changed ID %d to %d", aq.ID, upd.ID)
	}
	got, err = s.Query(ctx, aq.ID)
	must(t, "query", err)
	diff(t, "updated query", got, &upd)

	for _, tc := range []struct {
		name string
		q    *osaudit.Query
		want string
	}{
		{"duplicate name", &osaudit.Query{CustomerID: a.ID, Name: "processes", SQL: "SELECT 1"}, osaudit.ECONFLICT},
		{"duplicate provider name", &osaudit.Query{Name: "processes", SQL: "SELECT 1"}, osaudit.ECONFLICT},
		{"update keeping its name", &osaudit.Query{ID: bq.ID, CustomerID: b.ID, Name: "users", SQL: "SELECT 1"}, ""},
		{"move to another customer", &osaudit.Query{ID: bq.ID, CustomerID: a.ID, Name: "moved", SQL: "SELECT 1"}, osaudit.EINVALID},
		{"update missing", &osaudit.Query{ID: 9999, Name: "x", SQL: "SELECT 1"}, osaudit.ENOTFOUND},
		{"no name", &osaudit.Query{SQL: "SELECT 1"}, osaudit.EINVALID},
		{"long name", &osaudit.Query{Name: strings.Repeat("n", 300), SQL: "SELECT 1"}, osaudit.EINVALID},
		{"no SQL", &osaudit.Query{Name: "x"}, osaudit.EINVALID},
		{"negative interval", &osaudit.Query{Name: "x", SQL: "SELECT 1", Interval: -1}, osaudit.EINVALID},
		{"shard over 100", &osaudit.Query{Name: "x", SQL: "SELECT 1", Shard: 101}, osaudit.EINVALID},
		{"unknown customer", &osaudit.Query{CustomerID: 9999, Name: "x", SQL: "SELECT 1"}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "save query", s.SaveQuery(ctx, tc.q), tc.want)
		})
	}
	extra := &osaudit.Query{CustomerID: b.ID, Name: "extra", SQL: "SELECT 2"}
	must(t, "save", s.SaveQuery(ctx, extra))
	code(t, "rename onto existing", s.SaveQuery(ctx, &osaudit.Query{ID: extra.ID, CustomerID: b.ID, Name: "users", SQL: "SELECT 2"}), osaudit.ECONFLICT)

	for _, tc := range []struct {
		name  string
		scope osaudit.Scope
		want  []int64
	}{
		{"provider", provider, []int64{pq.ID, aq.ID, bq.ID, extra.ID}},
		{"customer a", admin(a.ID), []int64{pq.ID, aq.ID}},
		{"customer b viewer", osaudit.Scope{Role: osaudit.RoleCustomerViewer, CustomerID: b.ID}, []int64{pq.ID, bq.ID, extra.ID}},
		{"unknown customer", admin(9999), []int64{pq.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs, err := s.Queries(ctx, tc.scope)
			must(t, "queries", err)
			diff(t, "visible queries", ids(qs, func(q *osaudit.Query) int64 { return q.ID }), tc.want)
		})
	}

	must(t, "delete", s.DeleteQuery(ctx, aq.ID))
	_, err = s.Query(ctx, aq.ID)
	code(t, "deleted query", err, osaudit.ENOTFOUND)
	_, err = s.QueryByName(ctx, a.ID, "processes")
	code(t, "deleted query by name", err, osaudit.ENOTFOUND)
	_, err = s.QueryByName(ctx, 9999, "processes")
	code(t, "unknown customer's query", err, osaudit.ENOTFOUND)
	code(t, "delete again", s.DeleteQuery(ctx, aq.ID), osaudit.ENOTFOUND)
}

func testPacks(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	pl := newLabel(t, s, 0, "all-linux")
	al := newLabel(t, s, a.ID, "acme-dbs")
	bl := newLabel(t, s, b.ID, "globex-dbs")

	p := &osaudit.Pack{Name: "incident-response", Description: "IR", Platform: "linux", Version: "5.0.0", Shard: 10,
		Discovery: []string{"SELECT 1 FROM osquery_info"},
		Queries: []osaudit.PackQuery{
			{Name: "processes", SQL: "SELECT * FROM processes", Interval: 60, Snapshot: true, Removed: ptr(false),
				Denylist: ptr(false), Techniques: []string{"T1059"}},
			{Name: "listening_ports", SQL: "SELECT * FROM listening_ports", Interval: 300, Description: "ports"},
		},
		Targets: osaudit.PackTargets{CustomerIDs: []int64{a.ID, b.ID}, LabelIDs: []int64{pl.ID, al.ID}, Platforms: []string{"linux"}},
	}
	must(t, "save provider pack", s.SavePack(ctx, p))
	if p.ID <= 0 {
		t.Fatalf("pack ID %d", p.ID)
	}
	near(t, "UpdatedAt", p.UpdatedAt)
	got, err := s.Pack(ctx, p.ID)
	must(t, "pack", err)
	diff(t, "Pack", got, p, cmpopts.SortSlices(func(x, y int64) bool { return x < y }))
	got, err = s.PackByName(ctx, 0, "incident-response")
	must(t, "pack by name", err)
	diff(t, "PackByName", got, p, cmpopts.SortSlices(func(x, y int64) bool { return x < y }))

	ap := &osaudit.Pack{CustomerID: a.ID, Name: "incident-response", Queries: []osaudit.PackQuery{{Name: "q", SQL: "SELECT 1", Interval: 10}},
		Targets: osaudit.PackTargets{LabelIDs: []int64{al.ID, pl.ID}}}
	must(t, "same name, another customer", s.SavePack(ctx, ap))
	empty := &osaudit.Pack{CustomerID: b.ID, Name: "empty", Disabled: true}
	must(t, "pack without queries", s.SavePack(ctx, empty))
	got, err = s.Pack(ctx, empty.ID)
	must(t, "pack", err)
	if got.Queries == nil || len(got.Queries) != 0 || !got.Disabled {
		t.Errorf("empty pack came back as %+v", got)
	}

	// Update replaces queries and targets.
	upd := *p
	upd.Queries = []osaudit.PackQuery{{Name: "only", SQL: "SELECT 2", Interval: 5}}
	upd.Targets = osaudit.PackTargets{Platforms: []string{"darwin", "windows"}}
	must(t, "update", s.SavePack(ctx, &upd))
	got, err = s.Pack(ctx, p.ID)
	must(t, "pack", err)
	diff(t, "updated pack", got, &upd, cmpopts.EquateEmpty())

	for _, tc := range []struct {
		name string
		p    *osaudit.Pack
		want string
	}{
		{"duplicate name", &osaudit.Pack{CustomerID: a.ID, Name: "incident-response"}, osaudit.ECONFLICT},
		{"no name", &osaudit.Pack{}, osaudit.EINVALID},
		{"query without SQL", &osaudit.Pack{Name: "x", Queries: []osaudit.PackQuery{{Name: "q"}}}, osaudit.EINVALID},
		{"query without name", &osaudit.Pack{Name: "x", Queries: []osaudit.PackQuery{{SQL: "SELECT 1"}}}, osaudit.EINVALID},
		{"query twice", &osaudit.Pack{Name: "x", Queries: []osaudit.PackQuery{{Name: "q", SQL: "SELECT 1"}, {Name: "q", SQL: "SELECT 2"}}}, osaudit.EINVALID},
		{"negative interval", &osaudit.Pack{Name: "x", Queries: []osaudit.PackQuery{{Name: "q", SQL: "SELECT 1", Interval: -5}}}, osaudit.EINVALID},
		{"customer pack targets another customer", &osaudit.Pack{CustomerID: a.ID, Name: "x", Targets: osaudit.PackTargets{CustomerIDs: []int64{b.ID}}}, osaudit.EINVALID},
		{"customer pack targets another's label", &osaudit.Pack{CustomerID: a.ID, Name: "x", Targets: osaudit.PackTargets{LabelIDs: []int64{bl.ID}}}, osaudit.EINVALID},
		{"unknown label", &osaudit.Pack{Name: "x", Targets: osaudit.PackTargets{LabelIDs: []int64{9999}}}, osaudit.EINVALID},
		{"unknown target customer", &osaudit.Pack{Name: "x", Targets: osaudit.PackTargets{CustomerIDs: []int64{9999}}}, osaudit.EINVALID},
		{"unknown customer", &osaudit.Pack{CustomerID: 9999, Name: "x"}, osaudit.EINVALID},
		{"move to another customer", &osaudit.Pack{ID: empty.ID, CustomerID: a.ID, Name: "empty"}, osaudit.EINVALID},
		{"update missing", &osaudit.Pack{ID: 9999, Name: "x"}, osaudit.ENOTFOUND},
		{"customer pack targets itself", &osaudit.Pack{CustomerID: a.ID, Name: "self", Targets: osaudit.PackTargets{CustomerIDs: []int64{a.ID}}}, ""},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "save pack", s.SavePack(ctx, tc.p), tc.want)
		})
	}
	// A failed save leaves nothing behind.
	_, err = s.PackByName(ctx, 0, "x")
	code(t, "pack of a failed save", err, osaudit.ENOTFOUND)

	code(t, "delete a targeted label", s.DeleteLabel(ctx, al.ID), osaudit.ECONFLICT)
	must(t, "delete", s.DeletePack(ctx, ap.ID))
	_, err = s.Pack(ctx, ap.ID)
	code(t, "deleted pack", err, osaudit.ENOTFOUND)
	must(t, "delete the label no pack targets", s.DeleteLabel(ctx, al.ID))
	code(t, "delete again", s.DeletePack(ctx, ap.ID), osaudit.ENOTFOUND)
	_, err = s.PackByName(ctx, a.ID, "nope")
	code(t, "missing pack by name", err, osaudit.ENOTFOUND)
}

// testPackScope checks what each customer sees of the provider's packs.
func testPackScope(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	pl := newLabel(t, s, 0, "linux")
	al := newLabel(t, s, a.ID, "acme-dbs")
	bl := newLabel(t, s, b.ID, "globex-dbs")
	mk := func(customer int64, name string, targets osaudit.PackTargets) *osaudit.Pack {
		p := &osaudit.Pack{CustomerID: customer, Name: name, Targets: targets}
		must(t, "save pack "+name, s.SavePack(ctx, p))
		return p
	}
	everyone := mk(0, "everyone", osaudit.PackTargets{})
	onlyA := mk(0, "only-a", osaudit.PackTargets{CustomerIDs: []int64{a.ID}})
	both := mk(0, "both", osaudit.PackTargets{CustomerIDs: []int64{a.ID, b.ID}, LabelIDs: []int64{pl.ID, al.ID, bl.ID}})
	aLabel := mk(0, "a-label", osaudit.PackTargets{LabelIDs: []int64{al.ID}})
	aOwn := mk(a.ID, "a-own", osaudit.PackTargets{})
	bOwn := mk(b.ID, "b-own", osaudit.PackTargets{LabelIDs: []int64{bl.ID, pl.ID}})

	packIDs := func(ps []*osaudit.Pack) []int64 { return ids(ps, func(p *osaudit.Pack) int64 { return p.ID }) }
	all, err := s.Packs(ctx, provider)
	must(t, "packs", err)
	diff(t, "provider's packs", packIDs(all), []int64{everyone.ID, onlyA.ID, both.ID, aLabel.ID, aOwn.ID, bOwn.ID})

	pa, err := s.Packs(ctx, admin(a.ID))
	must(t, "packs", err)
	diff(t, "customer a's packs", packIDs(pa), []int64{everyone.ID, onlyA.ID, both.ID, aLabel.ID, aOwn.ID})
	pb, err := s.Packs(ctx, admin(b.ID))
	must(t, "packs", err)
	diff(t, "customer b's packs", packIDs(pb), []int64{everyone.ID, both.ID, bOwn.ID})
	for _, p := range pb {
		if p.ID != both.ID {
			continue
		}
		// b sees itself as the only target customer and none of a's labels.
		sorted := cmpopts.SortSlices(func(x, y int64) bool { return x < y })
		diff(t, "customer b's view of targets", p.Targets, osaudit.PackTargets{CustomerIDs: []int64{b.ID}, LabelIDs: []int64{pl.ID, bl.ID}}, sorted)
	}
}

func testLabels(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	pl := &osaudit.Label{Name: "ubuntu", Description: "Ubuntu hosts", SQL: "SELECT 1 FROM os_version WHERE platform = 'ubuntu'", Platform: "linux"}
	must(t, "save dynamic label", s.SaveLabel(ctx, pl))
	near(t, "UpdatedAt", pl.UpdatedAt)
	al := &osaudit.Label{CustomerID: a.ID, Name: "ubuntu", Manual: true}
	must(t, "save manual label, same name, other customer", s.SaveLabel(ctx, al))
	bl := newLabel(t, s, b.ID, "servers")

	got, err := s.Label(ctx, pl.ID)
	must(t, "label", err)
	diff(t, "Label", got, pl)
	got, err = s.LabelByName(ctx, a.ID, "ubuntu")
	must(t, "label by name", err)
	diff(t, "LabelByName", got, al)

	upd := *pl
	upd.SQL, upd.Description = "SELECT 1 FROM os_version WHERE platform_like = 'debian'", "Debian-like"
	must(t, "update", s.SaveLabel(ctx, &upd))
	got, err = s.Label(ctx, pl.ID)
	must(t, "label", err)
	diff(t, "updated label", got, &upd)

	for _, tc := range []struct {
		name string
		l    *osaudit.Label
		want string
	}{
		{"duplicate", &osaudit.Label{CustomerID: a.ID, Name: "ubuntu", Manual: true}, osaudit.ECONFLICT},
		{"manual with SQL", &osaudit.Label{Name: "x", Manual: true, SQL: "SELECT 1"}, osaudit.EINVALID},
		{"neither", &osaudit.Label{Name: "x"}, osaudit.EINVALID},
		{"no name", &osaudit.Label{Manual: true}, osaudit.EINVALID},
		{"unknown customer", &osaudit.Label{CustomerID: 9999, Name: "x", Manual: true}, osaudit.EINVALID},
		{"move to another customer", &osaudit.Label{ID: bl.ID, CustomerID: a.ID, Name: "servers", Manual: true}, osaudit.EINVALID},
		{"update missing", &osaudit.Label{ID: 9999, Name: "x", Manual: true}, osaudit.ENOTFOUND},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "save label", s.SaveLabel(ctx, tc.l), tc.want)
		})
	}

	labelIDs := func(ls []*osaudit.Label) []int64 { return ids(ls, func(l *osaudit.Label) int64 { return l.ID }) }
	for _, tc := range []struct {
		name  string
		scope osaudit.Scope
		want  []int64
	}{
		{"provider", provider, []int64{pl.ID, al.ID, bl.ID}},
		{"customer a", admin(a.ID), []int64{pl.ID, al.ID}},
		{"customer b", admin(b.ID), []int64{pl.ID, bl.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, err := s.Labels(ctx, tc.scope)
			must(t, "labels", err)
			diff(t, "visible labels", labelIDs(ls), tc.want)
		})
	}

	must(t, "delete", s.DeleteLabel(ctx, bl.ID))
	_, err = s.Label(ctx, bl.ID)
	code(t, "deleted label", err, osaudit.ENOTFOUND)
	code(t, "delete again", s.DeleteLabel(ctx, bl.ID), osaudit.ENOTFOUND)
	_, err = s.LabelByName(ctx, b.ID, "servers")
	code(t, "deleted label by name", err, osaudit.ENOTFOUND)
}

func testLabelMembership(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	a1, a2 := newHost(t, s, a.ID, "a1"), newHost(t, s, a.ID, "a2")
	b1 := newHost(t, s, b.ID, "b1")
	pl := newLabel(t, s, 0, "everyone")
	al := newLabel(t, s, a.ID, "acme")

	must(t, "add", s.SetLabelMembership(ctx, pl.ID, map[int64]bool{a1.ID: true, a2.ID: true, b1.ID: true}))
	must(t, "add", s.SetLabelMembership(ctx, al.ID, map[int64]bool{a2.ID: true}))
	m, err := s.LabelMembership(ctx)
	must(t, "membership", err)
	diff(t, "membership", m, map[int64][]int64{a1.ID: {pl.ID}, a2.ID: {pl.ID, al.ID}, b1.ID: {pl.ID}})

	must(t, "remove and add", s.SetLabelMembership(ctx, pl.ID, map[int64]bool{a1.ID: false, b1.ID: true, 9999: false}))
	m, err = s.LabelMembership(ctx)
	must(t, "membership", err)
	diff(t, "membership after removal", m, map[int64][]int64{a2.ID: {pl.ID, al.ID}, b1.ID: {pl.ID}})
	h, err := s.Host(ctx, a2.ID)
	must(t, "host", err)
	diff(t, "Host.LabelIDs", h.LabelIDs, []int64{pl.ID, al.ID})

	code(t, "another customer's host", s.SetLabelMembership(ctx, al.ID, map[int64]bool{b1.ID: true}), osaudit.EINVALID)
	code(t, "unknown host", s.SetLabelMembership(ctx, al.ID, map[int64]bool{9999: true}), osaudit.EINVALID)
	code(t, "unknown label", s.SetLabelMembership(ctx, 9999, map[int64]bool{a1.ID: true}), osaudit.ENOTFOUND)
	m2, err := s.LabelMembership(ctx)
	must(t, "membership", err)
	diff(t, "membership after failed changes", m2, m)
	must(t, "nothing", s.SetLabelMembership(ctx, al.ID, nil))

	must(t, "delete label", s.DeleteLabel(ctx, al.ID))
	m, err = s.LabelMembership(ctx)
	must(t, "membership", err)
	diff(t, "membership after deleting a label", m, map[int64][]int64{a2.ID: {pl.ID}, b1.ID: {pl.ID}})
}

// testConfigGeneration checks that every change to queries, packs, labels
// and membership raises the generation, and that other writes do not.
func testConfigGeneration(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	h := newHost(t, s, a.ID, "h")
	q := &osaudit.Query{Name: "q", SQL: "SELECT 1"}
	p := &osaudit.Pack{Name: "p"}
	l := &osaudit.Label{Name: "l", Manual: true}
	rises := []struct {
		name string
		fn   func() error
	}{
		{"save query", func() error { return s.SaveQuery(ctx, q) }},
		{"update query", func() error { q.SQL = "SELECT 2"; return s.SaveQuery(ctx, q) }},
		{"save label", func() error { return s.SaveLabel(ctx, l) }},
		{"update label", func() error { l.Description = "d"; return s.SaveLabel(ctx, l) }},
		{"save pack", func() error { return s.SavePack(ctx, p) }},
		{"update pack", func() error { p.Targets.LabelIDs = []int64{l.ID}; return s.SavePack(ctx, p) }},
		{"add member", func() error { return s.SetLabelMembership(ctx, l.ID, map[int64]bool{h.ID: true}) }},
		{"remove member", func() error { return s.SetLabelMembership(ctx, l.ID, map[int64]bool{h.ID: false}) }},
		{"delete pack", func() error { return s.DeletePack(ctx, p.ID) }},
		{"delete label", func() error { return s.DeleteLabel(ctx, l.ID) }},
		{"delete query", func() error { return s.DeleteQuery(ctx, q.ID) }},
	}
	gen := generation(t, s)
	for _, r := range rises {
		must(t, r.name, r.fn())
		g := generation(t, s)
		if g <= gen {
			t.Errorf("%s: config generation %d, want > %d", r.name, g, gen)
		}
		gen = g
	}

	l2 := newLabel(t, s, 0, "l2")
	must(t, "add member", s.SetLabelMembership(ctx, l2.ID, map[int64]bool{h.ID: true}))
	gen = generation(t, s)
	stays := []struct {
		name string
		fn   func() error
	}{
		{"same membership", func() error { return s.SetLabelMembership(ctx, l2.ID, map[int64]bool{h.ID: true}) }},
		{"failed save", func() error { s.SaveQuery(ctx, &osaudit.Query{Name: "", SQL: "x"}); return nil }},
		{"touch", func() error { return s.TouchHosts(ctx, map[int64]time.Time{h.ID: time.Now()}) }},
		{"results", func() error {
			return s.InsertResults(ctx, []*osaudit.ResultRow{{CustomerID: a.ID, HostID: h.ID, Name: "q", Action: "added", Columns: map[string]string{}}})
		}},
		{"enroll", func() error { newHost(t, s, a.ID, "h2"); return nil }},
	}
	for _, r := range stays {
		must(t, r.name, r.fn())
		if g := generation(t, s); g != gen {
			t.Errorf("%s: config generation moved from %d to %d", r.name, gen, g)
		}
	}
}
