package tables

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("os_version", func() *table.Table {
		return &table.Table{
			Name:        "os_version",
			Description: "A single row containing the operating system name and version.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("version").WithCollate("version"),
				table.IntegerColumn("major"),
				table.IntegerColumn("minor"),
				table.IntegerColumn("patch"),
				table.TextColumn("build"),
				table.TextColumn("platform"),
				table.TextColumn("platform_like"),
				table.TextColumn("codename"),
				table.TextColumn("arch"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genOSVersion,
		}
	})
}

// osVersion is os_version's row as osquery builds it: text values keyed by
// column, numbers still as the strings osquery stores.
type osVersion map[string]string

// osReleaseColumns maps /etc/os-release keys to columns; "_id" is
// VERSION_ID, which osquery splits into major, minor and patch.
var osReleaseColumns = map[string]string{
	"NAME":             "name",
	"VERSION":          "version",
	"BUILD_ID":         "build",
	"ID":               "platform",
	"ID_LIKE":          "platform_like",
	"VERSION_CODENAME": "codename",
	"VERSION_ID":       "_id",
}

// parseOSRelease applies /etc/os-release to v as osquery's genOSRelease
// does: each KEY=VALUE line (split on '=' as osquery splits, so pieces are
// trimmed and empty ones dropped) of a known key sets its column; any other
// key containing CODENAME sets codename; a value starting with '"' loses
// its first and last characters; VERSION_ID's dot-separated parts become
// major, minor and patch.
func parseOSRelease(b []byte, v osVersion) {
	for _, line := range sysSplit(string(b), "\n") {
		fields := sysSplitN(line, '=', 1)
		if len(fields) != 2 {
			continue
		}
		column, ok := osReleaseColumns[fields[0]]
		if !ok {
			if !strings.Contains(fields[0], "CODENAME") {
				continue
			}
			column = "codename"
		}
		val := fields[1]
		if val != "" && val[0] == '"' {
			if len(val) >= 2 {
				val = val[1 : len(val)-1]
			} else {
				val = ""
			}
		}
		v[column] = val
		if column == "_id" {
			parts := sysSplitN(val, '.', 2)
			switch len(parts) {
			case 3:
				v["patch"] = parts[2]
				fallthrough
			case 2:
				v["minor"] = parts[1]
				fallthrough
			case 1:
				v["major"] = parts[0]
			}
		}
	}
}

// osRedhatRelease is the regular expression osquery applies to the old
// redhat-release / gentoo-release one-liners.
var osRedhatRelease = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([\w+\s]+) .* ([0-9]+)\.([0-9]+)\.?(\w+)?`)
})

// readReleaseFile reads the first of /etc/oracle-release,
// /etc/redhat-release and /etc/gentoo-release that exists, and the platform
// osquery sets for it: Oracle Linux keeps the one os-release gave.
func readReleaseFile(q *table.Query) (content []byte, platform string) {
	for _, f := range []struct{ path, platform string }{
		{"/etc/oracle-release", ""},
		{"/etc/redhat-release", "rhel"},
		{"/etc/gentoo-release", "gentoo"},
	} {
		if b, err := sysReadSmall(q.Root(), f.path); err == nil {
			return b, f.platform
		}
	}
	return nil, ""
}

// sysTrimAll trims whitespace at both ends and replaces each inner run of
// whitespace with its first character, as boost::algorithm::trim_all does.
func sysTrimAll(s string) string {
	s = sysTrim(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if sysIsSpace(s[i]) && i > 0 && sysIsSpace(s[i-1]) {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// applyReleaseFile applies the content of /etc/redhat-release (or the
// Gentoo or Oracle equivalent) as osquery does: each whitespace run shrinks to its first character,
// the first line the pattern matches gives name, major, minor and patch,
// and the whole text becomes version.
func applyReleaseFile(content string, v osVersion) {
	content = sysTrimAll(content)
	for _, line := range sysSplit(content, "\n") {
		m := osRedhatRelease().FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v["name"], v["major"], v["minor"], v["patch"] = m[1], m[2], m[3], m[4]
		if v["patch"] == "" {
			v["patch"] = "0"
		}
		break
	}
	v["version"] = content
	v["build"] = ""
	if v["platform"] == "" && strings.Contains(strings.ToLower(v["name"]), "centos") {
		v["platform"] = "centos"
	}
}

// genOSVersion reads /etc/os-release, then the release files of older
// Red Hat, Oracle and Gentoo systems, and the architecture from uname.
//
// Differences from osquery: a query constraining pid_with_namespace to
// another process's mount namespace gets no row (osquery enters the
// namespace; osaudit does not, and never follows /proc/<pid>/root), and
// mount_namespace_id stays NULL. A host where none of the sources exist
// gives no row instead of osquery's "Unknown" placeholder row.
func genOSVersion(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	v := osVersion{"name": "Unknown", "major": "0", "minor": "0", "patch": "0", "platform": "posix"}
	found := false

	if b, err := sysReadSmall(root, "/etc/os-release"); err == nil {
		found = true
		if len(b) > 0 { // Funtoo ships an empty os-release
			if !utf8.Valid(b) {
				q.Warn("/etc/os-release is not UTF-8; ignoring it")
			} else {
				parseOSRelease(b, v)
			}
		}
	}
	if arch, err := readMachineArch(root); err == nil {
		found = true
		v["arch"] = arch
	}

	release, platform := readReleaseFile(q)
	if platform != "" {
		v["platform"], v["platform_like"] = platform, platform
	}
	if release != nil {
		found = true
		if utf8.Valid(release) {
			applyReleaseFile(string(release), v)
		} else {
			q.Warn("release file is not UTF-8; ignoring it")
		}
	}
	if !found {
		q.Warn("no OS release sources (/etc/os-release, /etc/redhat-release, uname)")
		return nil
	}

	r := q.NewRow()
	for _, col := range []string{"name", "version", "build", "platform", "platform_like", "codename", "arch"} {
		if s, ok := v[col]; ok {
			r.Set(col, table.Text(s))
		}
	}
	for _, col := range []string{"major", "minor", "patch"} {
		// osquery stores these as text and SQLite converts them with
		// strtol(base 0): "04" is 4, "08" or "x" is NULL.
		if n, ok := sysStrtoll(v[col]); ok {
			r.Set(col, table.Int(n))
		}
	}
	r.Set("pid_with_namespace", table.Int(0))
	yield(r)
	return nil
}
