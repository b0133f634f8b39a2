package http

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
)

func applyDocs(t *testing.T, docs string) []document {
	t.Helper()
	var out []document
	if err := json.Unmarshal([]byte(docs), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const applyTestDocs = `[
 {"apiVersion": "v1", "kind": "pack", "spec": {"name": "ir", "customer": "initech", "description": "incident response",
   "queries": [
     {"name": "procs", "query": "processes", "interval": 300},
     {"name": "ports", "query": "SELECT * FROM listening_ports", "removed": false, "attack_techniques": ["T1049"]},
     {"saved_query": "processes"}
   ],
   "targets": {"labels": ["servers", "ubuntu"], "platforms": ["linux"]}}},
 {"kind": "customer", "spec": {"name": "initech"}},
 {"kind": "query", "spec": {"name": "processes", "customer": "initech", "query": "SELECT pid, name FROM processes", "attack_techniques": ["T1057"], "description": "running processes"}},
 {"kind": "label", "spec": {"name": "ubuntu", "query": "SELECT 1 FROM os_version WHERE platform = 'ubuntu'"}},
 {"kind": "label", "spec": {"name": "servers", "customer": "initech", "hosts": []}}
]`

func TestRESTApply(t *testing.T) { forEachStore(t, testRESTApply) }

func testRESTApply(t *testing.T, e *restEnv) {
	type result struct {
		Results []applied `json:"results"`
	}
	actions := func(r result) []string {
		return names(r.Results, func(a applied) string { return a.Kind + " " + a.Name + " " + a.Customer + " " + a.Action })
	}
	var r result
	e.call(e.provider, "POST", "/api/v1/apply", applyRequest{Documents: applyDocs(t, applyTestDocs)}, 200, &r)
	want := []string{"pack ir initech created", "customer initech initech created", "query processes initech created", "label ubuntu  created", "label servers initech created"}
	if diff := cmp.Diff(actions(r), want); diff != "" {
		t.Fatalf("first apply (-got +want):\n%s", diff)
	}
	ctx := context.Background()
	cu, err := e.store.CustomerByName(ctx, "initech")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.store.PackByName(ctx, cu.ID, "ir")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Queries) != 3 || p.Queries[0].SQL != "SELECT pid, name FROM processes" || p.Queries[0].Description != "running processes" ||
		p.Queries[1].Interval != 3600 || p.Queries[2].Name != "processes" || len(p.Targets.LabelIDs) != 2 {
		t.Errorf("pack %+v", p)
	}

	gen, err := e.store.ConfigGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.call(e.provider, "POST", "/api/v1/apply", applyRequest{Documents: applyDocs(t, applyTestDocs)}, 200, &r)
	for _, a := range r.Results {
		if a.Action != actionUnchanged {
			t.Errorf("second apply: %s %s %s", a.Kind, a.Name, a.Action)
		}
	}
	if gen2, _ := e.store.ConfigGeneration(ctx); gen2 != gen {
		t.Errorf("second apply moved the config generation from %d to %d", gen, gen2)
	}

	// A change is an update; manual label hosts are set exactly.
	docs := applyDocs(t, strings.Replace(applyTestDocs, `"interval": 300`, `"interval": 600`, 1))
	docs = append(docs, applyDocs(t, `[{"kind": "label", "spec": {"name": "web", "customer": "acme", "hosts": ["acme-web-1"]}}]`)...)
	e.call(e.provider, "POST", "/api/v1/apply", applyRequest{Documents: docs}, 200, &r)
	if got := actions(r); got[0] != "pack ir initech updated" || got[2] != "query processes initech unchanged" || got[5] != "label web acme created" {
		t.Errorf("third apply: %v", got)
	}
	hs, _ := e.store.Hosts(ctx, osaudit.HostFilter{LabelID: r.Results[5].ID})
	if len(hs) != 1 || hs[0].Hostname != "acme-web-1" {
		t.Errorf("manual label members %v", hs)
	}
	e.call(e.acmeAdmin, "POST", "/api/v1/apply", applyRequest{Documents: applyDocs(t, `[{"kind": "label", "spec": {"name": "web", "hosts": ["acme-dc-1"]}}]`)}, 200, &r)
	if got := actions(r); !cmp.Equal(got, []string{"label web acme updated"}) {
		t.Errorf("membership change: %v", got)
	}
	hs, _ = e.store.Hosts(ctx, osaudit.HostFilter{LabelID: r.Results[0].ID})
	if len(hs) != 1 || hs[0].Hostname != "acme-dc-1" {
		t.Errorf("manual label members after set %v", hs)
	}

	for _, tc := range []struct {
		name, token, docs string
		status            int
		msg               string
	}{
		{"unknown kind", e.provider, `[{"kind": "policy", "spec": {"name": "x"}}]`, 400, `kind "policy"`},
		{"unknown field", e.provider, `[{"kind": "query", "spec": {"name": "x", "sql": "SELECT 1"}}]`, 400, `unknown field "sql"`},
		{"empty SQL", e.provider, `[{"kind": "query", "spec": {"name": "x", "query": ""}}]`, 400, "document 1 (query \"x\")"},
		{"bad interval", e.provider, `[{"kind": "pack", "spec": {"name": "x", "queries": [{"name": "q", "query": "SELECT 1", "interval": 0}]}}]`, 400, "interval 0 is outside"},
		{"unknown label", e.provider, `[{"kind": "pack", "spec": {"name": "x", "queries": [], "targets": {"labels": ["nope"]}}}]`, 400, `unknown label "nope"`},
		{"unknown saved query", e.provider, `[{"kind": "pack", "spec": {"name": "x", "queries": [{"name": "q", "saved_query": "nope"}]}}]`, 400, `unknown saved query "nope"`},
		{"customer applies to another", e.acmeAdmin, `[{"kind": "query", "spec": {"name": "x", "customer": "globex", "query": "SELECT 1"}}]`, 404, "no customer"},
		{"customer creates a customer", e.acmeAdmin, `[{"kind": "customer", "spec": {"name": "evil"}}]`, 403, "provider"},
		{"viewer applies", e.acmeViewer, `[{"kind": "query", "spec": {"name": "x", "query": "SELECT 1"}}]`, 403, "read-only"},
		{"dynamic label with hosts", e.provider, `[{"kind": "label", "spec": {"name": "x", "query": "SELECT 1", "hosts": ["a"]}}]`, 400, "dynamic label lists no hosts"},
		{"no documents", e.provider, `[]`, 400, "no documents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, msg := e.errorCode(tc.token, "POST", "/api/v1/apply", applyRequest{Documents: applyDocs(t, tc.docs)})
			if status != tc.status || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %d %q, want %d containing %q", status, msg, tc.status, tc.msg)
			}
		})
	}
}
