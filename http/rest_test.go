package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/sqlite"
)

// restEnv is a REST server over TLS on loopback with an in-memory store,
// two customers (acme, globex) and tokens of every role.
type restEnv struct {
	t      testing.TB
	store  osaudit.Store
	server *Server
	srv    *httptest.Server
	now    time.Time

	acme, globex                    *osaudit.Customer
	provider, acmeAdmin, acmeViewer string
	globexAdmin                     string
	acmeHost, acmeHost2, globexHost *osaudit.Host
}

// forEachStore runs a test on each store the server has: SQLite for now
// (PostgreSQL to come).
func forEachStore(t *testing.T, test func(*testing.T, *restEnv)) {
	t.Run("sqlite", func(t *testing.T) { test(t, newRestEnv(t)) })
}

// newRestEnv is a REST server over a fresh SQLite store.
func newRestEnv(t testing.TB) *restEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "osaudit.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newRestEnvOn(t, st)
}

func newRestEnvOn(t testing.TB, st osaudit.Store) *restEnv {
	t.Helper()
	e := &restEnv{t: t, store: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e.server = &Server{Store: e.store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return e.now }}
	e.srv = httptest.NewTLSServer(e.server.Handler())
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	e.acme = &osaudit.Customer{Name: "acme"}
	e.globex = &osaudit.Customer{Name: "globex"}
	for _, c := range []*osaudit.Customer{e.acme, e.globex} {
		if err := e.store.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	e.provider = e.token(osaudit.RoleProviderAdmin, 0)
	e.acmeAdmin = e.token(osaudit.RoleCustomerAdmin, e.acme.ID)
	e.acmeViewer = e.token(osaudit.RoleCustomerViewer, e.acme.ID)
	e.globexAdmin = e.token(osaudit.RoleCustomerAdmin, e.globex.ID)
	e.acmeHost = e.host(e.acme.ID, "acme-web-1", "ubuntu", e.now.Add(-30*time.Second))
	e.acmeHost2 = e.host(e.acme.ID, "acme-dc-1", "windows", e.now.Add(-time.Hour))
	e.globexHost = e.host(e.globex.ID, "globex-db-1", "rhel", e.now.Add(-10*time.Second))
	return e
}

var tokenCount int

func (e *restEnv) token(role osaudit.Role, customerID int64) string {
	e.t.Helper()
	tokenCount++
	tok := fmt.Sprintf("test-token-%d-%s", tokenCount, role)
	h := sha256.Sum256([]byte(tok))
	if err := e.store.CreateToken(context.Background(), &osaudit.APIToken{Name: string(role), Role: role, CustomerID: customerID, Hash: h[:]}); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *restEnv) host(customerID int64, hostname, platform string, seen time.Time) *osaudit.Host {
	e.t.Helper()
	h := &osaudit.Host{CustomerID: customerID, Identifier: "uuid-" + hostname, Hostname: hostname, Platform: platform, NodeKeyHash: manager.HashKey("node-key-" + hostname),
		OSName: strings.ToUpper(platform[:1]) + platform[1:], OSVersion: "1.0", LastSeen: seen,
		Details: map[string][]map[string]string{"system_info": {{"hostname": hostname}}}}
	if err := e.store.EnrollHost(context.Background(), h); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.TouchHosts(context.Background(), map[int64]time.Time{h.ID: seen}); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// do sends a request; body is JSON-encoded unless it is a string or []byte.
func (e *restEnv) do(token, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// call sends a request, checks its status, and decodes the answer into out
// (if not nil).
func (e *restEnv) call(token, method, path string, body any, want int, out any) {
	e.t.Helper()
	status, b := e.do(token, method, path, body)
	if status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// errorCode sends a request that must fail and returns its status and code.
func (e *restEnv) errorCode(token, method, path string, body any) (int, string, string) {
	e.t.Helper()
	status, b := e.do(token, method, path, body)
	var eb errorBody
	if err := json.Unmarshal(b, &eb); err != nil {
		e.t.Fatalf("%s %s: status %d, body is not a JSON error: %s", method, path, status, b)
	}
	return status, eb.Error.Code, eb.Error.Message
}

type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func names[T any](items []T, name func(T) string) []string {
	out := []string{}
	for _, x := range items {
		out = append(out, name(x))
	}
	return out
}

func TestRESTAuth(t *testing.T) { forEachStore(t, testRESTAuth) }

func testRESTAuth(t *testing.T, e *restEnv) {
	for _, tc := range []struct {
		name, header string
	}{
		{"no header", ""},
		{"basic scheme", "Basic dXNlcjpwYXNz"},
		{"empty bearer", "Bearer "},
		{"unknown token", "Bearer nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/hosts", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb errorBody
			json.NewDecoder(resp.Body).Decode(&eb)
			if resp.StatusCode != 401 || eb.Error.Code != osaudit.EUNAUTHORIZED {
				t.Errorf("got %d %q, want 401 %q", resp.StatusCode, eb.Error.Code, osaudit.EUNAUTHORIZED)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
		})
	}
	t.Run("me", func(t *testing.T) {
		var me struct {
			Role       osaudit.Role `json:"role"`
			CustomerID int64        `json:"customer_id"`
			Customer   string       `json:"customer"`
		}
		e.call(e.acmeViewer, "GET", "/api/v1/me", nil, 200, &me)
		if me.Role != osaudit.RoleCustomerViewer || me.CustomerID != e.acme.ID || me.Customer != "acme" {
			t.Errorf("me = %+v", me)
		}
	})
	t.Run("last use recorded", func(t *testing.T) {
		toks, _ := e.store.Tokens(context.Background(), osaudit.Scope{Role: osaudit.RoleProviderAdmin})
		for _, tok := range toks {
			if tok.Role == osaudit.RoleCustomerViewer && tok.CustomerID == e.acme.ID && !tok.LastUsedAt.Equal(e.now) {
				t.Errorf("LastUsedAt = %v, want %v", tok.LastUsedAt, e.now)
			}
		}
	})
}

func TestRESTErrors(t *testing.T) { forEachStore(t, testRESTErrors) }

func testRESTErrors(t *testing.T, e *restEnv) {
	big := `{"name": "` + strings.Repeat("x", 2<<20) + `"}`
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code, msg          string
	}{
		{"unknown route", "GET", "/api/v1/nothing", nil, 404, osaudit.ENOTFOUND, "no endpoint"},
		{"unknown id", "GET", "/api/v1/queries/999", nil, 404, osaudit.ENOTFOUND, "no query 999"},
		{"non-numeric id", "GET", "/api/v1/packs/abc", nil, 404, osaudit.ENOTFOUND, ""},
		{"malformed JSON", "POST", "/api/v1/queries", "{not json", 400, osaudit.EINVALID, "malformed JSON"},
		{"empty body", "POST", "/api/v1/queries", "", 400, osaudit.EINVALID, "empty request body"},
		{"unknown field", "POST", "/api/v1/queries", `{"name": "a", "query": "SELECT 1", "colour": 1}`, 400, osaudit.EINVALID, "unknown field"},
		{"trailing data", "POST", "/api/v1/customers", `{"name": "a"} {}`, 400, osaudit.EINVALID, "trailing"},
		{"body over 1 MiB", "POST", "/api/v1/customers", big, 413, osaudit.ETOOLARGE, "over 1048576 bytes"},
		{"bad limit", "GET", "/api/v1/hosts?limit=0", nil, 400, osaudit.EINVALID, "limit"},
		{"limit too big", "GET", "/api/v1/hosts?limit=1001", nil, 400, osaudit.EINVALID, "limit"},
		{"bad cursor", "GET", "/api/v1/hosts?after=x", nil, 400, osaudit.EINVALID, "after"},
		{"bad online", "GET", "/api/v1/hosts?online=maybe", nil, 400, osaudit.EINVALID, "online"},
		{"unknown label filter", "GET", "/api/v1/hosts?label=nope", nil, 400, osaudit.EINVALID, `unknown label "nope"`},
		{"unknown customer filter", "GET", "/api/v1/hosts?customer=initech", nil, 404, osaudit.ENOTFOUND, "no customer"},
		{"bad since", "GET", "/api/v1/results?since=yesterday", nil, 400, osaudit.EINVALID, "since"},
		{"bad action", "GET", "/api/v1/results?action=deleted", nil, 400, osaudit.EINVALID, "action"},
		{"wrong method", "DELETE", "/api/v1/hosts", nil, 404, osaudit.ENOTFOUND, "no endpoint DELETE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, msg := e.errorCode(e.provider, tc.method, tc.path, tc.body)
			if status != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %d %q %q, want %d %q containing %q", status, code, msg, tc.status, tc.code, tc.msg)
			}
		})
	}
}

func TestRESTCustomersAndSecrets(t *testing.T) { forEachStore(t, testRESTCustomersAndSecrets) }

func testRESTCustomersAndSecrets(t *testing.T, e *restEnv) {
	var cu osaudit.Customer
	e.call(e.provider, "POST", "/api/v1/customers", map[string]string{"name": "initech"}, 201, &cu)
	if cu.ID == 0 || cu.Name != "initech" {
		t.Fatalf("created %+v", cu)
	}
	if status, code, _ := e.errorCode(e.provider, "POST", "/api/v1/customers", map[string]string{"name": "initech"}); status != 409 || code != osaudit.ECONFLICT {
		t.Errorf("duplicate customer: %d %s", status, code)
	}
	if status, code, _ := e.errorCode(e.acmeAdmin, "POST", "/api/v1/customers", map[string]string{"name": "x"}); status != 403 || code != osaudit.EFORBIDDEN {
		t.Errorf("customer token creating a customer: %d %s", status, code)
	}
	if status, code, _ := e.errorCode(e.provider, "POST", "/api/v1/customers", map[string]string{"name": "a/b"}); status != 400 || code != osaudit.EINVALID {
		t.Errorf("name with a slash: %d %s", status, code)
	}

	var all page[osaudit.Customer]
	e.call(e.provider, "GET", "/api/v1/customers", nil, 200, &all)
	if got, want := names(all.Items, func(c osaudit.Customer) string { return c.Name }), []string{"acme", "globex", "initech"}; !cmp.Equal(got, want) {
		t.Errorf("provider sees customers %v, want %v", got, want)
	}
	e.call(e.acmeViewer, "GET", "/api/v1/customers", nil, 200, &all)
	if got, want := names(all.Items, func(c osaudit.Customer) string { return c.Name }), []string{"acme"}; !cmp.Equal(got, want) {
		t.Errorf("acme sees customers %v, want %v", got, want)
	}
	e.call(e.provider, "GET", "/api/v1/customers/globex", nil, 200, &cu)
	if status, _, _ := e.errorCode(e.acmeAdmin, "GET", "/api/v1/customers/globex", nil); status != 404 {
		t.Errorf("acme reading globex: %d, want 404", status)
	}

	// Secrets: created (shown once), listed (never shown), rotated, revoked.
	var s1 osaudit.EnrollSecret
	e.call(e.acmeAdmin, "POST", "/api/v1/customers/acme/secrets", map[string]string{"name": "laptops"}, 201, &s1)
	if len(s1.Secret) < 40 || s1.CustomerID != e.acme.ID || s1.Name != "laptops" {
		t.Fatalf("created secret %+v", s1)
	}
	if _, err := e.store.EnrollSecretByHash(context.Background(), hashSecret(s1.Secret)); err != nil {
		t.Errorf("the store does not find the secret by its SHA-256: %v", err)
	}
	status, body := e.do(e.acmeAdmin, "GET", fmt.Sprintf("/api/v1/customers/%d/secrets", e.acme.ID), nil)
	if status != 200 || strings.Contains(string(body), s1.Secret) || strings.Contains(string(body), `"secret"`) {
		t.Errorf("list shows the secret: %d %s", status, body)
	}
	var s2 osaudit.EnrollSecret
	e.call(e.acmeAdmin, "POST", fmt.Sprintf("/api/v1/customers/acme/secrets/%d/rotate", s1.ID), nil, 201, &s2)
	if s2.Secret == "" || s2.Secret == s1.Secret || s2.Name != "laptops" {
		t.Errorf("rotated secret %+v", s2)
	}
	if _, err := e.store.EnrollSecretByHash(context.Background(), hashSecret(s1.Secret)); osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
		t.Errorf("the rotated-out secret still enrolls: %v", err)
	}
	if status, code, _ := e.errorCode(e.acmeAdmin, "POST", fmt.Sprintf("/api/v1/customers/acme/secrets/%d/rotate", s1.ID), nil); status != 409 || code != osaudit.ECONFLICT {
		t.Errorf("rotating a revoked secret: %d %s", status, code)
	}
	for _, tc := range []struct {
		name, token, method, path string
		status                    int
	}{
		{"viewer creates", e.acmeViewer, "POST", "/api/v1/customers/acme/secrets", 403},
		{"other customer lists", e.globexAdmin, "GET", "/api/v1/customers/acme/secrets", 404},
		{"other customer revokes", e.globexAdmin, "DELETE", fmt.Sprintf("/api/v1/customers/acme/secrets/%d", s2.ID), 404},
		{"secret of another customer", e.provider, "DELETE", fmt.Sprintf("/api/v1/customers/globex/secrets/%d", s2.ID), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, _ := e.errorCode(tc.token, tc.method, tc.path, nil); status != tc.status {
				t.Errorf("got %d, want %d", status, tc.status)
			}
		})
	}
	e.call(e.provider, "DELETE", fmt.Sprintf("/api/v1/customers/acme/secrets/%d", s2.ID), nil, 204, nil)
	var secrets page[osaudit.EnrollSecret]
	e.call(e.acmeViewer, "GET", "/api/v1/customers/acme/secrets?revoked=false", nil, 200, &secrets)
	if len(secrets.Items) != 0 {
		t.Errorf("unrevoked secrets after revoking all: %+v", secrets.Items)
	}

	// Deleting a customer with hosts conflicts; without, works.
	if status, code, _ := e.errorCode(e.provider, "DELETE", "/api/v1/customers/acme", nil); status != 409 || code != osaudit.ECONFLICT {
		t.Errorf("deleting a customer with hosts: %d %s", status, code)
	}
	e.call(e.provider, "DELETE", "/api/v1/customers/initech", nil, 204, nil)
}

