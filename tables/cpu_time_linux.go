package tables

import (
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("cpu_time", func() *table.Table {
		return &table.Table{
			Name:        "cpu_time",
			Description: "Displays information from /proc/stat file about the time the cpu cores spent in different parts of the system.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("core"),
				table.BigIntColumn("user"),
				table.BigIntColumn("nice"),
				table.BigIntColumn("system"),
				table.BigIntColumn("idle"),
				table.BigIntColumn("iowait"),
				table.BigIntColumn("irq"),
				table.BigIntColumn("softirq"),
				table.BigIntColumn("steal"),
				table.BigIntColumn("guest"),
				table.BigIntColumn("guest_nice"),
			},
			Generate: genCPUTime,
		}
	})
}

// cpuTimeColumns are cpu_time's columns after core, in /proc/stat order.
var cpuTimeColumns = []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"}

// cpuTimeLine is one "cpuN ..." line of /proc/stat: the core suffix and
// the counters as text, in USER_HZ ticks (osquery reports them unscaled).
type cpuTimeLine struct {
	core   string
	fields [10]string
}

// parseProcStatCPU returns the per-core lines of /proc/stat as osquery
// reads them: trimmed lines that start with "cpu", less the first one if it
// is the "cpu " total; a line needs the name and seven counters, and the
// name must be "cpu" followed by something. steal, guest and guest_nice are
// "0" on kernels that lack them.
func parseProcStatCPU(b []byte) (lines []cpuTimeLine, skipped int) {
	var cpu []string
	for _, line := range sysSplit(string(b), "\n") {
		if strings.HasPrefix(line, "cpu") {
			cpu = append(cpu, line)
		}
	}
	if len(cpu) > 0 && strings.HasPrefix(cpu[0], "cpu ") {
		cpu = cpu[1:]
	}
	for _, line := range cpu {
		w := sysSplit(line, " ")
		if len(w) < 8 || len(w[0]) <= 3 || !utf8.ValidString(line) {
			skipped++
			continue
		}
		l := cpuTimeLine{core: w[0][3:]}
		for i := range l.fields {
			if i+1 < len(w) {
				l.fields[i] = w[i+1]
			} else {
				l.fields[i] = "0"
			}
		}
		lines = append(lines, l)
	}
	return lines, skipped
}

func genCPUTime(q *table.Query, yield func(table.Row) bool) error {
	b, err := q.Root().ReadFileLimit("/proc/stat", 16<<20)
	if err != nil {
		q.Warn("cannot read /proc/stat", "err", err)
		return nil
	}
	lines, skipped := parseProcStatCPU(b)
	if skipped > 0 {
		q.Warn("skipped malformed cpu lines of /proc/stat", "count", skipped)
	}
	for _, l := range lines {
		r := q.NewRow()
		// osquery stores text and SQLite converts it with strtol; what
		// does not convert is NULL.
		if n, ok := sysStrtoll(l.core); ok {
			r.Set("core", table.Int(n))
		}
		for i, col := range cpuTimeColumns {
			if n, ok := sysStrtoll(l.fields[i]); ok {
				r.Set(col, table.Int(n))
			}
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}
