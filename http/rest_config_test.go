package http

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
)

func TestRESTQueries(t *testing.T) { forEachStore(t, testRESTQueries) }

func testRESTQueries(t *testing.T, e *restEnv) {
	var prov, acme osaudit.Query
	e.call(e.provider, "POST", "/api/v1/queries", map[string]any{"name": "procs", "query": "SELECT * FROM processes", "interval": 60, "attack_techniques": []string{"T1059"}}, 201, &prov)
	if prov.CustomerID != 0 || prov.ID == 0 {
		t.Fatalf("provider query %+v", prov)
	}
	e.call(e.acmeAdmin, "POST", "/api/v1/queries", map[string]any{"name": "users", "query": "SELECT * FROM users"}, 201, &acme)
	if acme.CustomerID != e.acme.ID {
		t.Fatalf("acme query has customer %d", acme.CustomerID)
	}
	var globex osaudit.Query
	e.call(e.provider, "POST", "/api/v1/queries", map[string]any{"name": "users", "query": "SELECT 1", "customer": "globex"}, 201, &globex)

	for _, tc := range []struct {
		name, token, path string
		want              []string
	}{
		{"provider", e.provider, "/api/v1/queries", []string{"procs", "users", "users"}},
		{"acme: own and provider's", e.acmeViewer, "/api/v1/queries", []string{"procs", "users"}},
		{"acme: own only", e.acmeViewer, "/api/v1/queries?customer=acme", []string{"users"}},
		{"provider's only", e.provider, "/api/v1/queries?customer=provider", []string{"procs"}},
		{"by name", e.provider, "/api/v1/queries?name=users&customer=globex", []string{"users"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p page[osaudit.Query]
			e.call(tc.token, "GET", tc.path, nil, 200, &p)
			if got := names(p.Items, func(q osaudit.Query) string { return q.Name }); !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		status                    int
		code, msg                 string
	}{
		{"empty SQL", e.provider, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "  "}, 400, osaudit.EINVALID, "SQL query is empty"},
		{"no name", e.provider, "POST", "/api/v1/queries", map[string]any{"query": "SELECT 1"}, 400, osaudit.EINVALID, "name is required"},
		{"interval too long", e.provider, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "interval": 604801}, 400, osaudit.EINVALID, "outside 1..604800"},
		{"negative interval", e.provider, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "interval": -5}, 400, osaudit.EINVALID, "outside 1..604800"},
		{"bad technique", e.provider, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "attack_techniques": []string{"T59"}}, 400, osaudit.EINVALID, "ATT&CK"},
		{"bad platform", e.provider, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "platform": "amiga"}, 400, osaudit.EINVALID, "unknown platform"},
		{"duplicate", e.acmeAdmin, "POST", "/api/v1/queries", map[string]any{"name": "users", "query": "SELECT 1"}, 409, osaudit.ECONFLICT, ""},
		{"viewer creates", e.acmeViewer, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1"}, 403, osaudit.EFORBIDDEN, "read-only"},
		{"customer writes for another", e.acmeAdmin, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "customer": "globex"}, 404, osaudit.ENOTFOUND, ""},
		{"customer writes for the provider", e.acmeAdmin, "POST", "/api/v1/queries", map[string]any{"name": "x", "query": "SELECT 1", "customer": "provider"}, 403, osaudit.EFORBIDDEN, ""},
		{"customer changes the provider's", e.acmeAdmin, "PUT", fmt.Sprintf("/api/v1/queries/%d", prov.ID), map[string]any{"name": "procs", "query": "SELECT 2"}, 403, osaudit.EFORBIDDEN, ""},
		{"customer deletes the provider's", e.acmeAdmin, "DELETE", fmt.Sprintf("/api/v1/queries/%d", prov.ID), nil, 403, osaudit.EFORBIDDEN, ""},
		{"customer reads another's", e.acmeAdmin, "GET", fmt.Sprintf("/api/v1/queries/%d", globex.ID), nil, 404, osaudit.ENOTFOUND, ""},
		{"customer deletes another's", e.acmeAdmin, "DELETE", fmt.Sprintf("/api/v1/queries/%d", globex.ID), nil, 404, osaudit.ENOTFOUND, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg := e.errorCode(tc.token, tc.method, tc.path, tc.body)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %d %q %q, want %d %q containing %q", status, code, msg, tc.status, tc.code, tc.msg)
			}
		})
	}

	var upd osaudit.Query
	e.call(e.acmeAdmin, "PUT", fmt.Sprintf("/api/v1/queries/%d", acme.ID), map[string]any{"name": "users", "query": "SELECT uid FROM users", "customer_id": e.globex.ID}, 200, &upd)
	if upd.SQL != "SELECT uid FROM users" || upd.CustomerID != e.acme.ID || upd.ID != acme.ID {
		t.Errorf("updated %+v; a query stays with its customer", upd)
	}
	e.call(e.acmeAdmin, "GET", fmt.Sprintf("/api/v1/queries/%d", prov.ID), nil, 200, &upd)
	e.call(e.acmeAdmin, "DELETE", fmt.Sprintf("/api/v1/queries/%d", acme.ID), nil, 204, nil)
}

