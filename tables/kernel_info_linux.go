package tables

import (
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("kernel_info", func() *table.Table {
		return &table.Table{
			Name:        "kernel_info",
			Description: "Basic active kernel information.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("arguments"),
				table.TextColumn("path"),
				table.TextColumn("device"),
			},
			Generate: genKernelInfo,
		}
	})
}

// kernelCmdline is /proc/cmdline split as osquery's kernel_info splits it.
type kernelCmdline struct {
	arguments, path, device string
	hasPath, hasDevice      bool
}

// parseKernelCmdline splits the kernel command line on spaces (dropping
// empty pieces, trimming each): BOOT_IMAGE= gives path, root= gives device,
// and the other arguments are joined back with single spaces. When an
// argument repeats, the last one wins, as in osquery.
func parseKernelCmdline(b []byte) (kernelCmdline, bool) {
	if !utf8.Valid(b) {
		return kernelCmdline{}, false
	}
	var c kernelCmdline
	var rest []string
	for _, arg := range sysSplit(string(b), " ") {
		switch {
		case strings.HasPrefix(arg, "BOOT_IMAGE="):
			c.path, c.hasPath = arg[len("BOOT_IMAGE="):], true
		case strings.HasPrefix(arg, "root="):
			c.device, c.hasDevice = arg[len("root="):], true
		default:
			rest = append(rest, arg)
		}
	}
	c.arguments = strings.Join(rest, " ")
	return c, true
}

// parseKernelVersion returns the third space-separated word of
// /proc/version when the second is "version" ("Linux version 6.1.0-18-amd64
// (...) ..."), as osquery does.
func parseKernelVersion(b []byte) (string, bool) {
	if !utf8.Valid(b) {
		return "", false
	}
	d := sysSplit(string(b), " ")
	if len(d) > 2 && d[1] == "version" {
		return d[2], true
	}
	return "", false
}

// genKernelInfo reads /proc/cmdline and /proc/version as osquery does. When
// /proc/version is missing or malformed, the version comes from
// /proc/sys/kernel/osrelease (the same string). A host with neither file
// gives no row (osquery gives a row of NULLs).
func genKernelInfo(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	r := q.NewRow()
	found := false
	if b, err := sysReadSmall(root, "/proc/cmdline"); err == nil {
		found = true
		if c, ok := parseKernelCmdline(b); ok {
			r.Set("arguments", table.Text(c.arguments))
			if c.hasPath {
				r.Set("path", table.Text(c.path))
			}
			if c.hasDevice {
				r.Set("device", table.Text(c.device))
			}
		} else {
			q.Warn("/proc/cmdline is not UTF-8")
		}
	}
	version, ok := "", false
	if b, err := sysReadSmall(root, "/proc/version"); err == nil {
		found = true
		version, ok = parseKernelVersion(b)
	}
	if !ok {
		if rel, err := sysReadAttr(root, "/proc/sys/kernel/osrelease"); err == nil && rel != "" {
			found = true
			version, ok = rel, true
		}
	}
	if ok {
		r.Set("version", table.Text(version))
	}
	if !found {
		q.Warn("cannot read /proc/cmdline or /proc/version")
		return nil
	}
	yield(r)
	return nil
}
