package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/osaudit/osaudit"
)

func testEnrollHost(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	seen := micro(time.Now().Add(-time.Minute)).UTC()
	h := &osaudit.Host{
		CustomerID: a.ID, Identifier: "1B2A6F2C-0000-4000-8000-00000000BA12", NodeKeyHash: hash("k1"),
		Hostname: "web-1", UUID: "1B2A6F2C-0000-4000-8000-00000000BA12", Platform: "ubuntu", PlatformLike: "debian",
		PlatformType: "9", OSName: "Ubuntu", OSVersion: "22.04.4 LTS", OSBuild: "", Arch: "x86_64",
		AgentVersion: "5.23.1", CPUBrand: "Intel", CPULogical: 8, MemoryBytes: 8 << 30, HardwareVendor: "QEMU",
		HardwareModel: "Standard PC", HardwareSerial: "S1", PrimaryIP: "10.0.0.5", PrimaryMAC: "52:54:00:12:34:56",
		UptimeSeconds: 3600,
		Details:       map[string][]map[string]string{"os_version": {{"name": "Ubuntu", "major": "22"}}},
		LastSeen:      seen,
	}
	must(t, "enroll", s.EnrollHost(ctx, h))
	if h.ID <= 0 {
		t.Fatalf("host ID %d", h.ID)
	}
	near(t, "EnrolledAt", h.EnrolledAt)
	got, err := s.Host(ctx, h.ID)
	must(t, "host", err)
	diff(t, "Host", got, h, cmpopts.EquateEmpty())

	// Re-enrolling the same identifier keeps the record and its ID and
	// replaces the node key and inventory.
	again := &osaudit.Host{CustomerID: a.ID, Identifier: h.Identifier, NodeKeyHash: hash("k2"), Hostname: "web-1-renamed",
		Platform: "ubuntu", Details: map[string][]map[string]string{"system_info": {{"hostname": "web-1-renamed"}}}}
	must(t, "re-enroll", s.EnrollHost(ctx, again))
	if again.ID != h.ID {
		t.Errorf("re-enrolment gave ID %d, want the host's %d", again.ID, h.ID)
	}
	got, err = s.Host(ctx, h.ID)
	must(t, "host", err)
	if !bytes.Equal(got.NodeKeyHash, hash("k2")) || got.Hostname != "web-1-renamed" || got.OSName != "" ||
		got.Details["system_info"] == nil || got.Details["os_version"] != nil {
		t.Errorf("after re-enrolment: %+v", got)
	}
	if got.LastSeen.Before(seen) {
		t.Errorf("re-enrolment moved LastSeen back to %v", got.LastSeen)
	}

	// The same identifier in another customer is another host.
	other := newHost(t, s, b.ID, h.Identifier)
	if other.ID == h.ID {
		t.Errorf("customer %d's host took customer %d's host ID", b.ID, a.ID)
	}

	for _, tc := range []struct {
		name string
		h    *osaudit.Host
		want string
	}{
		{"nil", nil, osaudit.EINVALID},
		{"no identifier", &osaudit.Host{CustomerID: a.ID, NodeKeyHash: hash("x")}, osaudit.EINVALID},
		{"no node key", &osaudit.Host{CustomerID: a.ID, Identifier: "x"}, osaudit.EINVALID},
		{"no customer", &osaudit.Host{Identifier: "x", NodeKeyHash: hash("x")}, osaudit.EINVALID},
		{"unknown customer", &osaudit.Host{CustomerID: 9999, Identifier: "x", NodeKeyHash: hash("x")}, osaudit.EINVALID},
		{"node key of another host", &osaudit.Host{CustomerID: b.ID, Identifier: "y", NodeKeyHash: hash("k2")}, osaudit.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "enroll", s.EnrollHost(ctx, tc.h), tc.want)
		})
	}
	_, err = s.Host(ctx, 9999)
	code(t, "missing host", err, osaudit.ENOTFOUND)
}

