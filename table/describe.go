package table

import (
	"fmt"
	"io"
	"strings"
)

// ColumnInfo is a column as `osaudit tables --json` prints it; its fields
// follow osquery's schema files.
type ColumnInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Index       bool     `json:"index"`
	Hidden      bool     `json:"hidden"`
	Additional  bool     `json:"additional"`
	Optimized   bool     `json:"optimized,omitempty"`
	Collate     string   `json:"collate,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Info is a table as `osaudit tables --json` prints it.
type Info struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Platforms   []string     `json:"platforms"`
	Attributes  []string     `json:"attributes,omitempty"`
	Aliases     []string     `json:"aliases,omitempty"`
	Columns     []ColumnInfo `json:"columns"`
}

// Describe returns the table's description.
func (t *Table) Describe() Info {
	info := Info{
		Name:        t.Name,
		Description: t.Description,
		Platforms:   t.Platforms,
		Attributes:  t.Attributes.Names(),
		Aliases:     t.Aliases,
	}
	for _, c := range t.Columns {
		info.Columns = append(info.Columns, ColumnInfo{
			Name:        c.Name,
			Type:        c.Type.String(),
			Required:    c.Has(Required),
			Index:       c.Has(Index),
			Hidden:      c.Has(Hidden),
			Additional:  c.Has(Additional),
			Optimized:   c.Has(Optimized),
			Collate:     c.Collate,
			Aliases:     c.Aliases,
			Description: c.Description,
		})
	}
	return info
}

// WriteMarkdown writes the reference of tables as docs/tables.md holds it.
func WriteMarkdown(w io.Writer, tables []*Table) error {
	var b strings.Builder
	b.WriteString("# Tables\n\n")
	b.WriteString("Generated from the table registry by `go test ./tables -run TestTablesDoc -update`; do not edit by hand.\n\n")
	b.WriteString("Column options: **index** and **additional** columns take constraints that the table uses to read less; a table with **required** columns needs a constraint (`=`, `IN`, `LIKE` or a join) on one of them, and osaudit reports an error where osquery silently returns no rows; **hidden** columns are left out of `SELECT *` but can be named. Tables marked *user_data* report the current user only unless the query constrains `uid` (for example `JOIN users USING (uid)`).\n\n")
	fmt.Fprintf(&b, "%d tables: ", len(tables))
	for i, t := range tables {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%s](#%s)", t.Name, t.Name)
	}
	b.WriteString("\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Name)
		if t.Description != "" {
			b.WriteString(t.Description + "\n\n")
		}
		fmt.Fprintf(&b, "Platforms: %s", strings.Join(t.Platforms, ", "))
		if a := t.Attributes.Names(); len(a) > 0 {
			fmt.Fprintf(&b, " · Attributes: %s", strings.Join(a, ", "))
		}
		if len(t.Aliases) > 0 {
			fmt.Fprintf(&b, " · Also named: %s", strings.Join(t.Aliases, ", "))
		}
		b.WriteString("\n\n| column | type | options | description |\n|---|---|---|---|\n")
		for _, c := range t.Columns {
			var opts []string
			for _, o := range []struct {
				o    Option
				name string
			}{{Required, "required"}, {Index, "index"}, {Additional, "additional"}, {Hidden, "hidden"}, {Optimized, "optimized"}} {
				if c.Has(o.o) {
					opts = append(opts, o.name)
				}
			}
			if c.Collate != "" {
				opts = append(opts, "collate "+c.Collate)
			}
			if len(c.Aliases) > 0 {
				opts = append(opts, "alias "+strings.Join(c.Aliases, ", "))
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, strings.Join(opts, ", "), strings.ReplaceAll(c.Description, "|", `\|`))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
