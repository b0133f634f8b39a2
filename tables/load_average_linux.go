package tables

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("load_average", func() *table.Table {
		return &table.Table{
			Name:        "load_average",
			Description: "Displays information about the system wide load averages.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("period"),
				table.TextColumn("average"),
			},
			Generate: genLoadAverage,
		}
	})
}

var errProcLoadavg = errors.New("malformed /proc/loadavg")

// parseProcLoadavg returns the 1, 5 and 15 minute load averages of
// /proc/loadavg ("0.15 0.10 0.05 1/123 1400"). Like glibc's getloadavg,
// which osquery calls, it fails unless all three parse.
func parseProcLoadavg(b []byte) ([3]float64, error) {
	var loads [3]float64
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return loads, fmt.Errorf("%w: %d fields", errProcLoadavg, len(f))
	}
	for i := range loads {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return loads, fmt.Errorf("%w: %q", errProcLoadavg, f[i])
		}
		loads[i] = v
	}
	return loads, nil
}

// genLoadAverage gives one row per period, the average written as C's
// "%f" (std::to_string) writes it: "0.150000".
func genLoadAverage(q *table.Query, yield func(table.Row) bool) error {
	b, err := sysReadSmall(q.Root(), "/proc/loadavg")
	if err != nil {
		q.Warn("cannot read /proc/loadavg", "err", err)
		return nil
	}
	loads, err := parseProcLoadavg(b)
	if err != nil {
		q.Warn("cannot parse /proc/loadavg", "err", err)
		return nil
	}
	for i, period := range []string{"1m", "5m", "15m"} {
		r := q.NewRow()
		r.Set("period", table.Text(period))
		r.Set("average", table.Text(strconv.FormatFloat(loads[i], 'f', 6, 64)))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
