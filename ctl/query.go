package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/client"
)

// campaign is the API's answer when a live query starts.
type campaign struct {
	osaudit.Campaign
	Targets int `json:"targets"`
}

// hostResult is a "result" event of a campaign stream.
type hostResult struct {
	osaudit.CampaignResult
	Hostname       string `json:"hostname"`
	HostIdentifier string `json:"host_identifier"`
}

// query runs a live query and prints rows as hosts answer. It ends when
// every target answered, or at --timeout; a host's error makes the exit
// code 1.
func (c *cmd) query(ctx context.Context, args []string) error {
	fs := c.flags("query", `(--hosts H1,H2 | --labels L1,L2) [--timeout 60s] [--customer NAME] "SQL"`)
	hosts := fs.String("hosts", "", "hosts to query: hostnames, host identifiers or IDs, comma-separated")
	labels := fs.String("labels", "", "labels whose hosts to query, comma-separated")
	timeout := fs.Duration("timeout", 60*time.Second, "stop waiting for answers after this long")
	customer := fs.String("customer", "", "resolve hosts and labels within this customer (provider tokens)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return c.usageErr(fs, "give the SQL as one argument")
	}
	if *hosts == "" && *labels == "" {
		return c.usageErr(fs, "give --hosts or --labels")
	}
	if *timeout < time.Second {
		return c.usageErr(fs, "--timeout must be at least 1s")
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	body := map[string]any{"query": pos[0], "hosts": split(*hosts), "labels": split(*labels), "ttl": timeout.Seconds()}
	if *customer != "" {
		body["customer"] = *customer
	}
	var camp campaign
	if err := cl.Do(ctx, "POST", "/api/v1/campaigns", nil, body, &camp); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "campaign %d: waiting for %d host(s), up to %s\n", camp.ID, camp.Targets, *timeout)

	ctx, cancel := context.WithTimeout(ctx, *timeout+5*time.Second)
	defer cancel()
	p := &rowPrinter{c: c}
	answered := map[int64]bool{}
	failed := 0
	var after string
	ended := false
	for attempt := 0; !ended && attempt < 5 && ctx.Err() == nil; attempt++ {
		q := url.Values{}
		if after != "" {
			q.Set("after", after)
		}
		err := cl.Stream(ctx, fmt.Sprintf("/api/v1/campaigns/%d/stream", camp.ID), q, func(ev client.Event) error {
			switch ev.Event {
			case "result":
				var r hostResult
				if err := json.Unmarshal(ev.Data, &r); err != nil {
					return fmt.Errorf("decode result: %w", err)
				}
				after = ev.ID
				name := r.Hostname
				if name == "" {
					name = r.HostIdentifier
				}
				switch r.Status {
				case osaudit.CampaignDone:
					answered[r.HostID] = true
					return p.rows(name, r.Rows)
				case osaudit.CampaignFailed:
					answered[r.HostID] = true
					failed++
					fmt.Fprintf(c.stderr, "%s: error: %s\n", name, r.Error)
				case osaudit.CampaignExpired:
					fmt.Fprintf(c.stderr, "%s: no answer before the campaign expired\n", name)
				}
			case "end":
				ended = true
				return client.ErrStop
			}
			return nil
		})
		if ctx.Err() != nil {
			break
		}
		if ce := (*client.Error)(nil); errors.As(err, &ce) {
			return err
		}
		if err != nil && !ended {
			time.Sleep(time.Second) // the stream broke: resume after the last result
		}
	}
	if len(answered) < camp.Targets {
		fmt.Fprintf(c.stderr, "%d of %d host(s) answered before the timeout\n", len(answered), camp.Targets)
	}
	if failed > 0 {
		return fmt.Errorf("%d host(s) reported an error", failed)
	}
	return nil
}

func split(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// rowPrinter prints live-query rows: with -o json, one JSON object per row
// with the hostname under "host" (under "_host" if the query has a "host"
// column); as a table, one table per answering host's batch, with a header
// whenever the columns change.
type rowPrinter struct {
	c      *cmd
	header []string
}

func (p *rowPrinter) rows(host string, rows []map[string]string) error {
	if p.c.g.output == "json" {
		for _, r := range rows {
			obj := make(map[string]string, len(r)+1)
			for k, v := range r {
				obj[k] = v
			}
			key := "host"
			if _, clash := r["host"]; clash {
				key = "_host"
			}
			obj[key] = host
			b, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(p.c.stdout, "%s\n", b); err != nil {
				return err
			}
		}
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintf(p.c.stderr, "%s: no rows\n", host)
		return nil
	}
	cols := map[string]bool{}
	for _, r := range rows {
		for k := range r {
			cols[k] = true
		}
	}
	names := make([]string, 0, len(cols))
	for k := range cols {
		names = append(names, k)
	}
	slices.Sort(names)
	header := append([]string{"HOST"}, names...)
	var table [][]string
	for _, r := range rows {
		line := []string{host}
		for _, k := range names {
			line = append(line, r[k])
		}
		table = append(table, line)
	}
	if slices.Equal(header, p.header) {
		// Same columns as the last batch: no header again.
		return p.c.printTable(nil, table)
	}
	p.header = header
	return p.c.printTable(header, table)
}