func testHosts(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	mk := func(c int64, ident, hostname, platform, ip string) *osaudit.Host {
		h := &osaudit.Host{CustomerID: c, Identifier: ident, NodeKeyHash: hash("key " + ident + hostname),
			Hostname: hostname, Platform: platform, PrimaryIP: ip, UUID: "uuid-" + ident}
		must(t, "enroll", s.EnrollHost(ctx, h))
		return h
	}
	a1 := mk(a.ID, "a1", "Web-1.acme.example", "ubuntu", "10.0.0.1")
	a2 := mk(a.ID, "a2", "db_1.acme.example", "rhel", "10.0.0.2")
	a3 := mk(a.ID, "a3", "win-100%", "windows", "10.0.1.3")
	b1 := mk(b.ID, "b1", "web-1.globex.example", "ubuntu", "192.168.0.1")
	l := newLabel(t, s, a.ID, "dbs")
	must(t, "membership", s.SetLabelMembership(ctx, l.ID, map[int64]bool{a2.ID: true}))

	for _, tc := range []struct {
		name string
		f    osaudit.HostFilter
		want []int64
	}{
		{"all", osaudit.HostFilter{}, []int64{a1.ID, a2.ID, a3.ID, b1.ID}},
		{"customer", osaudit.HostFilter{CustomerID: a.ID}, []int64{a1.ID, a2.ID, a3.ID}},
		{"other customer", osaudit.HostFilter{CustomerID: b.ID}, []int64{b1.ID}},
		{"ids", osaudit.HostFilter{IDs: []int64{a3.ID, b1.ID, 9999}}, []int64{a3.ID, b1.ID}},
		{"ids scoped", osaudit.HostFilter{CustomerID: a.ID, IDs: []int64{a3.ID, b1.ID}}, []int64{a3.ID}},
		{"no ids", osaudit.HostFilter{IDs: []int64{}}, []int64{}},
		{"identifier", osaudit.HostFilter{Identifier: "a2"}, []int64{a2.ID}},
		{"identifier scoped away", osaudit.HostFilter{CustomerID: b.ID, Identifier: "a2"}, []int64{}},
		{"hostname ignores case", osaudit.HostFilter{Hostname: "web-1.ACME.example"}, []int64{a1.ID}},
		{"hostname is exact", osaudit.HostFilter{Hostname: "web-1"}, []int64{}},
		{"identifiers", osaudit.HostFilter{Identifiers: []string{"b1", "a3", "nope", "A1"}}, []int64{a3.ID, b1.ID}},
		{"identifiers scoped", osaudit.HostFilter{CustomerID: a.ID, Identifiers: []string{"b1", "a3"}}, []int64{a3.ID}},
		{"no identifiers", osaudit.HostFilter{Identifiers: []string{}}, []int64{}},
		{"hostnames ignore case", osaudit.HostFilter{Hostnames: []string{"WEB-1.globex.example", "db_1.acme.example", "web-1"}}, []int64{a2.ID, b1.ID}},
		{"hostnames with identifiers", osaudit.HostFilter{Identifiers: []string{"a1", "a2"}, Hostnames: []string{"db_1.acme.example"}}, []int64{a2.ID}},
		{"no hostnames", osaudit.HostFilter{Hostnames: []string{}}, []int64{}},
		{"search hostname", osaudit.HostFilter{Search: "web-1"}, []int64{a1.ID, b1.ID}},
		{"search scoped", osaudit.HostFilter{CustomerID: b.ID, Search: "web"}, []int64{b1.ID}},
		{"search ip", osaudit.HostFilter{Search: "10.0.1."}, []int64{a3.ID}},
		{"search uuid", osaudit.HostFilter{Search: "uuid-b"}, []int64{b1.ID}},
		{"search identifier", osaudit.HostFilter{Search: "a1"}, []int64{a1.ID}},
		{"search underscore is literal", osaudit.HostFilter{Search: "b_1"}, []int64{a2.ID}},
		{"search percent is literal", osaudit.HostFilter{Search: "100%"}, []int64{a3.ID}},
		{"search percent alone", osaudit.HostFilter{Search: "%"}, []int64{a3.ID}},
		{"platform", osaudit.HostFilter{Platform: "ubuntu"}, []int64{a1.ID, b1.ID}},
		{"label", osaudit.HostFilter{LabelID: l.ID}, []int64{a2.ID}},
		{"label scoped away", osaudit.HostFilter{CustomerID: b.ID, LabelID: l.ID}, []int64{}},
		{"unknown label", osaudit.HostFilter{LabelID: 9999}, []int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := s.Hosts(ctx, tc.f)
			must(t, "hosts", err)
			diff(t, "host IDs", hostIDs(hs), tc.want)
		})
	}

	hs, err := s.Hosts(ctx, osaudit.HostFilter{IDs: []int64{a2.ID}})
	must(t, "hosts", err)
	if len(hs) != 1 || fmt.Sprint(hs[0].LabelIDs) != fmt.Sprint([]int64{l.ID}) {
		t.Errorf("host %d in label %d: Hosts gave %+v", a2.ID, l.ID, hs)
	}
	_, err = s.Hosts(ctx, osaudit.HostFilter{Page: osaudit.Page{Limit: -1}})
	code(t, "negative limit", err, osaudit.EINVALID)
	_, err = s.Hosts(ctx, osaudit.HostFilter{Page: osaudit.Page{After: -1}})
	code(t, "negative after", err, osaudit.EINVALID)
}

