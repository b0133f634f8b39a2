package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("osquery_packs", func() *table.Table {
		return &table.Table{
			Name:        "osquery_packs",
			Description: "Information about the current query packs that are loaded in osquery.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("platform"),
				table.TextColumn("version").WithCollate("version"),
				table.IntegerColumn("shard"),
				table.IntegerColumn("discovery_cache_hits"),
				table.IntegerColumn("discovery_executions"),
				table.IntegerColumn("active"),
			},
			Generate: genOsqueryPacks,
		}
	})
}

func genOsqueryPacks(q *table.Query, yield func(table.Row) bool) error {
	sr, ok := q.Runtime().(table.ScheduleRuntime)
	if !ok {
		return nil
	}
	for _, p := range sr.Packs() {
		r := q.NewRow()
		r.Set("name", table.Text(p.Name))
		r.Set("platform", table.Text(p.Platform))
		r.Set("version", table.Text(p.Version))
		r.Set("shard", table.Int(p.Shard))
		r.Set("discovery_cache_hits", table.Int(p.DiscoveryCacheHits))
		r.Set("discovery_executions", table.Int(p.DiscoveryExecutions))
		r.Set("active", table.Bool(p.Active))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
