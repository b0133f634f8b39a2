package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/osaudit/osaudit"
)

func testCampaigns(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	a1 := newHost(t, s, a.ID, "a1")
	b1 := newHost(t, s, b.ID, "b1")
	pl := newLabel(t, s, 0, "everyone")
	bl := newLabel(t, s, b.ID, "globex")
	now := time.Now()

	c := &osaudit.Campaign{CustomerID: a.ID, SQL: "SELECT 42 AS answer", HostIDs: []int64{a1.ID}, LabelIDs: []int64{pl.ID},
		CreatedBy: "ann@acme.example", ExpiresAt: now.Add(time.Minute)}
	must(t, "create", s.CreateCampaign(ctx, c))
	if c.ID <= 0 {
		t.Fatalf("campaign ID %d", c.ID)
	}
	near(t, "CreatedAt", c.CreatedAt)
	got, err := s.Campaign(ctx, c.ID)
	must(t, "campaign", err)
	diff(t, "Campaign", got, c)

	pc := &osaudit.Campaign{SQL: "SELECT 1", HostIDs: []int64{a1.ID, b1.ID}, ExpiresAt: now.Add(time.Hour)}
	must(t, "provider campaign over two customers", s.CreateCampaign(ctx, pc))
	old := &osaudit.Campaign{CustomerID: b.ID, SQL: "SELECT 1", LabelIDs: []int64{bl.ID}, ExpiresAt: now.Add(2 * time.Second)}
	must(t, "short campaign", s.CreateCampaign(ctx, old))

	for _, tc := range []struct {
		name string
		c    *osaudit.Campaign
		want string
	}{
		{"no SQL", &osaudit.Campaign{HostIDs: []int64{a1.ID}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"no targets", &osaudit.Campaign{SQL: "SELECT 1", ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"no expiry", &osaudit.Campaign{SQL: "SELECT 1", HostIDs: []int64{a1.ID}}, osaudit.EINVALID},
		{"expired", &osaudit.Campaign{SQL: "SELECT 1", HostIDs: []int64{a1.ID}, ExpiresAt: now.Add(-time.Minute)}, osaudit.EINVALID},
		{"another customer's host", &osaudit.Campaign{CustomerID: a.ID, SQL: "SELECT 1", HostIDs: []int64{b1.ID}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"another customer's label", &osaudit.Campaign{CustomerID: a.ID, SQL: "SELECT 1", LabelIDs: []int64{bl.ID}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"unknown host", &osaudit.Campaign{SQL: "SELECT 1", HostIDs: []int64{9999}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"unknown label", &osaudit.Campaign{SQL: "SELECT 1", LabelIDs: []int64{9999}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"unknown customer", &osaudit.Campaign{CustomerID: 9999, SQL: "SELECT 1", LabelIDs: []int64{pl.ID}, ExpiresAt: now.Add(time.Minute)}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "create campaign", s.CreateCampaign(ctx, tc.c), tc.want)
		})
	}
	_, err = s.Campaign(ctx, 9999)
	code(t, "missing campaign", err, osaudit.ENOTFOUND)

	campaignIDs := func(cs []*osaudit.Campaign) []int64 { return ids(cs, func(c *osaudit.Campaign) int64 { return c.ID }) }
	active, err := s.ActiveCampaigns(ctx, now)
	must(t, "active", err)
	diff(t, "active now", campaignIDs(active), []int64{c.ID, pc.ID, old.ID})
	active, err = s.ActiveCampaigns(ctx, now.Add(30*time.Second))
	must(t, "active", err)
	diff(t, "active in 30 s", campaignIDs(active), []int64{c.ID, pc.ID})
	active, err = s.ActiveCampaigns(ctx, now.Add(2*time.Hour))
	must(t, "active", err)
	diff(t, "active in 2 h", campaignIDs(active), []int64{})
}

func testCampaignResults(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	var hosts []*osaudit.Host
	for i := range 5 {
		hosts = append(hosts, newHost(t, s, a.ID, fmt.Sprint("a", i)))
	}
	b1 := newHost(t, s, b.ID, "b1")
	c := &osaudit.Campaign{CustomerID: a.ID, SQL: "SELECT 42 AS answer", HostIDs: hostIDs(hosts), ExpiresAt: time.Now().Add(time.Minute)}
	must(t, "create", s.CreateCampaign(ctx, c))
	other := &osaudit.Campaign{CustomerID: b.ID, SQL: "SELECT 1", HostIDs: []int64{b1.ID}, ExpiresAt: time.Now().Add(time.Minute)}
	must(t, "create", s.CreateCampaign(ctx, other))

	at := micro(time.Now().Add(-time.Second)).UTC()
	var want []*osaudit.CampaignResult
	for _, h := range hosts {
		want = append(want, &osaudit.CampaignResult{CampaignID: c.ID, HostID: h.ID, Status: osaudit.CampaignSent, At: at})
	}
	must(t, "sent", s.AddCampaignResults(ctx, want))
	ob := &osaudit.CampaignResult{CampaignID: other.ID, HostID: b1.ID, Status: osaudit.CampaignDone, Rows: []map[string]string{{"1": "1"}}}
	must(t, "other campaign's answer", s.AddCampaignResults(ctx, []*osaudit.CampaignResult{ob}))
	near(t, "At set by the store", ob.At)
	answers := []*osaudit.CampaignResult{
		{CampaignID: c.ID, HostID: hosts[2].ID, Status: osaudit.CampaignDone, At: at,
			Rows:  []map[string]string{{"answer": "42"}, {"answer": "43", "extra": ""}},
			Stats: map[string]int64{"wall_time_ms": 3, "user_time": 1, "system_time": 0, "memory": 1 << 20}},
		{CampaignID: c.ID, HostID: hosts[0].ID, Status: osaudit.CampaignFailed, Error: "no such table: x", At: at},
		{CampaignID: c.ID, HostID: hosts[4].ID, Status: osaudit.CampaignDone, Rows: []map[string]string{}, At: at},
	}
	must(t, "answers", s.AddCampaignResults(ctx, answers))
	want = append(want, answers...)
	for i := 1; i < len(want); i++ {
		if want[i].Seq <= want[i-1].Seq {
			t.Fatalf("Seq does not rise in arrival order: %d then %d", want[i-1].Seq, want[i].Seq)
		}
	}

	got, err := s.CampaignResults(ctx, c.ID, 0, 0)
	must(t, "results", err)
	diff(t, "CampaignResults", got, want, cmpopts.EquateEmpty())

	// Paging by Seq, as a stream would.
	var paged []*osaudit.CampaignResult
	after := int64(0)
	for range 20 {
		page, err := s.CampaignResults(ctx, c.ID, after, 3)
		must(t, "results", err)
		if len(page) > 3 {
			t.Fatalf("page of %d with limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Seq
	}
	diff(t, "paged CampaignResults", paged, want, cmpopts.EquateEmpty())

	bres, err := s.CampaignResults(ctx, other.ID, 0, 0)
	must(t, "results", err)
	diff(t, "other campaign's results", bres, []*osaudit.CampaignResult{ob}, cmpopts.EquateEmpty())

	_, err = s.CampaignResults(ctx, 9999, 0, 0)
	code(t, "unknown campaign's results", err, osaudit.ENOTFOUND)
	_, err = s.CampaignResults(ctx, c.ID, 0, -1)
	code(t, "negative limit", err, osaudit.EINVALID)
	must(t, "no results", s.AddCampaignResults(ctx, nil))
	for _, tc := range []struct {
		name string
		r    *osaudit.CampaignResult
		want string
	}{
		{"host of another customer", &osaudit.CampaignResult{CampaignID: c.ID, HostID: b1.ID, Status: osaudit.CampaignDone}, osaudit.EINVALID},
		{"unknown campaign", &osaudit.CampaignResult{CampaignID: 9999, HostID: hosts[0].ID, Status: osaudit.CampaignDone}, osaudit.EINVALID},
		{"unknown host", &osaudit.CampaignResult{CampaignID: c.ID, HostID: 9999, Status: osaudit.CampaignDone}, osaudit.EINVALID},
		{"bad status", &osaudit.CampaignResult{CampaignID: c.ID, HostID: hosts[0].ID, Status: "finished"}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "add result", s.AddCampaignResults(ctx, []*osaudit.CampaignResult{tc.r}), tc.want)
		})
	}
	// A failing batch stores nothing.
	bad := []*osaudit.CampaignResult{
		{CampaignID: c.ID, HostID: hosts[1].ID, Status: osaudit.CampaignDone},
		{CampaignID: c.ID, HostID: b1.ID, Status: osaudit.CampaignDone},
	}
	code(t, "half-bad batch", s.AddCampaignResults(ctx, bad), osaudit.EINVALID)
	got, err = s.CampaignResults(ctx, c.ID, 0, 0)
	must(t, "results", err)
	if len(got) != len(want) {
		t.Errorf("a failed batch stored %d results", len(got)-len(want))
	}
}
