package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("osquery_registry", func() *table.Table {
		return &table.Table{
			Name:        "osquery_registry",
			Description: "List the agent's registry plugins: tables, config, logger and distributed plugins.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("registry"),
				table.TextColumn("name"),
				table.IntegerColumn("owner_uuid"),
				table.IntegerColumn("internal"),
				table.IntegerColumn("active"),
			},
			Generate: genOsqueryRegistry,
		}
	})
}

func genOsqueryRegistry(q *table.Query, yield func(table.Row) bool) error {
	var plugins []table.Plugin
	if rt := q.Runtime(); rt != nil {
		plugins = rt.Plugins()
	}
	for _, t := range table.All() {
		plugins = append(plugins, table.Plugin{Registry: "table", Name: t.Name, Active: true})
	}
	for _, p := range plugins {
		r := q.NewRow()
		r.Set("registry", table.Text(p.Registry))
		r.Set("name", table.Text(p.Name))
		r.Set("owner_uuid", table.Int(p.OwnerUUID))
		r.Set("internal", table.Bool(p.Internal))
		r.Set("active", table.Bool(p.Active))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
