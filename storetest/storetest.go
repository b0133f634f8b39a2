// Package storetest is the conformance suite of osaudit.Store: every
// store (package sqlite, later PostgreSQL) runs it from its own tests with
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) osaudit.Store { ... a fresh, empty store ... })
//	}
//
// The suite pins the behaviour the manager relies on beyond the method
// signatures: domain error codes, scope filtering, pagination order, the
// config generation, and how odd input (invalid UTF-8, SQL-looking
// strings) is stored. Stores keep times at microsecond precision.
package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit"
)

// Run runs the suite. open returns a fresh, empty store for one subtest;
// the suite closes it.
func Run(t *testing.T, open func(t *testing.T) osaudit.Store) {
	suites := []struct {
		name string
		fn   func(t *testing.T, s osaudit.Store)
	}{
		{"Customers", testCustomers},
		{"DeleteCustomer", testDeleteCustomer},
		{"EnrollSecrets", testEnrollSecrets},
		{"EnrollHost", testEnrollHost},
		{"Hosts", testHosts},
		{"HostsPagination", testHostsPagination},
		{"HostAuth", testHostAuth},
		{"UpdateHostDetails", testUpdateHostDetails},
		{"TouchHosts", testTouchHosts},
		{"RevokeAndDeleteHost", testRevokeAndDeleteHost},
		{"CountHosts", testCountHosts},
		{"Queries", testQueries},
		{"Packs", testPacks},
		{"PackScope", testPackScope},
		{"Labels", testLabels},
		{"LabelMembership", testLabelMembership},
		{"ConfigGeneration", testConfigGeneration},
		{"Campaigns", testCampaigns},
		{"CampaignResults", testCampaignResults},
		{"Results", testResults},
		{"ResultsPagination", testResultsPagination},
		{"Statuses", testStatuses},
		{"PruneResults", testPruneResults},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"InvalidUTF8", testInvalidUTF8},
		{"Injection", testInjection},
		{"Concurrency", testConcurrency},
	}
	for _, sc := range suites {
		t.Run(sc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			sc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// provider and customer return scopes.
var provider = osaudit.Scope{Role: osaudit.RoleProviderAdmin}

func admin(customerID int64) osaudit.Scope {
	return osaudit.Scope{Role: osaudit.RoleCustomerAdmin, CustomerID: customerID}
}

// code checks that err carries the domain error code want ("" for nil).
func code(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := osaudit.ErrorCode(err); got != want {
		t.Errorf("%s: error %v has code %q, want %q", what, err, got, want)
	}
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// diff reports a difference between got and want.
func diff(t *testing.T, what string, got, want any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s: mismatch (-want +got):\n%s", what, d)
	}
}

var seq atomic.Int64

// hash returns a distinct 32-byte hash for name.
func hash(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

func newCustomer(t *testing.T, s osaudit.Store, name string) *osaudit.Customer {
	t.Helper()
	c := &osaudit.Customer{Name: name}
	must(t, "create customer "+name, s.CreateCustomer(ctx, c))
	return c
}

func newHost(t *testing.T, s osaudit.Store, customerID int64, identifier string) *osaudit.Host {
	t.Helper()
	h := &osaudit.Host{
		CustomerID:  customerID,
		Identifier:  identifier,
		NodeKeyHash: hash(fmt.Sprintf("node key %s %d", identifier, seq.Add(1))),
		Hostname:    identifier,
		Platform:    "ubuntu",
		OSName:      "Ubuntu",
		OSVersion:   "22.04",
	}
	must(t, "enroll "+identifier, s.EnrollHost(ctx, h))
	return h
}

func newLabel(t *testing.T, s osaudit.Store, customerID int64, name string) *osaudit.Label {
	t.Helper()
	l := &osaudit.Label{CustomerID: customerID, Name: name, Manual: true}
	must(t, "save label "+name, s.SaveLabel(ctx, l))
	return l
}

func ids[T any](xs []T, id func(T) int64) []int64 {
	out := []int64{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func hostIDs(hs []*osaudit.Host) []int64 { return ids(hs, func(h *osaudit.Host) int64 { return h.ID }) }

// near checks that a time the store set is close to now.
func near(t *testing.T, what string, got time.Time) {
	t.Helper()
	if d := time.Since(got); got.IsZero() || d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, got)
	}
}

// generation returns the config generation.
func generation(t *testing.T, s osaudit.Store) int64 {
	t.Helper()
	g, err := s.ConfigGeneration(ctx)
	must(t, "config generation", err)
	return g
}

// micro truncates t to the stores' precision.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }
