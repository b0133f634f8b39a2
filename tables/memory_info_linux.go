package tables

import (
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("memory_info", func() *table.Table {
		return &table.Table{
			Name:        "memory_info",
			Description: "Main memory information in bytes.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.BigIntColumn("memory_total"),
				table.BigIntColumn("memory_free"),
				table.BigIntColumn("memory_available"),
				table.BigIntColumn("buffers"),
				table.BigIntColumn("cached"),
				table.BigIntColumn("swap_cached"),
				table.BigIntColumn("active"),
				table.BigIntColumn("inactive"),
				table.BigIntColumn("swap_total"),
				table.BigIntColumn("swap_free"),
			},
			Generate: genMemoryInfo,
		}
	})
}

// memInfoKeys maps /proc/meminfo line prefixes to memory_info columns.
var memInfoKeys = []struct{ prefix, column string }{
	{"MemTotal:", "memory_total"},
	{"MemFree:", "memory_free"},
	{"MemAvailable:", "memory_available"},
	{"Buffers:", "buffers"},
	{"Cached:", "cached"},
	{"SwapCached:", "swap_cached"},
	{"Active:", "active"},
	{"Inactive:", "inactive"},
	{"SwapTotal:", "swap_total"},
	{"SwapFree:", "swap_free"},
}

func genMemoryInfo(q *table.Query, yield func(table.Row) bool) error {
	mem, err := readMemInfo(q.Root())
	if err != nil {
		q.Warn("cannot read /proc/meminfo", "err", err)
		return nil
	}
	r := q.NewRow()
	for col, v := range mem {
		r.Set(col, table.Int(v))
	}
	yield(r)
	return nil
}

// readMemInfo reads /proc/meminfo into memory_info's columns, in bytes.
func readMemInfo(root *hostfs.Root) (map[string]int64, error) {
	b, err := sysReadSmall(root, "/proc/meminfo")
	if err != nil {
		return nil, err
	}
	return parseMemInfo(b), nil
}

// parseMemInfo reads the lines osquery reads: a line that starts with one
// of the keys gives its second blank-separated token, in kB, times 1024.
// Lines whose value is not a number are skipped, as osquery skips them.
func parseMemInfo(b []byte) map[string]int64 {
	out := map[string]int64{}
	for _, line := range sysSplit(string(b), "\n") {
		for _, k := range memInfoKeys {
			if !strings.HasPrefix(line, k.prefix) {
				continue
			}
			tokens := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
			if len(tokens) >= 2 {
				v, err := strconv.ParseInt(tokens[1], 10, 64)
				if err == nil && v >= -(1<<53) && v <= 1<<53 {
					out[k.column] = v * 1024
				}
			}
			break
		}
	}
	return out
}
