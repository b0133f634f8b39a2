package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
)

func testCustomers(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	if a.ID <= 0 || b.ID <= a.ID {
		t.Errorf("customer IDs %d, %d: want positive and rising", a.ID, b.ID)
	}
	near(t, "CreatedAt", a.CreatedAt)

	got, err := s.Customer(ctx, a.ID)
	must(t, "customer", err)
	diff(t, "Customer", got, a)
	got, err = s.CustomerByName(ctx, "globex")
	must(t, "customer by name", err)
	diff(t, "CustomerByName", got, b)
	all, err := s.Customers(ctx)
	must(t, "customers", err)
	diff(t, "Customers", all, []*osaudit.Customer{a, b})

	for _, tc := range []struct {
		name string
		c    *osaudit.Customer
		want string
	}{
		{"duplicate", &osaudit.Customer{Name: "acme"}, osaudit.ECONFLICT},
		{"empty name", &osaudit.Customer{}, osaudit.EINVALID},
		{"long name", &osaudit.Customer{Name: strings.Repeat("x", 256)}, osaudit.EINVALID},
		{"invalid UTF-8", &osaudit.Customer{Name: "bad\xff"}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
		{"same name, other case", &osaudit.Customer{Name: "ACME"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "create customer", s.CreateCustomer(ctx, tc.c), tc.want)
		})
	}

	_, err = s.Customer(ctx, 9999)
	code(t, "missing customer", err, osaudit.ENOTFOUND)
	_, err = s.CustomerByName(ctx, "nobody")
	code(t, "missing customer by name", err, osaudit.ENOTFOUND)
}

func testDeleteCustomer(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	h := newHost(t, s, a.ID, "host-a")

	code(t, "delete customer with hosts", s.DeleteCustomer(ctx, a.ID), osaudit.ECONFLICT)
	must(t, "delete host", s.DeleteHost(ctx, h.ID))

	// A provider pack that targets the customer keeps it: deleting it would
	// widen the pack to every customer.
	p := &osaudit.Pack{Name: "only-acme", Targets: osaudit.PackTargets{CustomerIDs: []int64{a.ID}}}
	must(t, "save pack", s.SavePack(ctx, p))
	code(t, "delete targeted customer", s.DeleteCustomer(ctx, a.ID), osaudit.ECONFLICT)
	must(t, "delete pack", s.DeletePack(ctx, p.ID))

	// So does a provider pack targeting one of its labels.
	l := newLabel(t, s, a.ID, "acme-servers")
	p = &osaudit.Pack{Name: "acme-label", Targets: osaudit.PackTargets{LabelIDs: []int64{l.ID}}}
	must(t, "save pack", s.SavePack(ctx, p))
	code(t, "delete customer whose label is targeted", s.DeleteCustomer(ctx, a.ID), osaudit.ECONFLICT)
	must(t, "delete pack", s.DeletePack(ctx, p.ID))

	// Its own objects go with it.
	sec := &osaudit.EnrollSecret{CustomerID: a.ID, Name: "default", Hash: hash("acme secret")}
	must(t, "create secret", s.CreateEnrollSecret(ctx, sec))
	q := &osaudit.Query{CustomerID: a.ID, Name: "procs", SQL: "SELECT 1"}
	must(t, "save query", s.SaveQuery(ctx, q))
	own := &osaudit.Pack{CustomerID: a.ID, Name: "own", Targets: osaudit.PackTargets{LabelIDs: []int64{l.ID}}}
	must(t, "save own pack", s.SavePack(ctx, own))
	u := &osaudit.User{Email: "ann@acme.example", Role: osaudit.RoleCustomerAdmin, CustomerID: a.ID}
	must(t, "create user", s.CreateUser(ctx, u))
	tok := &osaudit.APIToken{Name: "ci", Hash: hash("acme token"), Role: osaudit.RoleCustomerAdmin, CustomerID: a.ID}
	must(t, "create token", s.CreateToken(ctx, tok))
	gen := generation(t, s)

	must(t, "delete customer", s.DeleteCustomer(ctx, a.ID))
	if g := generation(t, s); g <= gen {
		t.Errorf("config generation %d after deleting a customer with queries, want > %d", g, gen)
	}
	_, err := s.Customer(ctx, a.ID)
	code(t, "deleted customer", err, osaudit.ENOTFOUND)
	_, err = s.EnrollSecretByHash(ctx, sec.Hash)
	code(t, "deleted customer's secret", err, osaudit.ENOTFOUND)
	_, err = s.Query(ctx, q.ID)
	code(t, "deleted customer's query", err, osaudit.ENOTFOUND)
	_, err = s.Pack(ctx, own.ID)
	code(t, "deleted customer's pack", err, osaudit.ENOTFOUND)
	_, err = s.Label(ctx, l.ID)
	code(t, "deleted customer's label", err, osaudit.ENOTFOUND)
	_, err = s.UserByEmail(ctx, u.Email)
	code(t, "deleted customer's user", err, osaudit.ENOTFOUND)
	_, err = s.TokenByHash(ctx, tok.Hash)
	code(t, "deleted customer's token", err, osaudit.ENOTFOUND)

	code(t, "delete deleted customer", s.DeleteCustomer(ctx, a.ID), osaudit.ENOTFOUND)
	all, err := s.Customers(ctx)
	must(t, "customers", err)
	diff(t, "customers left", all, []*osaudit.Customer{b})

	// IDs are not reused.
	c := newCustomer(t, s, "acme")
	if c.ID == a.ID {
		t.Errorf("a new customer reused deleted customer ID %d", a.ID)
	}
}

