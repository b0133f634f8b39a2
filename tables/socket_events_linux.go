package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("socket_events", func() *table.Table {
		return &table.Table{
			Name:        "socket_events",
			Description: "Track network socket bind, connect, and accepts.",
			Platforms:   []string{"linux"},
			Attributes:  table.EventSubscriber,
			Columns: []table.Column{
				table.TextColumn("action"),
				table.BigIntColumn("pid"),
				table.TextColumn("path"),
				table.TextColumn("fd"),
				table.BigIntColumn("auid"),
				table.IntegerColumn("family"),
				table.IntegerColumn("protocol", table.Hidden),
				table.TextColumn("local_address"),
				table.TextColumn("remote_address"),
				table.IntegerColumn("local_port"),
				table.IntegerColumn("remote_port"),
				table.TextColumn("socket", table.Hidden),
				table.BigIntColumn("time", table.Additional),
				table.BigIntColumn("uptime"),
				table.TextColumn("eid", table.Hidden),
				table.IntegerColumn("success", table.Hidden),
				table.TextColumn("status"),
			},
			Generate: genEventTable,
		}
	})
}
