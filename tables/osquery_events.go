package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("osquery_events", func() *table.Table {
		return &table.Table{
			Name:        "osquery_events",
			Description: "Information about the event publishers and subscribers.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("publisher"),
				table.TextColumn("type"),
				table.IntegerColumn("subscriptions"),
				table.IntegerColumn("events"),
				table.IntegerColumn("refreshes"),
				table.IntegerColumn("active"),
			},
			Generate: genOsqueryEvents,
		}
	})
}

func genOsqueryEvents(q *table.Query, yield func(table.Row) bool) error {
	er, ok := q.Runtime().(table.EventRuntime)
	if !ok {
		return nil // the shell collects no events
	}
	for _, s := range er.EventStatus() {
		r := q.NewRow()
		r.Set("name", table.Text(s.Name))
		r.Set("publisher", table.Text(s.Publisher))
		r.Set("type", table.Text(s.Type))
		r.Set("subscriptions", table.Int(s.Subscriptions))
		r.Set("events", table.Int(s.Events))
		r.Set("refreshes", table.Int(s.Refreshes))
		r.Set("active", table.Bool(s.Active))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