func testEnrollSecrets(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	s1 := &osaudit.EnrollSecret{CustomerID: a.ID, Name: "default", Hash: hash("s1")}
	must(t, "create secret", s.CreateEnrollSecret(ctx, s1))
	s2 := &osaudit.EnrollSecret{CustomerID: a.ID, Name: "rotated", Hash: hash("s2")}
	must(t, "create secret", s.CreateEnrollSecret(ctx, s2))
	s3 := &osaudit.EnrollSecret{CustomerID: b.ID, Name: "default", Hash: hash("s3")}
	must(t, "create secret", s.CreateEnrollSecret(ctx, s3))
	if s1.ID <= 0 || s2.ID <= s1.ID {
		t.Errorf("secret IDs %d, %d", s1.ID, s2.ID)
	}
	near(t, "CreatedAt", s1.CreatedAt)

	got, err := s.EnrollSecretByHash(ctx, hash("s2"))
	must(t, "secret by hash", err)
	diff(t, "EnrollSecretByHash", got, s2)
	list, err := s.EnrollSecrets(ctx, a.ID)
	must(t, "secrets", err)
	diff(t, "EnrollSecrets", list, []*osaudit.EnrollSecret{s1, s2})

	at := micro(time.Now().Add(-time.Hour)).UTC()
	must(t, "revoke", s.RevokeEnrollSecret(ctx, s1.ID, at))
	_, err = s.EnrollSecretByHash(ctx, hash("s1"))
	code(t, "revoked secret by hash", err, osaudit.ENOTFOUND)
	list, err = s.EnrollSecrets(ctx, a.ID)
	must(t, "secrets", err)
	if len(list) != 2 || list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(at) || list[1].RevokedAt != nil {
		t.Errorf("after revoking %d at %v: %+v", s1.ID, at, list)
	}

	code(t, "revoke missing", s.RevokeEnrollSecret(ctx, 9999, at), osaudit.ENOTFOUND)
	_, err = s.EnrollSecretByHash(ctx, hash("never"))
	code(t, "unknown hash", err, osaudit.ENOTFOUND)
	_, err = s.EnrollSecretByHash(ctx, nil)
	code(t, "empty hash", err, osaudit.ENOTFOUND)
	list, err = s.EnrollSecrets(ctx, 9999)
	must(t, "secrets of unknown customer", err)
	if len(list) != 0 {
		t.Errorf("secrets of an unknown customer: %v", list)
	}

	for _, tc := range []struct {
		name string
		e    *osaudit.EnrollSecret
		want string
	}{
		{"duplicate hash", &osaudit.EnrollSecret{CustomerID: b.ID, Hash: hash("s1")}, osaudit.ECONFLICT},
		{"no hash", &osaudit.EnrollSecret{CustomerID: a.ID}, osaudit.EINVALID},
		{"no customer", &osaudit.EnrollSecret{Hash: hash("x")}, osaudit.EINVALID},
		{"unknown customer", &osaudit.EnrollSecret{CustomerID: 9999, Hash: hash("y")}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "create secret", s.CreateEnrollSecret(ctx, tc.e), tc.want)
		})
	}
}
