package ctl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/client"
)

// customerOf decides which customer a command acts on: --customer, else
// the token's own customer, else the only customer there is.
func (c *cmd) customerOf(ctx context.Context, cl *client.Client, flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	var who me
	if err := cl.Do(ctx, "GET", "/api/v1/me", nil, nil, &who); err != nil {
		return "", err
	}
	if who.CustomerID != 0 {
		return id(who.CustomerID), nil
	}
	cs, err := client.List[osaudit.Customer](ctx, cl, "/api/v1/customers", nil)
	if err != nil {
		return "", err
	}
	if len(cs) == 1 {
		return id(cs[0].ID), nil
	}
	return "", errors.New("give --customer NAME")
}

func (c *cmd) listSecrets(ctx context.Context, customer string) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	cu, err := c.customerOf(ctx, cl, customer)
	if err != nil {
		return err
	}
	ss, err := client.List[osaudit.EnrollSecret](ctx, cl, "/api/v1/customers/"+url.PathEscape(cu)+"/secrets", nil)
	if err != nil {
		return err
	}
	if c.g.output == "json" {
		if ss == nil {
			ss = []osaudit.EnrollSecret{}
		}
		return c.printJSON(ss)
	}
	var rows [][]string
	for _, s := range ss {
		revoked := "-"
		if s.RevokedAt != nil {
			revoked = s.RevokedAt.Local().Format(time.DateTime)
		}
		rows = append(rows, []string{id(s.ID), s.Name, s.CreatedAt.Local().Format(time.DateTime), revoked})
	}
	return c.printTable([]string{"ID", "NAME", "CREATED", "REVOKED"}, rows)
}

// secrets manages a customer's enroll secrets.
func (c *cmd) secrets(ctx context.Context, args []string) error {
	fs := c.flags("secrets", "list|create|rotate|revoke [--customer NAME] [--name NAME] [ID]")
	customer := fs.String("customer", "", "the customer (name or ID); default: the token's, or the only one")
	name := fs.String("name", "", "create: the secret's name (default \"default\")")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return c.usageErr(fs, "say list, create, rotate or revoke")
	}
	if pos[0] == "list" {
		return c.listSecrets(ctx, *customer)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	cu, err := c.customerOf(ctx, cl, *customer)
	if err != nil {
		return err
	}
	base := "/api/v1/customers/" + url.PathEscape(cu) + "/secrets"
	var s osaudit.EnrollSecret
	switch pos[0] {
	case "create":
		if len(pos) != 1 {
			return c.usageErr(fs, "create takes no argument")
		}
		if err := cl.Do(ctx, "POST", base, nil, map[string]string{"name": *name}, &s); err != nil {
			return err
		}
	case "rotate", "revoke":
		if len(pos) != 2 {
			return c.usageErr(fs, "%s takes the secret's ID", pos[0])
		}
		if pos[0] == "revoke" {
			if err := cl.Do(ctx, "DELETE", base+"/"+url.PathEscape(pos[1]), nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "revoked enroll secret %s\n", pos[1])
			return nil
		}
		if err := cl.Do(ctx, "POST", base+"/"+url.PathEscape(pos[1])+"/rotate", nil, nil, &s); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "revoked enroll secret %s\n", pos[1])
	default:
		return c.usageErr(fs, "unknown secrets command %q", pos[0])
	}
	if c.g.output == "json" {
		return c.printJSON(s)
	}
	fmt.Fprintf(c.stderr, "enroll secret %d (%s) created; it is shown only now:\n", s.ID, s.Name)
	fmt.Fprintln(c.stdout, s.Secret)
	return nil
}

// tokens manages API tokens.
func (c *cmd) tokens(ctx context.Context, args []string) error {
	fs := c.flags("tokens", "list|create|delete [--name NAME] [--role provider_admin|customer_admin|customer_viewer] [--customer NAME] [ID]")
	name := fs.String("name", "", "create: the token's name")
	role := fs.String("role", "", "create: provider_admin, customer_admin or customer_viewer (default: customer_viewer with --customer, else the caller's)")
	customer := fs.String("customer", "", "create: the token's customer")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return c.usageErr(fs, "say list, create or delete")
	}
	switch pos[0] {
	case "list":
		return c.get(ctx, []string{"tokens"})
	case "create":
		if *name == "" {
			return c.usageErr(fs, "give --name")
		}
		cl, err := c.client()
		if err != nil {
			return err
		}
		r := *role
		if r == "" {
			var who me
			if err := cl.Do(ctx, "GET", "/api/v1/me", nil, nil, &who); err != nil {
				return err
			}
			r = who.Role
			if *customer != "" && who.Role == string(osaudit.RoleProviderAdmin) {
				r = string(osaudit.RoleCustomerViewer)
			}
		}
		var t osaudit.APIToken
		if err := cl.Do(ctx, "POST", "/api/v1/tokens", nil, map[string]string{"name": *name, "role": r, "customer": *customer}, &t); err != nil {
			return err
		}
		if c.g.output == "json" {
			return c.printJSON(t)
		}
		fmt.Fprintf(c.stderr, "token %d (%s, %s) created; it is shown only now:\n", t.ID, t.Name, t.Role)
		fmt.Fprintln(c.stdout, t.Token)
		return nil
	case "delete":
		if len(pos) < 2 {
			return c.usageErr(fs, "delete takes token IDs or names")
		}
		return c.delete(ctx, append([]string{"tokens"}, pos[1:]...))
	}
	return c.usageErr(fs, "unknown tokens command %q", pos[0])
}
