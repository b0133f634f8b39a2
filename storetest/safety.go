package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/osaudit/osaudit"
)

// testInvalidUTF8 pins how stores keep strings that are not valid UTF-8
// (agents send whatever bytes a file or a process name holds): each byte
// that is not part of a valid UTF-8 sequence becomes U+FFFD, as Go's
// encoding/json does, and valid text, control characters and NUL included,
// comes back byte for byte. So every string a store returns is valid UTF-8.
func testInvalidUTF8(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	const exact = "héllo ✓ 𝄞 \x00 \x01 \"quoted\" \\ back\nslash\t</script> \u2028"
	h := &osaudit.Host{CustomerID: a.ID, Identifier: "id-\xff\xfe", NodeKeyHash: hash("utf8"), Hostname: "host\xc3",
		Details: map[string][]map[string]string{"system_info": {{"hostname": "bad\x80name"}}}}
	must(t, "enroll", s.EnrollHost(ctx, h))
	got, err := s.Host(ctx, h.ID)
	must(t, "host", err)
	if got.Identifier != "id-\uFFFD\uFFFD" || got.Hostname != "host\uFFFD" || got.Details["system_info"][0]["hostname"] != "bad\uFFFDname" {
		t.Errorf("host strings: identifier %q, hostname %q, details %q", got.Identifier, got.Hostname, got.Details)
	}
	// The same bytes find the same host again.
	again := &osaudit.Host{CustomerID: a.ID, Identifier: "id-\xff\xfe", NodeKeyHash: hash("utf8 again")}
	must(t, "re-enroll", s.EnrollHost(ctx, again))
	if again.ID != h.ID {
		t.Errorf("re-enrolling an identifier with invalid UTF-8 made host %d, want %d", again.ID, h.ID)
	}

	row := &osaudit.ResultRow{CustomerID: a.ID, HostID: h.ID, Name: "pack/\xfe/q", Action: "added", UnixTime: 1700000000,
		Columns:     map[string]string{"path\xff": "a\xffb\xc3", "ok": exact, "": "empty key"},
		Decorations: map[string]string{"user": "\xe2\x82"}}
	must(t, "insert", s.InsertResults(ctx, []*osaudit.ResultRow{row}))
	rs, err := s.Results(ctx, osaudit.ResultFilter{HostID: h.ID})
	must(t, "results", err)
	if len(rs) != 1 {
		t.Fatalf("%d rows", len(rs))
	}
	diff(t, "columns", rs[0].Columns, map[string]string{"path\uFFFD": "a\uFFFDb\uFFFD", "ok": exact, "": "empty key"})
	diff(t, "decorations", rs[0].Decorations, map[string]string{"user": "\uFFFD\uFFFD"})
	if rs[0].Name != "pack/\uFFFD/q" {
		t.Errorf("name %q", rs[0].Name)
	}
	rs, err = s.Results(ctx, osaudit.ResultFilter{HostID: h.ID, Search: "✓ 𝄞"})
	must(t, "search", err)
	if len(rs) != 1 {
		t.Errorf("searching for multi-byte text found %d rows", len(rs))
	}

	st := &osaudit.StatusRow{CustomerID: a.ID, HostID: h.ID, Time: time.Now(), Message: "bad \xff message", Filename: "f\xfe.cpp", Version: exact}
	must(t, "insert status", s.InsertStatus(ctx, []*osaudit.StatusRow{st}))
	ss, err := s.Statuses(ctx, osaudit.ResultFilter{HostID: h.ID})
	must(t, "statuses", err)
	if len(ss) != 1 || ss[0].Message != "bad \uFFFD message" || ss[0].Filename != "f\uFFFD.cpp" || ss[0].Version != exact {
		t.Errorf("status: %+v", ss)
	}

	c := &osaudit.Campaign{CustomerID: a.ID, SQL: "SELECT 1", HostIDs: []int64{h.ID}, ExpiresAt: time.Now().Add(time.Minute)}
	must(t, "campaign", s.CreateCampaign(ctx, c))
	cr := &osaudit.CampaignResult{CampaignID: c.ID, HostID: h.ID, Status: osaudit.CampaignFailed, Error: "near \xff: syntax error",
		Rows: []map[string]string{{"k\xff": "v\xff", "ok": exact}}}
	must(t, "campaign result", s.AddCampaignResults(ctx, []*osaudit.CampaignResult{cr}))
	crs, err := s.CampaignResults(ctx, c.ID, 0, 0)
	must(t, "campaign results", err)
	if len(crs) != 1 || crs[0].Error != "near \uFFFD: syntax error" {
		t.Fatalf("campaign results: %+v", crs)
	}
	diff(t, "campaign rows", crs[0].Rows, []map[string]string{{"k\uFFFD": "v\uFFFD", "ok": exact}})

	for _, v := range []string{got.Identifier, got.Hostname, rs[0].Name, ss[0].Message, crs[0].Error} {
		if !utf8.ValidString(v) {
			t.Errorf("store returned invalid UTF-8 %q", v)
		}
	}
}

