package http

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

func TestHostRefs(t *testing.T) {
	e := newRestEnv(t)
	a := rest{Server: e.server}
	// A second acme host with globex-db-1's hostname: a hostname may name
	// several hosts, across customers too.
	twin := &osaudit.Host{CustomerID: e.acme.ID, Identifier: "uuid-twin", Hostname: "Globex-DB-1", NodeKeyHash: manager.HashKey("twin")}
	if err := e.store.EnrollHost(context.Background(), twin); err != nil {
		t.Fatal(err)
	}
	provider := &caller{Scope: osaudit.Scope{Role: osaudit.RoleProviderAdmin}}
	acme := &caller{Scope: osaudit.Scope{Role: osaudit.RoleCustomerAdmin, CustomerID: e.acme.ID}}
	for _, tc := range []struct {
		name     string
		c        *caller
		customer int64
		ids      []int64
		refs     []string
		want     []int64
		err      string
	}{
		{"identifiers and hostnames in order", provider, 0, nil, []string{"acme-dc-1", " uuid-acme-web-1 "}, []int64{e.acmeHost2.ID, e.acmeHost.ID}, ""},
		{"hostname ignores case", provider, 0, nil, []string{"ACME-WEB-1"}, []int64{e.acmeHost.ID}, ""},
		{"hostname of two hosts", provider, 0, nil, []string{"globex-db-1"}, []int64{e.globexHost.ID, twin.ID}, ""},
		{"hostname scoped to a customer", provider, e.acme.ID, nil, []string{"globex-db-1"}, []int64{twin.ID}, ""},
		{"duplicates once", provider, 0, []int64{e.acmeHost.ID}, []string{"acme-web-1", "uuid-acme-web-1"}, []int64{e.acmeHost.ID}, ""},
		{"numeric id", provider, 0, nil, []string{strconv.FormatInt(e.acmeHost2.ID, 10)}, []int64{e.acmeHost2.ID}, ""},
		{"blank refs skipped", provider, 0, nil, []string{" ", ""}, nil, ""},
		{"unknown name", provider, 0, nil, []string{"acme-web-1", "nope"}, nil, `unknown host "nope"`},
		{"unknown id", provider, 0, []int64{9999}, nil, nil, "unknown host id 9999"},
		{"another customer's host", acme, e.acme.ID, nil, []string{"uuid-globex-db-1"}, nil, `unknown host "uuid-globex-db-1"`},
		{"injection is a name", provider, 0, nil, []string{`x' OR '1'='1`}, nil, "unknown host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.hostRefs(context.Background(), tc.c, tc.customer, tc.ids, tc.refs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// BenchmarkHostRefs resolves a 200-host live query's identifiers among
// 5,000 hosts: two store calls for all of them (one call per name and
// kind took ~4 ms a name at 20,000 hosts).
func BenchmarkHostRefs(b *testing.B) {
	e := newRestEnv(b)
	a := rest{Server: e.server}
	var refs []string
	for i := range 5000 {
		h := e.host(e.acme.ID, fmt.Sprintf("bench-%05d", i), "windows", e.now.Add(-time.Minute))
		if i%25 == 0 {
			refs = append(refs, h.Identifier)
		}
	}
	c := &caller{Scope: osaudit.Scope{Role: osaudit.RoleProviderAdmin}}
	for b.Loop() {
		ids, err := a.hostRefs(context.Background(), c, 0, nil, refs)
		if err != nil || len(ids) != len(refs) {
			b.Fatal(len(ids), err)
		}
	}
}