func testHostsPagination(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	var want []int64
	for i := range 250 {
		c := a.ID
		if i%5 == 0 {
			c = b.ID
		}
		h := newHost(t, s, c, fmt.Sprintf("host-%03d", i))
		if c == a.ID {
			want = append(want, h.ID)
		}
	}
	for _, limit := range []int{0, 1, 7, 100, 1000, 5000} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []int64
			after := int64(0)
			for pages := 0; ; pages++ {
				hs, err := s.Hosts(ctx, osaudit.HostFilter{CustomerID: a.ID, Page: osaudit.Page{After: after, Limit: limit}})
				must(t, "hosts", err)
				max := limit
				if max == 0 {
					max = 100
				}
				if len(hs) > max {
					t.Fatalf("page of %d hosts with limit %d", len(hs), limit)
				}
				if len(hs) == 0 {
					break
				}
				got = append(got, hostIDs(hs)...)
				after = hs[len(hs)-1].ID
				if pages > 500 {
					t.Fatal("pagination does not end")
				}
			}
			diff(t, "paged host IDs", got, want)
		})
	}
}

func testHostAuth(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	h1 := newHost(t, s, a.ID, "h1")
	h2 := newHost(t, s, b.ID, "h2")
	h3 := newHost(t, s, a.ID, "h3")
	must(t, "revoke", s.RevokeHost(ctx, h3.ID))
	auth, err := s.HostAuth(ctx)
	must(t, "host auth", err)
	if len(auth) != 3 {
		t.Fatalf("HostAuth listed %d hosts, want 3", len(auth))
	}
	byID := map[int64]*osaudit.Host{}
	for _, h := range auth {
		byID[h.ID] = h
	}
	for _, want := range []*osaudit.Host{h1, h2} {
		got := byID[want.ID]
		if got == nil || got.CustomerID != want.CustomerID || !bytes.Equal(got.NodeKeyHash, want.NodeKeyHash) ||
			got.Identifier != want.Identifier || got.Platform != want.Platform || !got.LastSeen.Equal(want.LastSeen) {
			t.Errorf("HostAuth for %d: %+v, want %+v", want.ID, got, want)
		}
	}
	if got := byID[h3.ID]; got == nil || got.NodeKeyHash != nil {
		t.Errorf("revoked host in HostAuth: %+v, want no node key", got)
	}
}

