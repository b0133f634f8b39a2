package storetest

import (
	"testing"
	"time"

	"github.com/osaudit/osaudit"
)

func testUsers(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	root := &osaudit.User{Email: "root@provider.example", Name: "Root", PasswordHash: []byte("$2a$10$hash"), Role: osaudit.RoleProviderAdmin}
	must(t, "create provider admin", s.CreateUser(ctx, root))
	if root.ID <= 0 {
		t.Fatalf("user ID %d", root.ID)
	}
	near(t, "CreatedAt", root.CreatedAt)
	ann := &osaudit.User{Email: "ann@acme.example", Role: osaudit.RoleCustomerAdmin, CustomerID: a.ID}
	must(t, "create customer admin", s.CreateUser(ctx, ann))
	bob := &osaudit.User{Email: "bob@globex.example", Role: osaudit.RoleCustomerViewer, CustomerID: b.ID}
	must(t, "create viewer", s.CreateUser(ctx, bob))

	got, err := s.UserByEmail(ctx, "root@provider.example")
	must(t, "user by email", err)
	diff(t, "UserByEmail", got, root)
	got, err = s.UserByEmail(ctx, "ANN@acme.example")
	must(t, "user by email, other case", err)
	diff(t, "UserByEmail ignoring case", got, ann)
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	code(t, "missing user", err, osaudit.ENOTFOUND)

	for _, tc := range []struct {
		name string
		u    *osaudit.User
		want string
	}{
		{"duplicate email", &osaudit.User{Email: "ann@acme.example", Role: osaudit.RoleCustomerViewer, CustomerID: a.ID}, osaudit.ECONFLICT},
		{"duplicate email, other case", &osaudit.User{Email: "Ann@Acme.example", Role: osaudit.RoleCustomerViewer, CustomerID: a.ID}, osaudit.ECONFLICT},
		{"no email", &osaudit.User{Role: osaudit.RoleProviderAdmin}, osaudit.EINVALID},
		{"unknown role", &osaudit.User{Email: "x@example.com", Role: "superuser"}, osaudit.EINVALID},
		{"customer role without customer", &osaudit.User{Email: "x@example.com", Role: osaudit.RoleCustomerAdmin}, osaudit.EINVALID},
		{"provider admin with customer", &osaudit.User{Email: "x@example.com", Role: osaudit.RoleProviderAdmin, CustomerID: a.ID}, osaudit.EINVALID},
		{"unknown customer", &osaudit.User{Email: "x@example.com", Role: osaudit.RoleCustomerAdmin, CustomerID: 9999}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "create user", s.CreateUser(ctx, tc.u), tc.want)
		})
	}

	userIDs := func(us []*osaudit.User) []int64 { return ids(us, func(u *osaudit.User) int64 { return u.ID }) }
	for _, tc := range []struct {
		name  string
		scope osaudit.Scope
		want  []int64
	}{
		{"provider", provider, []int64{root.ID, ann.ID, bob.ID}},
		{"customer a", admin(a.ID), []int64{ann.ID}},
		{"customer b viewer", osaudit.Scope{Role: osaudit.RoleCustomerViewer, CustomerID: b.ID}, []int64{bob.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, err := s.Users(ctx, tc.scope)
			must(t, "users", err)
			diff(t, "visible users", userIDs(us), tc.want)
		})
	}
}

func testTokens(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	ann := &osaudit.User{Email: "ann@acme.example", Role: osaudit.RoleCustomerAdmin, CustomerID: a.ID}
	must(t, "create user", s.CreateUser(ctx, ann))
	pt := &osaudit.APIToken{Name: "provider ci", Hash: hash("t1"), Role: osaudit.RoleProviderAdmin}
	must(t, "create provider token", s.CreateToken(ctx, pt))
	if pt.ID <= 0 {
		t.Fatalf("token ID %d", pt.ID)
	}
	near(t, "CreatedAt", pt.CreatedAt)
	at := &osaudit.APIToken{Name: "ann's", Hash: hash("t2"), Role: osaudit.RoleCustomerAdmin, CustomerID: a.ID, UserID: ann.ID}
	must(t, "create user token", s.CreateToken(ctx, at))
	bt := &osaudit.APIToken{Name: "viewer", Hash: hash("t3"), Role: osaudit.RoleCustomerViewer, CustomerID: b.ID}
	must(t, "create", s.CreateToken(ctx, bt))

	got, err := s.TokenByHash(ctx, hash("t2"))
	must(t, "token by hash", err)
	diff(t, "TokenByHash", got, at)
	_, err = s.TokenByHash(ctx, hash("nope"))
	code(t, "unknown token", err, osaudit.ENOTFOUND)
	_, err = s.TokenByHash(ctx, nil)
	code(t, "empty hash", err, osaudit.ENOTFOUND)

	used := micro(time.Now()).UTC()
	must(t, "touch", s.TouchToken(ctx, at.ID, used))
	must(t, "touch older", s.TouchToken(ctx, at.ID, used.Add(-time.Hour)))
	got, err = s.TokenByHash(ctx, hash("t2"))
	must(t, "token by hash", err)
	if !got.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt %v, want %v", got.LastUsedAt, used)
	}
	code(t, "touch missing", s.TouchToken(ctx, 9999, used), osaudit.ENOTFOUND)

	for _, tc := range []struct {
		name string
		tok  *osaudit.APIToken
		want string
	}{
		{"duplicate hash", &osaudit.APIToken{Hash: hash("t1"), Role: osaudit.RoleProviderAdmin}, osaudit.ECONFLICT},
		{"no hash", &osaudit.APIToken{Role: osaudit.RoleProviderAdmin}, osaudit.EINVALID},
		{"unknown role", &osaudit.APIToken{Hash: hash("x"), Role: "root"}, osaudit.EINVALID},
		{"customer role without customer", &osaudit.APIToken{Hash: hash("x"), Role: osaudit.RoleCustomerViewer}, osaudit.EINVALID},
		{"unknown customer", &osaudit.APIToken{Hash: hash("x"), Role: osaudit.RoleCustomerViewer, CustomerID: 9999}, osaudit.EINVALID},
		{"user of another customer", &osaudit.APIToken{Hash: hash("x"), Role: osaudit.RoleCustomerAdmin, CustomerID: b.ID, UserID: ann.ID}, osaudit.EINVALID},
		{"unknown user", &osaudit.APIToken{Hash: hash("x"), Role: osaudit.RoleProviderAdmin, UserID: 9999}, osaudit.EINVALID},
		{"nil", nil, osaudit.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "create token", s.CreateToken(ctx, tc.tok), tc.want)
		})
	}

	tokenIDs := func(ts []*osaudit.APIToken) []int64 { return ids(ts, func(t *osaudit.APIToken) int64 { return t.ID }) }
	for _, tc := range []struct {
		name  string
		scope osaudit.Scope
		want  []int64
	}{
		{"provider", provider, []int64{pt.ID, at.ID, bt.ID}},
		{"customer a", admin(a.ID), []int64{at.ID}},
		{"customer b", admin(b.ID), []int64{bt.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := s.Tokens(ctx, tc.scope)
			must(t, "tokens", err)
			diff(t, "visible tokens", tokenIDs(ts), tc.want)
		})
	}

	must(t, "delete", s.DeleteToken(ctx, at.ID))
	_, err = s.TokenByHash(ctx, hash("t2"))
	code(t, "deleted token", err, osaudit.ENOTFOUND)
	code(t, "delete again", s.DeleteToken(ctx, at.ID), osaudit.ENOTFOUND)
}