func TestRESTHosts(t *testing.T) { forEachStore(t, testRESTHosts) }

func testRESTHosts(t *testing.T, e *restEnv) {
	hostnames := func(token, path string) []string {
		t.Helper()
		var p page[hostView]
		e.call(token, "GET", path, nil, 200, &p)
		return names(p.Items, func(h hostView) string { return h.Hostname })
	}
	for _, tc := range []struct {
		name, token, path string
		want              []string
	}{
		{"provider sees all", e.provider, "/api/v1/hosts", []string{"acme-web-1", "acme-dc-1", "globex-db-1"}},
		{"acme sees its own", e.acmeViewer, "/api/v1/hosts", []string{"acme-web-1", "acme-dc-1"}},
		{"globex sees its own", e.globexAdmin, "/api/v1/hosts", []string{"globex-db-1"}},
		{"acme cannot filter to globex", e.acmeViewer, "/api/v1/hosts?search=globex", []string{}},
		{"provider filters by customer", e.provider, "/api/v1/hosts?customer=globex", []string{"globex-db-1"}},
		{"platform", e.provider, "/api/v1/hosts?platform=windows", []string{"acme-dc-1"}},
		{"search", e.provider, "/api/v1/hosts?search=web", []string{"acme-web-1"}},
		{"hostname", e.provider, "/api/v1/hosts?hostname=ACME-DC-1", []string{"acme-dc-1"}},
		{"online", e.provider, "/api/v1/hosts?online=true", []string{"acme-web-1", "globex-db-1"}},
		{"offline", e.acmeAdmin, "/api/v1/hosts?online=false", []string{"acme-dc-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := hostnames(tc.token, tc.path); !cmp.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if status, _, _ := e.errorCode(e.acmeAdmin, "GET", "/api/v1/hosts?customer=globex", nil); status != 404 {
		t.Errorf("acme filtering on globex: %d, want 404", status)
	}

	t.Run("pagination", func(t *testing.T) {
		var got []string
		path := "/api/v1/hosts?limit=1"
		for i := 0; i < 10; i++ {
			var p page[hostView]
			e.call(e.provider, "GET", path, nil, 200, &p)
			got = append(got, names(p.Items, func(h hostView) string { return h.Hostname })...)
			if p.Next == "" {
				break
			}
			path = "/api/v1/hosts?limit=1&after=" + p.Next
		}
		if want := []string{"acme-web-1", "acme-dc-1", "globex-db-1"}; !cmp.Equal(got, want) {
			t.Errorf("pages: %v, want %v", got, want)
		}
		var p page[hostView]
		e.call(e.provider, "GET", "/api/v1/hosts?online=true&limit=1", nil, 200, &p)
		if len(p.Items) != 1 || p.Next == "" {
			t.Errorf("online page of 1: %+v", p)
		}
		after := p.Next
		p = page[hostView]{}
		e.call(e.provider, "GET", "/api/v1/hosts?online=true&limit=1&after="+after, nil, 200, &p)
		if got := names(p.Items, func(h hostView) string { return h.Hostname }); !cmp.Equal(got, []string{"globex-db-1"}) || p.Next != "" {
			t.Errorf("second online page: %v next %q", got, p.Next)
		}
	})

	t.Run("get", func(t *testing.T) {
		var h hostView
		e.call(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/hosts/%d", e.acmeHost.ID), nil, 200, &h)
		if h.Hostname != "acme-web-1" || !h.Online || h.Details["system_info"][0]["hostname"] != "acme-web-1" {
			t.Errorf("host %+v", h)
		}
		if status, code, _ := e.errorCode(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/hosts/%d", e.globexHost.ID), nil); status != 404 || code != osaudit.ENOTFOUND {
			t.Errorf("acme reading globex's host: %d %s", status, code)
		}
		_, body := e.do(e.provider, "GET", "/api/v1/hosts", nil)
		if strings.Contains(string(body), "details") {
			t.Errorf("host lists carry details: %s", body)
		}
	})

	t.Run("counts", func(t *testing.T) {
		var c osaudit.HostCounts
		e.call(e.acmeViewer, "GET", "/api/v1/hosts/counts", nil, 200, &c)
		want := osaudit.HostCounts{Total: 2, Online: 1, ByPlatform: map[string]int64{"ubuntu": 1, "windows": 1}, ByOS: map[string]int64{"Ubuntu 1.0": 1, "Windows 1.0": 1}}
		if diff := cmp.Diff(c, want); diff != "" {
			t.Errorf("acme counts (-got +want):\n%s", diff)
		}
		e.call(e.provider, "GET", "/api/v1/hosts/counts", nil, 200, &c)
		if c.Total != 3 || c.Online != 2 {
			t.Errorf("provider counts %+v", c)
		}
	})

	t.Run("revoke and delete", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/hosts/%d", e.acmeHost2.ID)
		if status, code, _ := e.errorCode(e.acmeViewer, "DELETE", path, nil); status != 403 || code != osaudit.EFORBIDDEN {
			t.Errorf("viewer deletes: %d %s", status, code)
		}
		if status, _, _ := e.errorCode(e.globexAdmin, "POST", path+"/revoke", nil); status != 404 {
			t.Errorf("globex revokes acme's host: %d", status)
		}
		e.call(e.acmeAdmin, "POST", path+"/revoke", nil, 204, nil)
		e.call(e.acmeAdmin, "DELETE", path, nil, 204, nil)
		if status, _, _ := e.errorCode(e.acmeAdmin, "GET", path, nil); status != 404 {
			t.Errorf("deleted host: %d", status)
		}
	})
}

func TestRESTSessions(t *testing.T) { forEachStore(t, testRESTSessions) }

func testRESTSessions(t *testing.T, e *restEnv) {
	hash, err := manager.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateUser(context.Background(), &osaudit.User{Email: "soc@acme.example", Role: osaudit.RoleCustomerViewer, CustomerID: e.acme.ID, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	var tok osaudit.APIToken
	e.call("", "POST", "/api/v1/sessions", map[string]string{"email": "soc@acme.example", "password": "correct horse"}, 201, &tok)
	var me struct {
		Role     osaudit.Role `json:"role"`
		Customer string       `json:"customer"`
	}
	e.call(tok.Token, "GET", "/api/v1/me", nil, 200, &me)
	if me.Role != osaudit.RoleCustomerViewer || me.Customer != "acme" {
		t.Errorf("signed-in token: %+v", me)
	}
	for _, body := range []map[string]string{
		{"email": "soc@acme.example", "password": "wrong horse"},
		{"email": "nobody@acme.example", "password": "correct horse"},
	} {
		if status, code, _ := e.errorCode("", "POST", "/api/v1/sessions", body); status != 401 || code != osaudit.EUNAUTHORIZED {
			t.Errorf("%v: %d %s", body, status, code)
		}
	}
	limited := false
	for i := 0; i < signInBurst+1 && !limited; i++ {
		status, _, _ := e.errorCode("", "POST", "/api/v1/sessions", map[string]string{"email": "x"})
		limited = status == 429
	}
	if !limited {
		t.Error("sign-in attempts are not rate-limited")
	}
}