func TestRESTPacksAndLabels(t *testing.T) { forEachStore(t, testRESTPacksAndLabels) }

func testRESTPacksAndLabels(t *testing.T, e *restEnv) {
	var dyn, manual, globexLabel osaudit.Label
	e.call(e.provider, "POST", "/api/v1/labels", map[string]any{"name": "ubuntu", "query": "SELECT 1 FROM os_version WHERE platform = 'ubuntu'"}, 201, &dyn)
	e.call(e.acmeAdmin, "POST", "/api/v1/labels", map[string]any{"name": "crown-jewels", "manual": true}, 201, &manual)
	e.call(e.globexAdmin, "POST", "/api/v1/labels", map[string]any{"name": "dbs", "manual": true}, 201, &globexLabel)

	t.Run("label validation", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body map[string]any
			msg  string
		}{
			{"dynamic without query", map[string]any{"name": "x"}, "SQL query is empty"},
			{"manual with query", map[string]any{"name": "x", "manual": true, "query": "SELECT 1"}, "manual label has no query"},
		} {
			status, code, msg := e.errorCode(e.provider, "POST", "/api/v1/labels", tc.body)
			if status != 400 || code != osaudit.EINVALID || !strings.Contains(msg, tc.msg) {
				t.Errorf("%s: got %d %q %q", tc.name, status, code, msg)
			}
		}
	})

	t.Run("manual membership", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/labels/%d/hosts", manual.ID)
		var res map[string]int
		e.call(e.acmeAdmin, "POST", path, map[string]any{"add": []string{"acme-web-1", fmt.Sprint(e.acmeHost2.ID)}}, 200, &res)
		if res["changed"] != 2 {
			t.Errorf("changed %v, want 2", res)
		}
		e.call(e.acmeAdmin, "POST", path, map[string]any{"add": []string{"acme-web-1"}}, 200, &res)
		if res["changed"] != 0 {
			t.Errorf("adding a member again changed %v", res)
		}
		if status, code, msg := e.errorCode(e.acmeAdmin, "POST", path, map[string]any{"add": []string{"globex-db-1"}}); status != 400 || code != osaudit.EINVALID || !strings.Contains(msg, "unknown host") {
			t.Errorf("adding another customer's host: %d %s %s", status, code, msg)
		}
		e.call(e.acmeAdmin, "POST", path, map[string]any{"remove": []string{"uuid-acme-dc-1"}}, 200, &res)
		var p page[hostView]
		e.call(e.acmeViewer, "GET", path, nil, 200, &p)
		if got := names(p.Items, func(h hostView) string { return h.Hostname }); !cmp.Equal(got, []string{"acme-web-1"}) {
			t.Errorf("members %v", got)
		}
		e.call(e.provider, "GET", "/api/v1/hosts?label=crown-jewels", nil, 200, &p)
		if got := names(p.Items, func(h hostView) string { return h.Hostname }); !cmp.Equal(got, []string{"acme-web-1"}) {
			t.Errorf("hosts?label= %v", got)
		}
		if status, _, msg := e.errorCode(e.provider, "POST", fmt.Sprintf("/api/v1/labels/%d/hosts", dyn.ID), map[string]any{"add": []string{"acme-web-1"}}); status != 400 || !strings.Contains(msg, "dynamic") {
			t.Errorf("editing a dynamic label: %d %s", status, msg)
		}
		if status, _, _ := e.errorCode(e.globexAdmin, "GET", path, nil); status != 404 {
			t.Errorf("globex reading acme's label: %d", status)
		}
	})

	pack := map[string]any{
		"name": "ir", "description": "incident response",
		"queries": []map[string]any{
			{"name": "procs", "query": "SELECT * FROM processes", "interval": 300, "attack_techniques": []string{"T1057"}},
			{"name": "ports", "query": "SELECT * FROM listening_ports", "interval": 3600, "removed": false},
		},
		"targets": map[string]any{"label_ids": []int64{dyn.ID, manual.ID}, "platforms": []string{"linux"}},
	}
	var p osaudit.Pack
	e.call(e.acmeAdmin, "POST", "/api/v1/packs", pack, 201, &p)
	if p.CustomerID != e.acme.ID || len(p.Queries) != 2 || p.Queries[1].Removed == nil || *p.Queries[1].Removed {
		t.Fatalf("pack %+v", p)
	}
	t.Run("pack validation", func(t *testing.T) {
		bad := func(mod func(m map[string]any)) map[string]any {
			m := map[string]any{"name": "x", "queries": []map[string]any{{"name": "q", "query": "SELECT 1", "interval": 60}}}
			mod(m)
			return m
		}
		for _, tc := range []struct {
			name, token string
			body        map[string]any
			code, msg   string
		}{
			{"interval 0", e.provider, bad(func(m map[string]any) { m["queries"].([]map[string]any)[0]["interval"] = 0 }), osaudit.EINVALID, "interval 0 is outside 1..604800"},
			{"interval too long", e.provider, bad(func(m map[string]any) { m["queries"].([]map[string]any)[0]["interval"] = 700000 }), osaudit.EINVALID, "outside 1..604800"},
			{"empty SQL", e.provider, bad(func(m map[string]any) { m["queries"].([]map[string]any)[0]["query"] = "" }), osaudit.EINVALID, "SQL query is empty"},
			{"query twice", e.provider, bad(func(m map[string]any) {
				m["queries"] = append(m["queries"].([]map[string]any), map[string]any{"name": "q", "query": "SELECT 2", "interval": 60})
			}), osaudit.EINVALID, "appears twice"},
			{"unknown label", e.provider, bad(func(m map[string]any) { m["targets"] = map[string]any{"label_ids": []int64{9999}} }), osaudit.EINVALID, "unknown label 9999"},
			{"another customer's label", e.acmeAdmin, bad(func(m map[string]any) { m["targets"] = map[string]any{"label_ids": []int64{globexLabel.ID}} }), osaudit.EINVALID, "unknown label"},
			{"another customer as target", e.acmeAdmin, bad(func(m map[string]any) { m["targets"] = map[string]any{"customer_ids": []int64{e.globex.ID}} }), osaudit.EINVALID, "only its own customer"},
			{"bad target platform", e.provider, bad(func(m map[string]any) { m["targets"] = map[string]any{"platforms": []string{"beos"}} }), osaudit.EINVALID, "unknown platform"},
			{"shard", e.provider, bad(func(m map[string]any) { m["shard"] = 101 }), osaudit.EINVALID, "shard 101"},
			{"slash in name", e.provider, bad(func(m map[string]any) { m["name"] = "a/b" }), osaudit.EINVALID, "slash"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, code, msg := e.errorCode(tc.token, "POST", "/api/v1/packs", tc.body)
				if status != 400 || code != tc.code || !strings.Contains(msg, tc.msg) {
					t.Errorf("got %d %q %q, want 400 %q containing %q", status, code, msg, tc.code, tc.msg)
				}
			})
		}
	})
	t.Run("pack isolation", func(t *testing.T) {
		var l page[osaudit.Pack]
		e.call(e.globexAdmin, "GET", "/api/v1/packs", nil, 200, &l)
		if len(l.Items) != 0 {
			t.Errorf("globex sees packs %v", l.Items)
		}
		if status, _, _ := e.errorCode(e.globexAdmin, "GET", fmt.Sprintf("/api/v1/packs/%d", p.ID), nil); status != 404 {
			t.Errorf("globex reads acme's pack: %d", status)
		}
		e.call(e.acmeViewer, "GET", "/api/v1/packs", nil, 200, &l)
		if len(l.Items) != 1 || l.Items[0].Name != "ir" {
			t.Errorf("acme sees packs %v", l.Items)
		}
	})
	pack["disabled"] = true
	var up osaudit.Pack
	e.call(e.acmeAdmin, "PUT", fmt.Sprintf("/api/v1/packs/%d", p.ID), pack, 200, &up)
	if !up.Disabled || up.ID != p.ID {
		t.Errorf("updated pack %+v", up)
	}
	if status, _, _ := e.errorCode(e.acmeViewer, "DELETE", fmt.Sprintf("/api/v1/packs/%d", p.ID), nil); status != 403 {
		t.Errorf("viewer deletes a pack: %d", status)
	}
	e.call(e.acmeAdmin, "DELETE", fmt.Sprintf("/api/v1/packs/%d", p.ID), nil, 204, nil)
	if status, _, msg := e.errorCode(e.provider, "PUT", fmt.Sprintf("/api/v1/labels/%d", dyn.ID), map[string]any{"name": "ubuntu", "manual": true}); status != 400 || !strings.Contains(msg, "manual and dynamic") {
		t.Errorf("turning a dynamic label manual: %d %s", status, msg)
	}
	e.call(e.provider, "DELETE", fmt.Sprintf("/api/v1/labels/%d", dyn.ID), nil, 204, nil)
}

