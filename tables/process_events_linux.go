package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("process_events", func() *table.Table {
		return &table.Table{
			Name:        "process_events",
			Description: "Track time/action process executions.",
			Platforms:   []string{"linux"},
			Attributes:  table.EventSubscriber,
			Columns: []table.Column{
				table.BigIntColumn("pid"),
				table.TextColumn("path"),
				table.TextColumn("mode"),
				table.TextColumn("cmdline"),
				table.BigIntColumn("cmdline_size", table.Hidden),
				table.TextColumn("env", table.Hidden).WithAliases("environment"),
				table.BigIntColumn("env_count", table.Hidden).WithAliases("environment_count"),
				table.BigIntColumn("env_size", table.Hidden).WithAliases("environment_size"),
				table.TextColumn("cwd"),
				table.BigIntColumn("auid"),
				table.BigIntColumn("uid"),
				table.BigIntColumn("euid"),
				table.BigIntColumn("gid"),
				table.BigIntColumn("egid"),
				table.BigIntColumn("owner_uid"),
				table.BigIntColumn("owner_gid"),
				table.BigIntColumn("atime").WithAliases("access_time"),
				table.BigIntColumn("mtime").WithAliases("modify_time"),
				table.BigIntColumn("ctime").WithAliases("change_time"),
				table.BigIntColumn("btime").WithAliases("create_time"),
				table.TextColumn("overflows", table.Hidden),
				table.BigIntColumn("parent"),
				table.BigIntColumn("time", table.Additional),
				table.BigIntColumn("uptime"),
				table.TextColumn("eid", table.Hidden),
				table.BigIntColumn("fsuid"),
				table.BigIntColumn("suid"),
				table.BigIntColumn("fsgid"),
				table.BigIntColumn("sgid"),
				table.TextColumn("syscall"),
			},
			Generate: genEventTable,
		}
	})
}