// injection holds strings that would break or subvert SQL built by
// concatenation.
var injection = []string{
	`Robert'); DROP TABLE customers;--`,
	`' OR '1'='1`,
	`" OR ""="`,
	`1; DELETE FROM hosts; --`,
	`%' OR 1=1 --`,
	`_%\`,
	`\'; SELECT pg_sleep(10); --`,
	`*/ UNION SELECT * FROM api_tokens /*`,
	`$1 ?1 ? :name @name`,
}

// testInjection stores SQL-looking strings in every kind of name,
// identifier and column, and checks they come back verbatim and find only
// themselves.
func testInjection(t *testing.T, s osaudit.Store) {
	var customers []*osaudit.Customer
	for _, in := range injection {
		customers = append(customers, newCustomer(t, s, in))
	}
	plain := newCustomer(t, s, "plain")
	for i, in := range injection {
		c := customers[i]
		got, err := s.CustomerByName(ctx, in)
		must(t, "customer by name", err)
		if got.ID != c.ID || got.Name != in {
			t.Errorf("CustomerByName(%q) = %+v", in, got)
		}
		h := newHost(t, s, c.ID, in)
		q := &osaudit.Query{CustomerID: c.ID, Name: in, SQL: in, Description: in}
		must(t, "save query", s.SaveQuery(ctx, q))
		l := &osaudit.Label{CustomerID: c.ID, Name: in, SQL: in}
		must(t, "save label", s.SaveLabel(ctx, l))
		p := &osaudit.Pack{CustomerID: c.ID, Name: in, Queries: []osaudit.PackQuery{{Name: in, SQL: in}}, Targets: osaudit.PackTargets{Platforms: []string{in}}}
		must(t, "save pack", s.SavePack(ctx, p))
		row := &osaudit.ResultRow{CustomerID: c.ID, HostID: h.ID, Name: in, Action: in, UnixTime: 1700000000, Columns: map[string]string{in: in}}
		must(t, "insert results", s.InsertResults(ctx, []*osaudit.ResultRow{row}))

		gq, err := s.QueryByName(ctx, c.ID, in)
		must(t, "query by name", err)
		gl, err := s.LabelByName(ctx, c.ID, in)
		must(t, "label by name", err)
		gp, err := s.PackByName(ctx, c.ID, in)
		must(t, "pack by name", err)
		if gq.SQL != in || gq.Description != in || gl.SQL != in || gp.Queries[0].SQL != in || gp.Targets.Platforms[0] != in {
			t.Errorf("%q not stored verbatim: %+v %+v %+v", in, gq, gl, gp)
		}
		hs, err := s.Hosts(ctx, osaudit.HostFilter{Identifier: in})
		must(t, "hosts by identifier", err)
		if len(hs) != 1 || hs[0].ID != h.ID {
			t.Errorf("hosts with identifier %q: %v", in, hostIDs(hs))
		}
		hs, err = s.Hosts(ctx, osaudit.HostFilter{Search: in})
		must(t, "hosts by search", err)
		if len(hs) != 1 || hs[0].ID != h.ID {
			t.Errorf("hosts matching %q: %v", in, hostIDs(hs))
		}
		rs, err := s.Results(ctx, osaudit.ResultFilter{Name: in})
		must(t, "results by name", err)
		if len(rs) != 1 || rs[0].Columns[in] != in || rs[0].Action != in {
			t.Errorf("results named %q: %+v", in, rs)
		}
		rs, err = s.Results(ctx, osaudit.ResultFilter{Search: in})
		must(t, "results by search", err)
		if len(rs) != 1 || rs[0].ID != row.ID {
			t.Errorf("results matching %q: %v", in, resultIDs(rs))
		}
		_, err = s.QueryByName(ctx, plain.ID, in)
		code(t, "another customer's query by the same name", err, osaudit.ENOTFOUND)
		_, err = s.UserByEmail(ctx, in)
		code(t, "user by injected email", err, osaudit.ENOTFOUND)
	}
	// Everything is still there.
	all, err := s.Customers(ctx)
	must(t, "customers", err)
	hs, err := s.Hosts(ctx, osaudit.HostFilter{})
	must(t, "hosts", err)
	qs, err := s.Queries(ctx, provider)
	must(t, "queries", err)
	rs, err := s.Results(ctx, osaudit.ResultFilter{})
	must(t, "results", err)
	if len(all) != len(injection)+1 || len(hs) != len(injection) || len(qs) != len(injection) || len(rs) != len(injection) {
		t.Errorf("after injection strings: %d customers, %d hosts, %d queries, %d results; want %d, %d, %d, %d",
			len(all), len(hs), len(qs), len(rs), len(injection)+1, len(injection), len(injection), len(injection))
	}
}

