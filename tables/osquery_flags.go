package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("osquery_flags", func() *table.Table {
		return &table.Table{
			Name:        "osquery_flags",
			Description: "Configurable flags that modify the agent's behavior.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("type"),
				table.TextColumn("description"),
				table.TextColumn("default_value"),
				table.TextColumn("value"),
				table.IntegerColumn("shell_only"),
			},
			Generate: genOsqueryFlags,
		}
	})
}

func genOsqueryFlags(q *table.Query, yield func(table.Row) bool) error {
	rt := q.Runtime()
	if rt == nil {
		return nil
	}
	for _, f := range rt.Flags() {
		r := q.NewRow()
		r.Set("name", table.Text(f.Name))
		r.Set("type", table.Text(f.Type))
		r.Set("description", table.Text(f.Description))
		r.Set("default_value", table.Text(f.Default))
		r.Set("value", table.Text(f.Value))
		r.Set("shell_only", table.Bool(f.ShellOnly))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
