package ctl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDocuments(t *testing.T) {
	packFile := func(path string) ([]byte, error) {
		if path == "/etc/osquery/packs/ir.conf" {
			return []byte(`{"queries": {"ports": {"query": "SELECT * FROM listening_ports", "interval": "60"}}}`), nil
		}
		return nil, errors.New("no such file")
	}
	for _, tc := range []struct {
		name, file, src string
		want            string // the documents as JSON
		warn            string
		err             string
	}{
		{"YAML documents", "a.yaml", "kind: customer\nspec: {name: acme}\n---\n---\napiVersion: v1\nkind: query\nspec:\n  name: q\n  query: SELECT 1\n",
			`[{"kind":"customer","spec":{"name":"acme"}},{"apiVersion":"v1","kind":"query","spec":{"name":"q","query":"SELECT 1"}}]`, "", ""},
		{"JSON array", "a.json", `[{"kind": "label", "spec": {"name": "l", "hosts": ["h1"]}}]`,
			`[{"kind":"label","spec":{"hosts":["h1"],"name":"l"}}]`, "", ""},
		{"osquery pack file with comments", "/x/ossec-rootkit.conf", "{\n  // comment\n  \"platform\": \"linux\",\n  \"queries\": {\"b\": {\"query\": \"SELECT 2\", \"removed\": false}, \"a\": {\"query\": \"SELECT \\\n 1\", \"interval\": \"10\", \"snapshot\": \"true\"}}\n}",
			`[{"apiVersion":"v1","kind":"pack","spec":{"name":"ossec-rootkit","platform":"linux","queries":[{"interval":10,"name":"a","query":"SELECT  1","snapshot":true},{"interval":3600,"name":"b","query":"SELECT 2","removed":false}]}}]`, "", ""},
		{"osquery config with schedule and pack paths", "/etc/osquery/osquery.conf", `{"options": {"host_identifier": "uuid"}, "schedule": {"uptime": {"query": "SELECT * FROM uptime", "interval": 300}}, "packs": {"ir": "/etc/osquery/packs/ir.conf", "inline": {"description": "d", "queries": {"x": {"query": "SELECT 3", "attack_techniques": ["T1059"]}}}}}`,
			`[{"apiVersion":"v1","kind":"pack","spec":{"name":"osquery","queries":[{"interval":300,"name":"uptime","query":"SELECT * FROM uptime"}]}},{"apiVersion":"v1","kind":"pack","spec":{"description":"d","name":"inline","queries":[{"attack_techniques":["T1059"],"interval":3600,"name":"x","query":"SELECT 3"}]}},{"apiVersion":"v1","kind":"pack","spec":{"name":"ir","queries":[{"interval":60,"name":"ports","query":"SELECT * FROM listening_ports"}]}}]`,
			`"options" is not imported`, ""},
		{"no kind", "a.yaml", "name: x\n", "", "", "has no kind"},
		{"not an object", "a.yaml", "- 1\n- 2\n", "", "", "document 1 is not an object"},
		{"unknown key", "a.yaml", "kind: query\nspec: {}\nmetadata: {}\n", "", "", `unknown key "metadata"`},
		{"no spec", "a.yaml", "kind: query\n", "", "", "has no spec"},
		{"empty", "a.yaml", "\n\n", "", "", "no documents"},
		{"garbage", "a.yaml", "{{{", "", "", "neither YAML/JSON documents"},
		{"osquery query without SQL", "p.conf", `{"queries": {"a": {"interval": 5}}}`, "", "", "query: want a non-empty SQL string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, warnings, err := parseDocuments(tc.file, []byte(tc.src), packFile)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(docs)
			var g, w any
			json.Unmarshal(got, &g)
			json.Unmarshal([]byte(tc.want), &w)
			if diff := cmp.Diff(g, w); diff != "" {
				t.Errorf("documents (-got +want):\n%s", diff)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(warnings, "\n"), tc.warn) {
				t.Errorf("warnings %q lack %q", warnings, tc.warn)
			}
		})
	}
}

func FuzzParseDocuments(f *testing.F) {
	f.Add([]byte(applyYAML))
	f.Add([]byte(osqueryPack))
	f.Add([]byte(`[{"kind": "label", "spec": {"name": "l", "hosts": ["h1"]}}]`))
	f.Add([]byte(`{"schedule": {"u": {"query": "SELECT 1"}}, "packs": {"p": {"queries": {}}}}`))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		docs, _, err := parseDocuments("fuzz.yaml", src, nil)
		if err != nil {
			return
		}
		if _, err := json.Marshal(docs); err != nil {
			t.Fatalf("documents do not encode: %v", err)
		}
		for _, d := range docs {
			if d.Spec == nil {
				t.Fatal("a document without spec")
			}
		}
	})
}