func testUpdateHostDetails(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	h := newHost(t, s, a.ID, "h1")
	upd := *h
	upd.Hostname, upd.OSName, upd.OSVersion, upd.CPULogical, upd.MemoryBytes = "renamed", "Debian GNU/Linux", "12", 16, 1<<34
	upd.Details = map[string][]map[string]string{"interface_addresses": {{"address": "10.0.0.9"}, {"address": "fe80::1"}}}
	upd.DetailUpdatedAt = time.Time{}
	must(t, "update details", s.UpdateHostDetails(ctx, &upd))
	near(t, "DetailUpdatedAt", upd.DetailUpdatedAt)
	got, err := s.Host(ctx, h.ID)
	must(t, "host", err)
	diff(t, "updated host", got, &upd, cmpopts.EquateEmpty())
	if !bytes.Equal(got.NodeKeyHash, h.NodeKeyHash) || !got.EnrolledAt.Equal(h.EnrolledAt) {
		t.Errorf("UpdateHostDetails changed the node key or enrolment time")
	}

	at := micro(time.Now().Add(-time.Hour)).UTC()
	upd.DetailUpdatedAt = at
	must(t, "update details at", s.UpdateHostDetails(ctx, &upd))
	got, err = s.Host(ctx, h.ID)
	must(t, "host", err)
	if !got.DetailUpdatedAt.Equal(at) {
		t.Errorf("DetailUpdatedAt %v, want the given %v", got.DetailUpdatedAt, at)
	}

	code(t, "update missing", s.UpdateHostDetails(ctx, &osaudit.Host{ID: 9999}), osaudit.ENOTFOUND)
	code(t, "update without ID", s.UpdateHostDetails(ctx, &osaudit.Host{}), osaudit.EINVALID)
	code(t, "update nil", s.UpdateHostDetails(ctx, nil), osaudit.EINVALID)
}

func testTouchHosts(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	base := micro(time.Now()).UTC()
	seen := map[int64]time.Time{}
	var hs []*osaudit.Host
	for i := range 1000 {
		h := &osaudit.Host{CustomerID: a.ID, Identifier: fmt.Sprint("h", i), NodeKeyHash: hash(fmt.Sprint("touch", i)),
			LastSeen: base.Add(-time.Hour)}
		must(t, "enroll", s.EnrollHost(ctx, h))
		hs = append(hs, h)
		seen[h.ID] = base.Add(time.Duration(i) * time.Millisecond)
	}
	seen[99999] = base // a host deleted meanwhile: skipped
	must(t, "touch", s.TouchHosts(ctx, seen))
	must(t, "touch nothing", s.TouchHosts(ctx, nil))
	auth, err := s.HostAuth(ctx)
	must(t, "host auth", err)
	for _, h := range auth {
		if !h.LastSeen.Equal(seen[h.ID]) {
			t.Fatalf("host %d last seen %v, want %v", h.ID, h.LastSeen, seen[h.ID])
		}
	}
	// Last-seen never moves back.
	must(t, "touch older", s.TouchHosts(ctx, map[int64]time.Time{hs[0].ID: base.Add(-time.Minute)}))
	got, err := s.Host(ctx, hs[0].ID)
	must(t, "host", err)
	if !got.LastSeen.Equal(seen[hs[0].ID]) {
		t.Errorf("an older touch moved last seen to %v", got.LastSeen)
	}
}

