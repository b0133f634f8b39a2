package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// The REST API under /api/v1/ (docs/api.md): token auth, JSON bodies of at
// most maxRESTBody bytes, JSON errors through writeError, keyset
// pagination, and every read filtered by the caller's scope. The agent API
// owns /api/v1/osquery/*.

const (
	maxRESTBody  = 1 << 20 // request bodies
	defaultLimit = 100
	maxLimit     = 1000
	// touchEvery spaces the writes of a token's last use.
	touchEvery = time.Minute
	// defaultOnlineWindow is how recently a host must have checked in to
	// count as online when the server does not say otherwise.
	defaultOnlineWindow = 2 * time.Minute
)

// caller is who makes a REST request.
type caller struct {
	Scope osaudit.Scope
	Token *osaudit.APIToken
}

// canWrite fails with EFORBIDDEN unless the caller may change objects of
// the customer (0: the provider's).
func (c *caller) canWrite(customerID int64) error {
	if !c.Scope.CanWrite(customerID) {
		if c.Scope.Role == osaudit.RoleCustomerViewer {
			return osaudit.Errorf(osaudit.EFORBIDDEN, "this token is read-only")
		}
		if customerID == 0 {
			return osaudit.Errorf(osaudit.EFORBIDDEN, "only the provider may change the provider's objects")
		}
		return osaudit.Errorf(osaudit.EFORBIDDEN, "this token may not change another customer's objects")
	}
	return nil
}

// provider fails with EFORBIDDEN unless the caller has the provider's scope.
func (c *caller) provider() error {
	if c.Scope.Role != osaudit.RoleProviderAdmin {
		return osaudit.Errorf(osaudit.EFORBIDDEN, "this needs a provider token")
	}
	return nil
}

// restHandler is a REST endpoint: it writes its answer or returns an error
// for writeError.
type restHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

// rest serves the REST API for a Server.
type rest struct {
	*Server
}

// restRoute is one REST endpoint.
type restRoute struct {
	pattern string // "METHOD /path", as http.ServeMux takes it
	handler restHandler
}

// routes lists the REST endpoints that need a token.
func (a rest) routes() []restRoute {
	queries, packs, labels := a.queries(), a.packs(), a.labels()
	return []restRoute{
		{"GET /api/v1/me", a.me},
		{"GET /api/v1/customers", a.listCustomers},
		{"POST /api/v1/customers", a.createCustomer},
		{"GET /api/v1/customers/{customer}", a.getCustomer},
		{"DELETE /api/v1/customers/{customer}", a.deleteCustomer},
		{"GET /api/v1/customers/{customer}/secrets", a.listSecrets},
		{"POST /api/v1/customers/{customer}/secrets", a.createSecret},
		{"POST /api/v1/customers/{customer}/secrets/{id}/rotate", a.rotateSecret},
		{"DELETE /api/v1/customers/{customer}/secrets/{id}", a.revokeSecret},
		{"GET /api/v1/hosts", a.listHosts},
		{"GET /api/v1/hosts/counts", a.countHosts},
		{"GET /api/v1/hosts/{id}", a.getHost},
		{"DELETE /api/v1/hosts/{id}", a.deleteHost},
		{"POST /api/v1/hosts/{id}/revoke", a.revokeHost},
		{"GET /api/v1/queries", queries.listHandler},
		{"POST /api/v1/queries", queries.createHandler},
		{"GET /api/v1/queries/{id}", queries.getHandler},
		{"PUT /api/v1/queries/{id}", queries.updateHandler},
		{"DELETE /api/v1/queries/{id}", queries.deleteHandler},
		{"GET /api/v1/packs", packs.listHandler},
		{"POST /api/v1/packs", packs.createHandler},
		{"GET /api/v1/packs/{id}", packs.getHandler},
		{"PUT /api/v1/packs/{id}", packs.updateHandler},
		{"DELETE /api/v1/packs/{id}", packs.deleteHandler},
		{"GET /api/v1/labels", labels.listHandler},
		{"POST /api/v1/labels", labels.createHandler},
		{"GET /api/v1/labels/{id}", labels.getHandler},
		{"PUT /api/v1/labels/{id}", labels.updateHandler},
		{"DELETE /api/v1/labels/{id}", labels.deleteHandler},
		{"GET /api/v1/labels/{id}/hosts", a.labelHosts},
		{"POST /api/v1/labels/{id}/hosts", a.editLabelHosts},
		{"POST /api/v1/campaigns", a.createCampaign},
		{"GET /api/v1/campaigns/{id}", a.getCampaign},
		{"GET /api/v1/campaigns/{id}/results", a.campaignResults},
		{"GET /api/v1/campaigns/{id}/stream", a.streamCampaign},
		{"GET /api/v1/results", a.listResults},
		{"GET /api/v1/status_logs", a.listStatuses},
		{"GET /api/v1/tokens", a.listTokens},
		{"POST /api/v1/tokens", a.createToken},
		{"DELETE /api/v1/tokens/{id}", a.deleteToken},
		{"POST /api/v1/apply", a.apply},
	}
}

