package tables

import (
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("system_controls", func() *table.Table {
		return &table.Table{
			Name:        "system_controls",
			Description: "sysctl names, values, and settings information.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name", table.Index),
				table.TextColumn("oid", table.Additional),
				table.TextColumn("subsystem", table.Additional),
				table.TextColumn("current_value"),
				table.TextColumn("config_value"),
				table.TextColumn("type"),
			},
			Generate: genSystemControls,
		}
	})
}

const sysctlRoot = "/proc/sys/"

// sysctlConfigFiles and sysctlConfigDirs are where osquery reads
// config_value, in its order: a later file overrides an earlier one (the
// reverse of systemd-sysctl's precedence, as in osquery). Files of a
// directory are read in name order.
var (
	sysctlConfigFiles = []string{"/etc/sysctl.conf"}
	sysctlConfigDirs  = []string{"/run/sysctl.d", "/etc/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}
)

// parseSysctlConf adds the settings of a sysctl.conf(5) file to config as
// osquery reads them: trimmed lines starting with '#' or ';' are comments,
// and a line is a setting when splitting it on '=' (empty pieces dropped)
// gives exactly two pieces. Keys are taken as written (osquery does not
// turn "net/ipv4/ip_forward" into dots or strip a leading '-').
func parseSysctlConf(b []byte, config map[string]string) {
	if !utf8.Valid(b) {
		return
	}
	for _, line := range sysSplit(string(b), "\n") {
		line = sysTrim(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if d := sysSplit(line, "="); len(d) == 2 {
			config[d[0]] = d[1]
		}
	}
}

// readSysctlConfig reads every sysctl configuration file osquery reads.
func readSysctlConfig(root *hostfs.Root) map[string]string {
	config := map[string]string{}
	files := append([]string(nil), sysctlConfigFiles...)
	for _, dir := range sysctlConfigDirs {
		entries, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".conf") && !e.IsDir() {
				files = append(files, dir+"/"+e.Name())
			}
		}
	}
	for _, f := range files {
		if b, err := sysReadSmall(root, f); err == nil {
			parseSysctlConf(b, config)
		}
	}
	return config
}

// sysctlNameToPath turns a dotted name into its /proc/sys path as osquery
// does (every '.' becomes '/'), or "" for a name that would leave
// /proc/sys.
func sysctlNameToPath(name string) string {
	p := path.Clean(sysctlRoot + strings.ReplaceAll(name, ".", "/"))
	if !strings.HasPrefix(p+"/", sysctlRoot) || p+"/" == sysctlRoot {
		return ""
	}
	return p
}

// sysctlPathToName turns a /proc/sys path into a dotted name.
func sysctlPathToName(p string) string {
	return strings.ReplaceAll(strings.TrimPrefix(p, sysctlRoot), "/", ".")
}

// genSystemControls lists /proc/sys as osquery does: one row per file,
// named with dots, subsystem the first part, current_value the trimmed
// content (NULL when unreadable, such as write-only controls), type
// "string", and config_value from the sysctl configuration files. A name
// constraint reads only that control (or, for a directory, its subtree),
// and a subsystem constraint only that subtree. An oid constraint gives no
// rows: osquery looks OIDs up with sysctl(2), which Linux removed in 5.5.
// Like osquery, a constrained name that does not exist still gives a row,
// with a NULL current_value.
func genSystemControls(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	var config map[string]string
	if q.Used("config_value") {
		config = readSysctlConfig(root)
	}
	emit := func(p string) bool {
		name := sysctlPathToName(p)
		r := q.NewRow()
		r.Set("name", table.Text(name))
		r.Set("subsystem", table.Text(strings.SplitN(name, ".", 2)[0]))
		if q.Used("current_value") {
			if b, err := root.ReadFileLimit(p, 1<<20); err == nil && utf8.Valid(b) {
				r.Set("current_value", table.Text(sysTrim(string(b))))
			}
		}
		if v, ok := config[name]; ok {
			r.Set("config_value", table.Text(v))
		}
		r.Set("type", table.Text("string"))
		return yield(r)
	}

	if names := q.EqualTexts("name"); len(names) > 0 {
		for _, name := range names {
			p := sysctlNameToPath(name)
			if p == "" {
				continue
			}
			if !walkSysctl(q, p, emit) {
				return nil
			}
		}
		return nil
	}
	if q.Constrained("oid") {
		return nil
	}
	subsystems := q.EqualTexts("subsystem")
	if q.Constrained("subsystem") && len(subsystems) == 0 {
		return nil
	}
	entries, err := root.ReadDir("/proc/sys")
	if err != nil {
		q.Warn("cannot list /proc/sys", "err", err)
		return nil
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if len(subsystems) > 0 && !containsString(subsystems, e.Name()) {
			continue
		}
		if !walkSysctl(q, sysctlRoot+e.Name(), emit) {
			return nil
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// walkSysctl emits p if it is a control, or every control under it if it
// is a directory: subdirectories first, then files, each in name order.
// It returns false when emit asks to stop.
func walkSysctl(q *table.Query, p string, emit func(string) bool) bool {
	root := q.Root()
	fi, err := root.Stat(p)
	if err != nil || !fi.IsDir() {
		return emit(p)
	}
	entries, err := root.ReadDir(p)
	if err != nil {
		return true
	}
	var dirs, files []string
	for _, e := range entries {
		switch {
		case e.IsDir():
			dirs = append(dirs, e.Name())
		case e.Type()&fs.ModeSymlink == 0:
			files = append(files, e.Name())
		}
	}
	sort.Strings(dirs)
	sort.Strings(files)
	for _, d := range dirs {
		if q.Context().Err() != nil || !walkSysctl(q, p+"/"+d, emit) {
			return false
		}
	}
	for _, f := range files {
		if !emit(p + "/" + f) {
			return false
		}
	}
	return true
}
