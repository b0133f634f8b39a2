package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
)

// applied is what the server did with one document.
type applied struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Customer string `json:"customer"`
	ID       int64  `json:"id"`
	Action   string `json:"action"`
}

// apply sends the documents of files to the server, which creates or
// updates what differs and leaves the rest alone.
func (c *cmd) apply(ctx context.Context, args []string) error {
	fs := c.flags("apply", "-f FILE [-f FILE...] [--customer NAME]")
	var files multiFlag
	fs.Var(&files, "f", "a YAML or JSON file of documents, or an osquery config or pack file (- for standard input); repeatable")
	customer := fs.String("customer", "", "the customer of documents that name none (default: the token's, or the provider's)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	files = append(files, pos...)
	if len(files) == 0 {
		return c.usageErr(fs, "give -f FILE")
	}
	var docs []document
	for _, f := range files {
		var src []byte
		var err error
		if f == "-" {
			src, err = io.ReadAll(io.LimitReader(c.env.Stdin, maxInput+1))
		} else {
			src, err = readLimited(f)
		}
		if err != nil {
			return err
		}
		if len(src) > maxInput {
			return fmt.Errorf("%s: larger than %d bytes", f, maxInput)
		}
		ds, warnings, err := parseDocuments(f, src, readLimited)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, w := range warnings {
			fmt.Fprintln(c.stderr, "warning:", w)
		}
		docs = append(docs, ds...)
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	var out struct {
		Results []applied `json:"results"`
	}
	body := map[string]any{"documents": docs}
	if *customer != "" {
		body["customer"] = *customer
	}
	if err := cl.Do(ctx, "POST", "/api/v1/apply", nil, body, &out); err != nil {
		return err
	}
	if c.g.output == "json" {
		return c.printJSON(out.Results)
	}
	var rows [][]string
	for _, r := range out.Results {
		rows = append(rows, []string{r.Kind, r.Name, r.Customer, r.Action})
	}
	return c.printTable([]string{"KIND", "NAME", "CUSTOMER", "ACTION"}, rows)
}

// readLimited reads a file of at most maxInput bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err == nil && len(b) > maxInput {
		err = fmt.Errorf("%s: larger than %d bytes", path, maxInput)
	}
	return b, err
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
