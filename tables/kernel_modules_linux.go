package tables

import (
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("kernel_modules", func() *table.Table {
		return &table.Table{
			Name:        "kernel_modules",
			Description: "Linux kernel modules both loaded and within the load search path.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.BigIntColumn("size"),
				table.TextColumn("used_by"),
				table.TextColumn("status"),
				table.TextColumn("address"),
			},
			Generate: genKernelModules,
		}
	})
}

// kernelModule is one line of /proc/modules.
type kernelModule struct {
	name, size, usedBy, status, address string
}

// parseProcModules parses /proc/modules as osquery does: each line split on
// spaces (empty pieces dropped), at least six fields, one trailing comma
// removed from each ("ext4 1036288 1 - Live 0xffffffffc0a1b000"). Lines
// with fewer fields or that are not UTF-8 are skipped and counted.
func parseProcModules(b []byte) (mods []kernelModule, skipped int) {
	for _, line := range sysSplit(string(b), "\n") {
		d := sysSplit(line, " ")
		if len(d) < 6 || !utf8.ValidString(line) {
			skipped++
			continue
		}
		for i, f := range d {
			if n := len(f); n > 0 && f[n-1] == ',' {
				d[i] = f[:n-1]
			}
		}
		mods = append(mods, kernelModule{name: d[0], size: d[1], usedBy: d[3], status: d[4], address: d[5]})
	}
	return mods, skipped
}

func genKernelModules(q *table.Query, yield func(table.Row) bool) error {
	b, err := q.Root().ReadFileLimit("/proc/modules", 16<<20)
	if err != nil {
		q.Warn("cannot read /proc/modules", "err", err)
		return nil
	}
	mods, skipped := parseProcModules(b)
	if skipped > 0 {
		q.Warn("skipped malformed /proc/modules lines", "count", skipped)
	}
	for _, m := range mods {
		r := q.NewRow()
		r.Set("name", table.Text(m.name))
		// osquery stores the size text; SQLite converts it with strtoll.
		if n, ok := sysStrtoll(m.size); ok {
			r.Set("size", table.Int(n))
		}
		r.Set("used_by", table.Text(m.usedBy))
		r.Set("status", table.Text(m.status))
		r.Set("address", table.Text(m.address))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
