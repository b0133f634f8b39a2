package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("file_events", func() *table.Table {
		return &table.Table{
			Name:        "file_events",
			Description: "Track time/action changes to files specified in configuration data.",
			Platforms:   []string{"linux"},
			Attributes:  table.EventSubscriber,
			Columns: []table.Column{
				table.TextColumn("target_path"),
				table.TextColumn("category"),
				table.TextColumn("action"),
				table.BigIntColumn("transaction_id"),
				table.BigIntColumn("inode"),
				table.BigIntColumn("uid"),
				table.BigIntColumn("gid"),
				table.TextColumn("mode"),
				table.BigIntColumn("size"),
				table.BigIntColumn("atime"),
				table.BigIntColumn("mtime"),
				table.BigIntColumn("ctime"),
				table.TextColumn("md5").WithCollate("nocase"),
				table.TextColumn("sha1").WithCollate("nocase"),
				table.TextColumn("sha256").WithCollate("nocase"),
				table.IntegerColumn("hashed"),
				table.BigIntColumn("time", table.Additional),
				table.TextColumn("eid", table.Hidden),
			},
			Generate: genEventTable,
		}
	})
}
