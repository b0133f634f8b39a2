package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("user_events", func() *table.Table {
		return &table.Table{
			Name:        "user_events",
			Description: "Track user events from the audit framework.",
			Platforms:   []string{"linux"},
			Attributes:  table.EventSubscriber,
			Columns: []table.Column{
				table.BigIntColumn("uid"),
				table.BigIntColumn("auid"),
				table.BigIntColumn("pid"),
				table.TextColumn("message"),
				table.IntegerColumn("type"),
				table.TextColumn("path"),
				table.TextColumn("address"),
				table.TextColumn("terminal"),
				table.BigIntColumn("time", table.Additional),
				table.BigIntColumn("uptime"),
				table.TextColumn("eid", table.Hidden),
			},
			Generate: genEventTable,
		}
	})
}
