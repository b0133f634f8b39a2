package tables

import (
	"os"
	"runtime"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("osquery_info", func() *table.Table {
		return &table.Table{
			Name:        "osquery_info",
			Description: "Top level information about the running agent: osaudit itself, with osquery's columns.",
			Platforms:   []string{"linux", "windows", "darwin"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.IntegerColumn("pid"),
				table.TextColumn("uuid").WithCollate("nocase"),
				table.TextColumn("instance_id"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("config_hash").WithCollate("nocase"),
				table.IntegerColumn("config_valid"),
				table.TextColumn("extensions"),
				table.TextColumn("build_platform"),
				table.TextColumn("build_distro"),
				table.IntegerColumn("start_time"),
				table.IntegerColumn("watcher"),
				table.IntegerColumn("platform_mask"),
			},
			Generate: genOsqueryInfo,
		}
	})
}

func genOsqueryInfo(q *table.Query, yield func(table.Row) bool) error {
	info := defaultAgentInfo()
	if rt := q.Runtime(); rt != nil {
		info = rt.Info()
	}
	r := q.NewRow()
	r.Set("pid", table.Int(info.PID))
	r.Set("uuid", table.Text(info.UUID))
	r.Set("instance_id", table.Text(info.InstanceID))
	r.Set("version", table.Text(info.Version))
	r.Set("config_hash", table.Text(info.ConfigHash))
	r.Set("config_valid", table.Bool(info.ConfigValid))
	r.Set("extensions", table.Text(info.Extensions))
	r.Set("build_platform", table.Text(info.BuildPlatform))
	r.Set("build_distro", table.Text(info.BuildDistro))
	r.Set("start_time", table.Int(info.StartTime))
	r.Set("watcher", table.Int(info.Watcher))
	r.Set("platform_mask", table.Int(info.PlatformMask))
	yield(r)
	return nil
}

// defaultAgentInfo describes this process when no agent runtime is given
// (library use and tests).
func defaultAgentInfo() table.AgentInfo {
	return table.AgentInfo{
		PID:           int64(os.Getpid()),
		Version:       osaudit.Version,
		Extensions:    "inactive",
		BuildPlatform: runtime.GOOS,
		BuildDistro:   runtime.Version(),
		Watcher:       -1,
		PlatformMask:  platformMask(runtime.GOOS),
	}
}

// platformMask is osquery's platform bitmask for a GOOS.
func platformMask(goos string) int64 {
	switch goos {
	case "windows":
		return osaudit.PlatformWindows
	case "darwin":
		return osaudit.PlatformDarwin
	}
	return osaudit.PlatformLinux
}
