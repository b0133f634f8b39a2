package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("hardware_events", func() *table.Table {
		return &table.Table{
			Name:        "hardware_events",
			Description: "Hardware (PCI/USB/HID) events from UDEV or IOKit.",
			Platforms:   []string{"linux"},
			Attributes:  table.EventSubscriber,
			Columns: []table.Column{
				table.TextColumn("action"),
				table.TextColumn("path"),
				table.TextColumn("type"),
				table.TextColumn("driver"),
				table.TextColumn("vendor"),
				table.TextColumn("vendor_id").WithCollate("nocase"),
				table.TextColumn("model"),
				table.TextColumn("model_id").WithCollate("nocase"),
				table.TextColumn("serial"),
				table.TextColumn("revision"),
				table.BigIntColumn("time", table.Additional),
				table.TextColumn("eid", table.Hidden),
			},
			Generate: genEventTable,
		}
	})
}
