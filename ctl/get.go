package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/client"
)

// kinds maps the names get and delete take to API paths.
var kinds = map[string]string{
	"hosts": "/api/v1/hosts", "host": "/api/v1/hosts",
	"packs": "/api/v1/packs", "pack": "/api/v1/packs",
	"queries": "/api/v1/queries", "query": "/api/v1/queries",
	"labels": "/api/v1/labels", "label": "/api/v1/labels",
	"customers": "/api/v1/customers", "customer": "/api/v1/customers",
	"tokens": "/api/v1/tokens", "token": "/api/v1/tokens",
}

// host is a host as the API lists it.
type host struct {
	osaudit.Host
	Online bool `json:"online"`
}

// get lists objects.
func (c *cmd) get(ctx context.Context, args []string) error {
	fs := c.flags("get", "hosts|packs|queries|labels|customers|secrets|tokens [NAME] [--customer NAME] [--label L] [--platform P] [--search S] [--online true|false]")
	customer := fs.String("customer", "", "only this customer's objects (name or ID)")
	label := fs.String("label", "", "hosts: only members of this label")
	platform := fs.String("platform", "", "hosts: only this platform (ubuntu, windows, darwin...)")
	search := fs.String("search", "", "hosts: hostname, identifier, UUID or IP contains this")
	online := fs.String("online", "", "hosts: true for online hosts only, false for offline ones")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return c.usageErr(fs, "say what to get")
	}
	kind := pos[0]
	if kind == "secrets" || kind == "secret" {
		return c.listSecrets(ctx, *customer)
	}
	path, ok := kinds[kind]
	if !ok {
		return c.usageErr(fs, "cannot get %q: want hosts, packs, queries, labels, customers, secrets or tokens", kind)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !strings.HasPrefix(path, "/api/v1/customers") && !strings.HasPrefix(path, "/api/v1/tokens") {
		set("customer", *customer)
	}
	if strings.HasPrefix(path, "/api/v1/hosts") {
		set("label", *label)
		set("platform", *platform)
		set("search", *search)
		set("online", *online)
	}
	items, err := client.List[json.RawMessage](ctx, cl, path, q)
	if err != nil {
		return err
	}
	items, err = filterNames(kind, items, pos[1:])
	if err != nil {
		return err
	}
	if c.g.output == "json" {
		if items == nil {
			items = []json.RawMessage{}
		}
		return c.printJSON(items)
	}
	customers := c.customerNames(ctx, cl)
	now := time.Now()
	var header []string
	var rows [][]string
	each := func(v any, row func()) error {
		for _, raw := range items {
			if err := json.Unmarshal(raw, v); err != nil {
				return fmt.Errorf("decode %s: %w", kind, err)
			}
			row()
		}
		return nil
	}
	switch path {
	case "/api/v1/hosts":
		header = []string{"ID", "HOSTNAME", "CUSTOMER", "PLATFORM", "OS", "AGENT", "STATUS", "LAST SEEN"}
		var h host
		err = each(&h, func() {
			status := "offline"
			if h.Online {
				status = "online"
			}
			rows = append(rows, []string{id(h.ID), h.Hostname, customers(h.CustomerID), h.Platform, strings.TrimSpace(h.OSName + " " + h.OSVersion), h.AgentVersion, status, ago(h.LastSeen, now)})
			h = host{}
		})
	case "/api/v1/packs":
		header = []string{"ID", "NAME", "CUSTOMER", "QUERIES", "PLATFORM", "TARGETS", "DESCRIPTION"}
		labels := map[int64]string{}
		if ls, err := client.List[osaudit.Label](ctx, cl, "/api/v1/labels", nil); err == nil {
			for _, l := range ls {
				labels[l.ID] = l.Name
			}
		}
		var p osaudit.Pack
		err = each(&p, func() {
			rows = append(rows, []string{id(p.ID), p.Name, customers(p.CustomerID), strconv.Itoa(len(p.Queries)), p.Platform, targets(p.Targets, customers, labels), p.Description})
			p = osaudit.Pack{}
		})
	case "/api/v1/queries":
		header = []string{"ID", "NAME", "CUSTOMER", "INTERVAL", "ATT&CK", "QUERY"}
		var x osaudit.Query
		err = each(&x, func() {
			interval := "-"
			if x.Interval > 0 {
				interval = strconv.FormatInt(x.Interval, 10)
			}
			rows = append(rows, []string{id(x.ID), x.Name, customers(x.CustomerID), interval, strings.Join(x.Techniques, ","), x.SQL})
			x = osaudit.Query{}
		})
	case "/api/v1/labels":
		header = []string{"ID", "NAME", "CUSTOMER", "TYPE", "PLATFORM", "QUERY"}
		var l osaudit.Label
		err = each(&l, func() {
			typ := "dynamic"
			if l.Manual {
				typ = "manual"
			}
			rows = append(rows, []string{id(l.ID), l.Name, customers(l.CustomerID), typ, l.Platform, l.SQL})
			l = osaudit.Label{}
		})
	case "/api/v1/customers":
		header = []string{"ID", "NAME", "CREATED"}
		var cu osaudit.Customer
		err = each(&cu, func() {
			rows = append(rows, []string{id(cu.ID), cu.Name, cu.CreatedAt.Local().Format(time.DateTime)})
			cu = osaudit.Customer{}
		})
	case "/api/v1/tokens":
		header = []string{"ID", "NAME", "ROLE", "CUSTOMER", "CREATED", "LAST USED"}
		var t osaudit.APIToken
		err = each(&t, func() {
			rows = append(rows, []string{id(t.ID), t.Name, string(t.Role), customers(t.CustomerID), t.CreatedAt.Local().Format(time.DateTime), ago(t.LastUsedAt, now)})
			t = osaudit.APIToken{}
		})
	}
	if err != nil {
		return err
	}
	return c.printTable(header, rows)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// filterNames keeps the objects named (by name, hostname, identifier or
// ID) in names, if any.
func filterNames(kind string, items []json.RawMessage, names []string) ([]json.RawMessage, error) {
	if len(names) == 0 {
		return items, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []json.RawMessage
	for _, raw := range items {
		var o struct {
			ID         int64  `json:"id"`
			Name       string `json:"name"`
			Hostname   string `json:"hostname"`
			Identifier string `json:"host_identifier"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kind, err)
		}
		if want[id(o.ID)] || o.Name != "" && want[o.Name] || o.Hostname != "" && want[o.Hostname] || o.Identifier != "" && want[o.Identifier] {
			out = append(out, raw)
		}
	}
	return out, nil
}

// customerNames returns a function naming customers by ID ("-" for the
// provider's objects), from one list call; IDs stand in on failure.
func (c *cmd) customerNames(ctx context.Context, cl *client.Client) func(int64) string {
	names := map[int64]string{}
	if cs, err := client.List[osaudit.Customer](ctx, cl, "/api/v1/customers", nil); err == nil {
		for _, cu := range cs {
			names[cu.ID] = cu.Name
		}
	}
	return func(n int64) string {
		if n == 0 {
			return "-"
		}
		if s, ok := names[n]; ok {
			return s
		}
		return id(n)
	}
}

func targets(t osaudit.PackTargets, customers func(int64) string, labels map[int64]string) string {
	var parts []string
	for _, c := range t.CustomerIDs {
		parts = append(parts, "customer:"+customers(c))
	}
	for _, l := range t.LabelIDs {
		name, ok := labels[l]
		if !ok {
			name = id(l)
		}
		parts = append(parts, "label:"+name)
	}
	for _, p := range t.Platforms {
		parts = append(parts, "platform:"+p)
	}
	return strings.Join(parts, ",")
}

// delete deletes objects by name or ID.
func (c *cmd) delete(ctx context.Context, args []string) error {
	fs := c.flags("delete", "hosts|packs|queries|labels|customers|tokens NAME-OR-ID... [--customer NAME]")
	customer := fs.String("customer", "", "the objects' customer (name or ID), when names are ambiguous")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return c.usageErr(fs, "say what to delete, and its names or IDs")
	}
	path, ok := kinds[pos[0]]
	if !ok {
		return c.usageErr(fs, "cannot delete %q", pos[0])
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if *customer != "" && !strings.HasPrefix(path, "/api/v1/customers") && !strings.HasPrefix(path, "/api/v1/tokens") {
		q.Set("customer", *customer)
	}
	items, err := client.List[json.RawMessage](ctx, cl, path, q)
	if err != nil {
		return err
	}
	for _, name := range pos[1:] {
		found, err := filterNames(pos[0], items, []string{name})
		if err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return fmt.Errorf("no %s %q", singular(pos[0]), name)
		case 1:
		default:
			return fmt.Errorf("%q names %d objects: give an ID or --customer", name, len(found))
		}
		var o struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		_ = json.Unmarshal(found[0], &o)
		ref := id(o.ID)
		if strings.HasPrefix(path, "/api/v1/customers") {
			ref = url.PathEscape(o.Name)
		}
		if err := cl.Do(ctx, "DELETE", path+"/"+ref, nil, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "deleted %s %s\n", singular(pos[0]), name)
	}
	return nil
}

// singular names one object of a kind.
func singular(kind string) string {
	switch kind {
	case "queries", "query":
		return "query"
	}
	return strings.TrimSuffix(kind, "s")
}