// registerREST adds the REST API under /api/v1/ (token auth).
func (s *Server) registerREST(mux *http.ServeMux) {
	a := rest{s}
	for _, r := range a.routes() {
		mux.Handle(r.pattern, a.auth(r.handler))
	}
	mux.Handle("POST /api/v1/sessions", a.signIn(&signInLimiter{}))

	// Anything else under /api/v1/ (but not the agent API's
	// /api/v1/osquery/*, whose patterns are more specific) is a JSON 404.
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, osaudit.Errorf(osaudit.ENOTFOUND, "no endpoint %s %s", r.Method, r.URL.Path))
	})
}

// auth authenticates the request's bearer token and runs h with its scope.
func (a rest) auth(h restHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.authenticate(r)
		if err == nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRESTBody)
			err = h(w, r, c)
		}
		if err != nil {
			if osaudit.ErrorCode(err) == osaudit.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="osaudit"`)
			}
			writeError(w, r, a.Logger, err)
		}
	})
}

func (a rest) authenticate(r *http.Request) (*caller, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return nil, osaudit.Errorf(osaudit.EUNAUTHORIZED, "missing Authorization: Bearer <token> header")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, osaudit.Errorf(osaudit.EUNAUTHORIZED, "the Authorization header must be Bearer <token>")
	}
	t, err := a.Store.TokenByHash(r.Context(), hashSecret(strings.TrimSpace(token)))
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		return nil, osaudit.Errorf(osaudit.EUNAUTHORIZED, "unknown or deleted token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	switch t.Role {
	case osaudit.RoleProviderAdmin:
	case osaudit.RoleCustomerAdmin, osaudit.RoleCustomerViewer:
		if t.CustomerID == 0 {
			return nil, osaudit.Errorf(osaudit.EUNAUTHORIZED, "token has a customer role but no customer")
		}
	default:
		return nil, osaudit.Errorf(osaudit.EUNAUTHORIZED, "token has an unknown role %q", t.Role)
	}
	now := a.now()
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := a.Store.TouchToken(r.Context(), t.ID, now); err != nil && a.Logger != nil {
			a.Logger.Warn("record token use", "token", t.ID, "err", err)
		}
	}
	return &caller{Scope: osaudit.Scope{Role: t.Role, CustomerID: t.CustomerID}, Token: t}, nil
}

func (a rest) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// configChanged tells the manager that agents' configs may have changed.
func (a rest) configChanged() {
	if a.Manager != nil {
		a.Manager.ConfigChanged()
	}
}

// hashSecret is how enroll secrets and API tokens are kept: SHA-256 of
// the text.
func hashSecret(s string) []byte { return manager.HashKey(s) }

// newSecret returns a random secret of 32 bytes, URL-safe base64, with a
// prefix that tells what it is.
func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// decode reads a JSON body into v: unknown fields, trailing data and
// bodies over maxRESTBody are errors.
func decode(r *http.Request, v any) error {
	err := strictDecode(json.NewDecoder(r.Body), v)
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return osaudit.Errorf(osaudit.ETOOLARGE, "request body over %d bytes", tooBig.Limit)
	case errors.Is(err, io.EOF):
		return osaudit.Errorf(osaudit.EINVALID, "empty request body; want a JSON object")
	}
	return osaudit.Errorf(osaudit.EINVALID, "malformed JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// strictDecode decodes one JSON value without unknown fields or trailing
// data.
func strictDecode(dec *json.Decoder, v any) error {
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// strictJSON decodes b like strictDecode.
func strictJSON(b []byte, v any) error {
	err := strictDecode(json.NewDecoder(bytes.NewReader(b)), v)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// respond writes v as JSON with status.
func respond(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// list is the body of every list response: a page of items, and the cursor
// to pass as ?after= for the next page when there may be one.
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func writeList[T any](w http.ResponseWriter, items []T, next int64) error {
	if items == nil {
		items = []T{}
	}
	l := list[T]{Items: items}
	if next > 0 {
		l.Next = strconv.FormatInt(next, 10)
	}
	return respond(w, http.StatusOK, l)
}

// pageOf reads ?after= and ?limit=.
func pageOf(r *http.Request) (osaudit.Page, error) {
	p := osaudit.Page{Limit: defaultLimit}
	q := r.URL.Query()
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return p, osaudit.Errorf(osaudit.EINVALID, "after: want the next cursor of a previous page, got %q", s)
		}
		p.After = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, osaudit.Errorf(osaudit.EINVALID, "limit: want 1..%d, got %q", maxLimit, s)
		}
		p.Limit = n
	}
	return p, nil
}

// paginate returns the page of items (sorted by id) after p.After, and the
// next cursor if more follow.
func paginate[T any](items []T, id func(T) int64, p osaudit.Page) ([]T, int64) {
	slices.SortFunc(items, func(a, b T) int {
		switch ia, ib := id(a), id(b); {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	})
	i, _ := slices.BinarySearchFunc(items, p.After+1, func(t T, want int64) int {
		switch v := id(t); {
		case v < want:
			return -1
		case v > want:
			return 1
		}
		return 0
	})
	items = items[i:]
	if len(items) <= p.Limit {
		return items, 0
	}
	items = items[:p.Limit]
	return items, id(items[len(items)-1])
}

// pathID reads the numeric path value name.
func pathID(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, osaudit.Errorf(osaudit.ENOTFOUND, "no %s %q", name, s)
	}
	return n, nil
}

// boolParam reads an optional boolean query parameter.
func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, osaudit.Errorf(osaudit.EINVALID, "%s: want true or false, got %q", name, s)
	}
	return &b, nil
}

// customerRef finds a customer by ID or name that the caller may see;
// others are ENOTFOUND, as if they did not exist.
func (a rest) customerRef(ctx context.Context, c *caller, ref string) (*osaudit.Customer, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, osaudit.Errorf(osaudit.EINVALID, "empty customer")
	}
	var cu *osaudit.Customer
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		cu, err = a.Store.Customer(ctx, id)
		if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
			cu, err = a.Store.CustomerByName(ctx, ref)
		}
	} else {
		cu, err = a.Store.CustomerByName(ctx, ref)
	}
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND || err == nil && !c.Scope.Sees(cu.ID) {
		return nil, osaudit.Errorf(osaudit.ENOTFOUND, "no customer %q", ref)
	}
	if err != nil {
		return nil, fmt.Errorf("look up customer %q: %w", ref, err)
	}
	return cu, nil
}

// customerFilter reads ?customer= (ID or name): the customer whose objects
// a list shows. ok is false when there is no such filter; customer tokens
// are always filtered to their customer.
func (a rest) customerFilter(r *http.Request, c *caller) (id int64, ok bool, err error) {
	ref := r.URL.Query().Get("customer")
	if ref == "" {
		if c.Scope.Role != osaudit.RoleProviderAdmin {
			return c.Scope.CustomerID, true, nil
		}
		return 0, false, nil
	}
	if ref == "provider" || ref == "0" {
		return 0, true, nil
	}
	cu, err := a.customerRef(r.Context(), c, ref)
	if err != nil {
		return 0, false, err
	}
	return cu.ID, true, nil
}

// ownerOf decides which customer a new object belongs to: the one named in
// the request (ID or name), else the caller's (0 for the provider).
func (a rest) ownerOf(ctx context.Context, c *caller, id int64, name string) (int64, error) {
	switch {
	case name != "" && name != "provider":
		cu, err := a.customerRef(ctx, c, name)
		if err != nil {
			return 0, err
		}
		id = cu.ID
	case name == "provider":
		id = 0
	case id == 0 && c.Scope.Role != osaudit.RoleProviderAdmin:
		id = c.Scope.CustomerID
	case id != 0:
		if _, err := a.customerRef(ctx, c, strconv.FormatInt(id, 10)); err != nil {
			return 0, err
		}
	}
	return id, c.canWrite(id)
}

// notFound hides objects the caller may not see.
func notFound(kind string, id int64) error {
	return osaudit.Errorf(osaudit.ENOTFOUND, "no %s %d", kind, id)
}

// visible returns ENOTFOUND for an object of another customer, and passes
// other errors through.
func visible(c *caller, kind string, id, customerID int64, err error) error {
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		return notFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("look up %s %d: %w", kind, id, err)
	}
	if !c.Scope.Sees(customerID) {
		return notFound(kind, id)
	}
	return nil
}

// me answers who the token is.
func (a rest) me(w http.ResponseWriter, r *http.Request, c *caller) error {
	body := struct {
		TokenID    int64        `json:"token_id"`
		TokenName  string       `json:"token_name"`
		Role       osaudit.Role `json:"role"`
		CustomerID int64        `json:"customer_id,omitempty"`
		Customer   string       `json:"customer,omitempty"`
	}{TokenID: c.Token.ID, TokenName: c.Token.Name, Role: c.Scope.Role, CustomerID: c.Scope.CustomerID}
	if c.Scope.CustomerID != 0 {
		cu, err := a.Store.Customer(r.Context(), c.Scope.CustomerID)
		if err != nil {
			return fmt.Errorf("look up the token's customer: %w", err)
		}
		body.Customer = cu.Name
	}
	return respond(w, http.StatusOK, body)
}
