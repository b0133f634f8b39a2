package tables

import "github.com/osaudit/osaudit/table"

func init() {
	table.Register("osquery_schedule", func() *table.Table {
		return &table.Table{
			Name:        "osquery_schedule",
			Description: "Information about the current queries that are scheduled in osquery.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("query"),
				table.IntegerColumn("interval"),
				table.BigIntColumn("executions"),
				table.BigIntColumn("last_executed"),
				table.IntegerColumn("denylisted").WithAliases("blacklisted"),
				table.BigIntColumn("output_size"),
				table.BigIntColumn("wall_time"),
				table.BigIntColumn("wall_time_ms"),
				table.BigIntColumn("last_wall_time_ms"),
				table.BigIntColumn("user_time"),
				table.BigIntColumn("last_user_time"),
				table.BigIntColumn("system_time"),
				table.BigIntColumn("last_system_time"),
				table.BigIntColumn("average_memory"),
				table.BigIntColumn("last_memory"),
			},
			Generate: genOsquerySchedule,
		}
	})
}

func genOsquerySchedule(q *table.Query, yield func(table.Row) bool) error {
	sr, ok := q.Runtime().(table.ScheduleRuntime)
	if !ok {
		return nil // the shell has no schedule
	}
	for _, s := range sr.Schedule() {
		r := q.NewRow()
		r.Set("name", table.Text(s.Name))
		r.Set("query", table.Text(s.Query))
		r.Set("interval", table.Int(s.Interval))
		r.Set("executions", table.Int(s.Executions))
		r.Set("last_executed", table.Int(s.LastExecuted))
		r.Set("denylisted", table.Bool(s.Denylisted))
		r.Set("output_size", table.Int(s.OutputSize))
		r.Set("wall_time", table.Int(s.WallTimeMs/1000))
		r.Set("wall_time_ms", table.Int(s.WallTimeMs))
		r.Set("last_wall_time_ms", table.Int(s.LastWallTimeMs))
		r.Set("user_time", table.Int(s.UserTime))
		r.Set("last_user_time", table.Int(s.LastUserTime))
		r.Set("system_time", table.Int(s.SystemTime))
		r.Set("last_system_time", table.Int(s.LastSystemTime))
		r.Set("average_memory", table.Int(s.AverageMemory))
		r.Set("last_memory", table.Int(s.LastMemory))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