// testConcurrency runs writers and readers at once (run it with -race):
// batches from several goroutines all land, with distinct IDs, and reads
// meanwhile see consistent data.
func testConcurrency(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	var hosts []*osaudit.Host
	for i := range 20 {
		hosts = append(hosts, newHost(t, s, a.ID, fmt.Sprint("h", i)))
	}
	l := newLabel(t, s, a.ID, "flappy")
	const writers, batches, perBatch = 4, 10, 50
	done := make(chan struct{})
	var wg, readers sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var rows []*osaudit.ResultRow
				for i := range perBatch {
					h := hosts[(w+i)%len(hosts)]
					rows = append(rows, &osaudit.ResultRow{CustomerID: a.ID, HostID: h.ID, Name: fmt.Sprint("w", w), Action: "added",
						UnixTime: int64(1700000000 + b), Counter: int64(i), Columns: map[string]string{"i": fmt.Sprint(i)}})
				}
				if err := s.InsertResults(ctx, rows); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			seen := map[int64]time.Time{}
			for _, h := range hosts {
				seen[h.ID] = time.Now()
			}
			if err := s.TouchHosts(ctx, seen); err != nil {
				t.Errorf("touch: %v", err)
				return
			}
			if err := s.SetLabelMembership(ctx, l.ID, map[int64]bool{hosts[i%len(hosts)].ID: i%2 == 0}); err != nil {
				t.Errorf("membership: %v", err)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 10 {
			h := &osaudit.Host{CustomerID: a.ID, Identifier: fmt.Sprint("new", i), NodeKeyHash: hash(fmt.Sprint("concurrent", i))}
			if err := s.EnrollHost(ctx, h); err != nil {
				t.Errorf("enroll: %v", err)
				return
			}
		}
	})
	for r := range 4 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				var err error
				switch r {
				case 0:
					_, err = s.Results(ctx, osaudit.ResultFilter{CustomerID: a.ID, Name: "w1", Page: osaudit.Page{Limit: 50}})
				case 1:
					_, err = s.HostAuth(ctx)
				case 2:
					_, err = s.CountHosts(ctx, a.ID, time.Now().Add(-time.Minute))
				case 3:
					if _, err = s.LabelMembership(ctx); err == nil {
						_, err = s.ConfigGeneration(ctx)
					}
				}
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()

	seen := map[int64]bool{}
	flt := osaudit.ResultFilter{CustomerID: a.ID, Page: osaudit.Page{Limit: 1000}}
	for {
		rs, err := s.Results(ctx, flt)
		must(t, "results", err)
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			if seen[r.ID] {
				t.Fatalf("row %d listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		flt.After = rs[len(rs)-1].ID
	}
	if len(seen) != writers*batches*perBatch {
		t.Errorf("%d rows stored, want %d", len(seen), writers*batches*perBatch)
	}
	c, err := s.CountHosts(ctx, a.ID, time.Time{})
	must(t, "count", err)
	if c.Total != int64(len(hosts)+10) {
		t.Errorf("%d hosts, want %d", c.Total, len(hosts)+10)
	}
}