func testRevokeAndDeleteHost(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	h := newHost(t, s, a.ID, "h1")
	must(t, "revoke", s.RevokeHost(ctx, h.ID))
	got, err := s.Host(ctx, h.ID)
	must(t, "host", err)
	if got.NodeKeyHash != nil {
		t.Errorf("revoked host keeps node key hash %x", got.NodeKeyHash)
	}
	// It enrolls again under the same ID.
	again := &osaudit.Host{CustomerID: a.ID, Identifier: "h1", NodeKeyHash: hash("new key")}
	must(t, "re-enroll", s.EnrollHost(ctx, again))
	if again.ID != h.ID {
		t.Errorf("re-enrolment after revocation: ID %d, want %d", again.ID, h.ID)
	}
	code(t, "revoke missing", s.RevokeHost(ctx, 9999), osaudit.ENOTFOUND)

	l := newLabel(t, s, a.ID, "l")
	must(t, "membership", s.SetLabelMembership(ctx, l.ID, map[int64]bool{h.ID: true}))
	gen := generation(t, s)
	must(t, "delete", s.DeleteHost(ctx, h.ID))
	_, err = s.Host(ctx, h.ID)
	code(t, "deleted host", err, osaudit.ENOTFOUND)
	m, err := s.LabelMembership(ctx)
	must(t, "membership", err)
	if len(m[h.ID]) != 0 {
		t.Errorf("deleted host still in labels %v", m[h.ID])
	}
	if g := generation(t, s); g <= gen {
		t.Errorf("deleting a labelled host left the config generation at %d", g)
	}
	code(t, "delete again", s.DeleteHost(ctx, h.ID), osaudit.ENOTFOUND)
	// A new host never reuses a deleted host's ID.
	n := newHost(t, s, a.ID, "h1")
	if n.ID == h.ID {
		t.Errorf("new host reused deleted host ID %d", h.ID)
	}
}

func testCountHosts(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	now := micro(time.Now()).UTC()
	for i, spec := range []struct {
		c                   int64
		platform, os, osver string
		seen                time.Duration
	}{
		{a.ID, "ubuntu", "Ubuntu", "22.04", 0},
		{a.ID, "ubuntu", "Ubuntu", "22.04", -time.Hour},
		{a.ID, "ubuntu", "Ubuntu", "24.04", -10 * time.Second},
		{a.ID, "windows", "Microsoft Windows 11 Pro", "10.0.22631", -time.Minute},
		{b.ID, "darwin", "macOS", "14.5", 0},
	} {
		h := &osaudit.Host{CustomerID: spec.c, Identifier: fmt.Sprint("h", i), NodeKeyHash: hash(fmt.Sprint("count", i)),
			Platform: spec.platform, OSName: spec.os, OSVersion: spec.osver, LastSeen: now.Add(spec.seen)}
		must(t, "enroll", s.EnrollHost(ctx, h))
		must(t, "touch", s.TouchHosts(ctx, map[int64]time.Time{h.ID: now.Add(spec.seen)}))
	}
	since := now.Add(-2 * time.Minute)
	for _, tc := range []struct {
		name     string
		customer int64
		want     osaudit.HostCounts
	}{
		{"customer", a.ID, osaudit.HostCounts{Total: 4, Online: 3,
			ByPlatform: map[string]int64{"ubuntu": 3, "windows": 1},
			ByOS:       map[string]int64{"Ubuntu 22.04": 2, "Ubuntu 24.04": 1, "Microsoft Windows 11 Pro 10.0.22631": 1}}},
		{"other customer", b.ID, osaudit.HostCounts{Total: 1, Online: 1,
			ByPlatform: map[string]int64{"darwin": 1}, ByOS: map[string]int64{"macOS 14.5": 1}}},
		{"all", 0, osaudit.HostCounts{Total: 5, Online: 4,
			ByPlatform: map[string]int64{"ubuntu": 3, "windows": 1, "darwin": 1},
			ByOS:       map[string]int64{"Ubuntu 22.04": 2, "Ubuntu 24.04": 1, "Microsoft Windows 11 Pro 10.0.22631": 1, "macOS 14.5": 1}}},
		{"unknown customer", 9999, osaudit.HostCounts{ByPlatform: map[string]int64{}, ByOS: map[string]int64{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.CountHosts(ctx, tc.customer, since)
			must(t, "count hosts", err)
			diff(t, "CountHosts", got, tc.want, cmpopts.EquateEmpty())
		})
	}
}