func TestRESTResults(t *testing.T) { forEachStore(t, testRESTResults) }

func testRESTResults(t *testing.T, e *restEnv) {
	ctx := context.Background()
	var rows []*osaudit.ResultRow
	for i, h := range []*osaudit.Host{e.acmeHost, e.acmeHost, e.acmeHost2, e.globexHost} {
		rows = append(rows, &osaudit.ResultRow{CustomerID: h.CustomerID, HostID: h.ID, Name: "pack/ir/procs", Action: "added",
			UnixTime: e.now.Unix() - int64(100*i), Columns: map[string]string{"name": fmt.Sprintf("proc-%d", i)}})
	}
	if err := e.store.InsertResults(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := e.store.InsertStatus(ctx, []*osaudit.StatusRow{
		{CustomerID: e.acme.ID, HostID: e.acmeHost.ID, Message: "acme status"},
		{CustomerID: e.globex.ID, HostID: e.globexHost.ID, Message: "globex status"},
	}); err != nil {
		t.Fatal(err)
	}
	colNames := func(p page[osaudit.ResultRow]) []string {
		return names(p.Items, func(r osaudit.ResultRow) string { return r.Columns["name"] })
	}
	for _, tc := range []struct {
		name, token, path string
		want              []string
	}{
		{"provider, oldest first", e.provider, "/api/v1/results", []string{"proc-3", "proc-2", "proc-1", "proc-0"}},
		{"acme", e.acmeViewer, "/api/v1/results", []string{"proc-2", "proc-1", "proc-0"}},
		{"acme cannot ask for globex's host", e.acmeViewer, fmt.Sprintf("/api/v1/results?customer=%d", e.acme.ID), []string{"proc-2", "proc-1", "proc-0"}},
		{"host by name", e.provider, "/api/v1/results?host=acme-dc-1", []string{"proc-2"}},
		{"host id", e.provider, fmt.Sprintf("/api/v1/results?host_id=%d", e.acmeHost.ID), []string{"proc-1", "proc-0"}},
		{"since", e.provider, fmt.Sprintf("/api/v1/results?since=%d", e.now.Unix()-150), []string{"proc-1", "proc-0"}},
		{"search", e.provider, "/api/v1/results?search=proc-3", []string{"proc-3"}},
		{"name", e.provider, "/api/v1/results?name=pack/ir/other", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p page[osaudit.ResultRow]
			e.call(tc.token, "GET", tc.path, nil, 200, &p)
			if got := colNames(p); !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if status, code, _ := e.errorCode(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/results?host_id=%d", e.globexHost.ID), nil); status != 400 || code != osaudit.EINVALID {
		t.Errorf("acme asking for globex's host: %d %s", status, code)
	}
	var p page[osaudit.ResultRow]
	e.call(e.provider, "GET", "/api/v1/results?limit=3", nil, 200, &p)
	if len(p.Items) != 3 || p.Next == "" {
		t.Fatalf("first page %d items, next %q", len(p.Items), p.Next)
	}
	next := p.Next
	p = page[osaudit.ResultRow]{}
	e.call(e.provider, "GET", "/api/v1/results?limit=3&after="+next, nil, 200, &p)
	if got := colNames(p); !cmp.Equal(got, []string{"proc-0"}) || p.Next != "" {
		t.Errorf("second page %v next %q", got, p.Next)
	}
	var s page[osaudit.StatusRow]
	e.call(e.globexAdmin, "GET", "/api/v1/status_logs", nil, 200, &s)
	if got := names(s.Items, func(r osaudit.StatusRow) string { return r.Message }); !cmp.Equal(got, []string{"globex status"}) {
		t.Errorf("globex status logs %v", got)
	}
}

func TestRESTTokens(t *testing.T) { forEachStore(t, testRESTTokens) }

func testRESTTokens(t *testing.T, e *restEnv) {
	var tok osaudit.APIToken
	e.call(e.acmeAdmin, "POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "customer_viewer"}, 201, &tok)
	if !strings.HasPrefix(tok.Token, tokenPrefix) || tok.CustomerID != e.acme.ID {
		t.Fatalf("token %+v", tok)
	}
	var me struct {
		Role osaudit.Role `json:"role"`
	}
	e.call(tok.Token, "GET", "/api/v1/me", nil, 200, &me)
	if me.Role != osaudit.RoleCustomerViewer {
		t.Errorf("new token's role %q", me.Role)
	}
	for _, tc := range []struct {
		name, token string
		body        map[string]any
		status      int
	}{
		{"customer makes a provider token", e.acmeAdmin, map[string]any{"name": "x", "role": "provider_admin"}, 403},
		{"viewer makes a token", e.acmeViewer, map[string]any{"name": "x", "role": "customer_viewer"}, 403},
		{"customer makes another's token", e.acmeAdmin, map[string]any{"name": "x", "role": "customer_admin", "customer": "globex"}, 404},
		{"unknown role", e.provider, map[string]any{"name": "x", "role": "root"}, 400},
		{"provider token with a customer", e.provider, map[string]any{"name": "x", "role": "provider_admin", "customer": "acme"}, 400},
		{"customer role without customer", e.provider, map[string]any{"name": "x", "role": "customer_admin"}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, _ := e.errorCode(tc.token, "POST", "/api/v1/tokens", tc.body); status != tc.status {
				t.Errorf("got %d, want %d", status, tc.status)
			}
		})
	}
	var l page[osaudit.APIToken]
	e.call(e.globexAdmin, "GET", "/api/v1/tokens", nil, 200, &l)
	for _, x := range l.Items {
		if x.CustomerID != e.globex.ID {
			t.Errorf("globex sees token %+v", x)
		}
	}
	_, body := e.do(e.provider, "GET", "/api/v1/tokens", nil)
	if strings.Contains(string(body), tok.Token) {
		t.Errorf("token list shows a token")
	}
	if status, _, _ := e.errorCode(e.globexAdmin, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), nil); status != 404 {
		t.Errorf("globex deletes acme's token: %d", status)
	}
	e.call(e.acmeAdmin, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), nil, 204, nil)
	if status, _, _ := e.errorCode(tok.Token, "GET", "/api/v1/me", nil); status != 401 {
		t.Errorf("deleted token: %d, want 401", status)
	}
}
