package http

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/osaudit/osaudit"
)

// Customers (the provider manages them) and their enroll secrets (the
// provider and the customer's admins manage them).

// maxNameLen bounds the names of customers, queries, packs, labels,
// secrets and tokens.
const maxNameLen = 255

// checkName validates a name: not empty, not too long, printable UTF-8,
// and without slashes (which separate pack and query in result names).
func checkName(what, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return osaudit.Errorf(osaudit.EINVALID, "%s: a name is required", what)
	case len(name) > maxNameLen:
		return osaudit.Errorf(osaudit.EINVALID, "%s: name longer than %d bytes", what, maxNameLen)
	case !utf8.ValidString(name):
		return osaudit.Errorf(osaudit.EINVALID, "%s: name is not valid UTF-8", what)
	case strings.ContainsRune(name, '/'):
		return osaudit.Errorf(osaudit.EINVALID, "%s: name %q contains a slash", what, name)
	case name != strings.TrimSpace(name):
		return osaudit.Errorf(osaudit.EINVALID, "%s: name %q has leading or trailing spaces", what, name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return osaudit.Errorf(osaudit.EINVALID, "%s: name %q contains a control character", what, name)
		}
	}
	return nil
}

func (a rest) listCustomers(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	all, err := a.Store.Customers(r.Context())
	if err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	var seen []*osaudit.Customer
	for _, cu := range all {
		if c.Scope.Role == osaudit.RoleProviderAdmin || cu.ID == c.Scope.CustomerID {
			seen = append(seen, cu)
		}
	}
	items, next := paginate(seen, func(cu *osaudit.Customer) int64 { return cu.ID }, p)
	return writeList(w, items, next)
}

func (a rest) createCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.provider(); err != nil {
		return err
	}
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := checkName("customer", body.Name); err != nil {
		return err
	}
	cu := &osaudit.Customer{Name: body.Name}
	if err := a.Store.CreateCustomer(r.Context(), cu); err != nil {
		return err
	}
	return respond(w, http.StatusCreated, cu)
}

func (a rest) getCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	cu, err := a.customerRef(r.Context(), c, r.PathValue("customer"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, cu)
}

func (a rest) deleteCustomer(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := c.provider(); err != nil {
		return err
	}
	cu, err := a.customerRef(r.Context(), c, r.PathValue("customer"))
	if err != nil {
		return err
	}
	if err := a.Store.DeleteCustomer(r.Context(), cu.ID); err != nil {
		return err
	}
	a.configChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// secretCustomer resolves the {customer} of a secrets path; writes need
// the customer's admin or the provider.
func (a rest) secretCustomer(r *http.Request, c *caller, write bool) (*osaudit.Customer, error) {
	cu, err := a.customerRef(r.Context(), c, r.PathValue("customer"))
	if err != nil {
		return nil, err
	}
	if write {
		if err := c.canWrite(cu.ID); err != nil {
			return nil, err
		}
	}
	return cu, nil
}

func (a rest) listSecrets(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	cu, err := a.secretCustomer(r, c, false)
	if err != nil {
		return err
	}
	all, err := a.Store.EnrollSecrets(r.Context(), cu.ID)
	if err != nil {
		return fmt.Errorf("list enroll secrets: %w", err)
	}
	if ok, _ := boolParam(r, "revoked"); ok != nil && !*ok {
		all = filterSlice(all, func(s *osaudit.EnrollSecret) bool { return s.RevokedAt == nil })
	}
	items, next := paginate(all, func(s *osaudit.EnrollSecret) int64 { return s.ID }, p)
	return writeList(w, items, next)
}

// newEnrollSecret creates and stores a secret for customerID; the result
// carries the secret itself, shown this once.
func (a rest) newEnrollSecret(r *http.Request, customerID int64, name string) (*osaudit.EnrollSecret, error) {
	secret, err := newSecret("")
	if err != nil {
		return nil, err
	}
	s := &osaudit.EnrollSecret{CustomerID: customerID, Name: name, Hash: hashSecret(secret)}
	if err := a.Store.CreateEnrollSecret(r.Context(), s); err != nil {
		return nil, err
	}
	s.Secret = secret
	return s, nil
}

func (a rest) createSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	cu, err := a.secretCustomer(r, c, true)
	if err != nil {
		return err
	}
	var body struct {
		Name string `json:"name"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &body); err != nil {
			return err
		}
	}
	if body.Name == "" {
		body.Name = "default"
	}
	if err := checkName("enroll secret", body.Name); err != nil {
		return err
	}
	s, err := a.newEnrollSecret(r, cu.ID, body.Name)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, s)
}

// customerSecret finds a secret of the path's customer.
func (a rest) customerSecret(r *http.Request, cu *osaudit.Customer) (*osaudit.EnrollSecret, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	all, err := a.Store.EnrollSecrets(r.Context(), cu.ID)
	if err != nil {
		return nil, fmt.Errorf("list enroll secrets: %w", err)
	}
	for _, s := range all {
		if s.ID == id {
			if s.RevokedAt != nil {
				return nil, osaudit.Errorf(osaudit.ECONFLICT, "enroll secret %d was revoked at %s", id, s.RevokedAt.UTC().Format("2006-01-02T15:04:05Z"))
			}
			return s, nil
		}
	}
	return nil, notFound("enroll secret", id)
}

// rotateSecret creates a new secret with the old one's name and revokes
// the old one.
func (a rest) rotateSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	cu, err := a.secretCustomer(r, c, true)
	if err != nil {
		return err
	}
	old, err := a.customerSecret(r, cu)
	if err != nil {
		return err
	}
	s, err := a.newEnrollSecret(r, cu.ID, old.Name)
	if err != nil {
		return err
	}
	if err := a.Store.RevokeEnrollSecret(r.Context(), old.ID, a.now()); err != nil {
		return fmt.Errorf("revoke enroll secret %d: %w", old.ID, err)
	}
	return respond(w, http.StatusCreated, s)
}

func (a rest) revokeSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	cu, err := a.secretCustomer(r, c, true)
	if err != nil {
		return err
	}
	s, err := a.customerSecret(r, cu)
	if err != nil {
		return err
	}
	if err := a.Store.RevokeEnrollSecret(r.Context(), s.ID, a.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func filterSlice[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}
