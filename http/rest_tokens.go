package http

import (
	"fmt"
	"net/http"

	"github.com/osaudit/osaudit"
)

// API tokens: random, shown once, kept as SHA-256; each has a role and,
// for customer roles, a customer.

// tokenPrefix starts every API token, so that a leaked one is easy to
// recognise.
const tokenPrefix = "oat_"

func (a rest) listTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	all, err := a.Store.Tokens(r.Context(), c.Scope)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	all = filterSlice(all, func(t *osaudit.APIToken) bool {
		return c.Scope.Role == osaudit.RoleProviderAdmin || t.CustomerID == c.Scope.CustomerID
	})
	items, next := paginate(all, func(t *osaudit.APIToken) int64 { return t.ID }, p)
	return writeList(w, items, next)
}

func (a rest) createToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Name     string       `json:"name"`
		Role     osaudit.Role `json:"role"`
		Customer string       `json:"customer,omitempty"` // ID or name
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := checkName("token", body.Name); err != nil {
		return err
	}
	t := &osaudit.APIToken{Name: body.Name, Role: body.Role}
	switch body.Role {
	case osaudit.RoleProviderAdmin:
		if body.Customer != "" {
			return osaudit.Errorf(osaudit.EINVALID, "a provider_admin token has no customer")
		}
		if err := c.provider(); err != nil {
			return err
		}
	case osaudit.RoleCustomerAdmin, osaudit.RoleCustomerViewer:
		ref := body.Customer
		if ref == "" {
			if c.Scope.CustomerID == 0 {
				return osaudit.Errorf(osaudit.EINVALID, "a %s token needs a customer", body.Role)
			}
			ref = fmt.Sprint(c.Scope.CustomerID)
		}
		cu, err := a.customerRef(r.Context(), c, ref)
		if err != nil {
			return err
		}
		if err := c.canWrite(cu.ID); err != nil {
			return err
		}
		t.CustomerID = cu.ID
	default:
		return osaudit.Errorf(osaudit.EINVALID, "role: want provider_admin, customer_admin or customer_viewer, got %q", body.Role)
	}
	token, err := newSecret(tokenPrefix)
	if err != nil {
		return err
	}
	t.Hash = hashSecret(token)
	if c.Token != nil {
		t.UserID = c.Token.UserID
	}
	if err := a.Store.CreateToken(r.Context(), t); err != nil {
		return err
	}
	t.Token = token
	return respond(w, http.StatusCreated, t)
}

func (a rest) deleteToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	all, err := a.Store.Tokens(r.Context(), c.Scope)
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	for _, t := range all {
		if t.ID != id || !(c.Scope.Role == osaudit.RoleProviderAdmin || t.CustomerID == c.Scope.CustomerID) {
			continue
		}
		if err := c.canWrite(t.CustomerID); err != nil {
			return err
		}
		if err := a.Store.DeleteToken(r.Context(), id); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return notFound("token", id)
}
