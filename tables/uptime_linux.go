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
	table.Register("uptime", func() *table.Table {
		return &table.Table{
			Name:        "uptime",
			Description: "Track time passed since last boot. Some systems track this as calendar time, some as runtime.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("days"),
				table.IntegerColumn("hours"),
				table.IntegerColumn("minutes"),
				table.IntegerColumn("seconds"),
				table.BigIntColumn("total_seconds"),
			},
			Generate: genUptime,
		}
	})
}

var errProcUptime = errors.New("malformed /proc/uptime")

// parseProcUptime returns the seconds since boot as sysinfo(2) reports
// them, which osquery uses: the kernel rounds the boot-time clock up to
// the next second, and /proc/uptime shows the same clock in hundredths.
// "3600.52 7000.10" is 3601; "3600.00" is 3600 (a remainder under 10 ms
// is invisible in the file).
func parseProcUptime(b []byte) (int64, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errProcUptime
	}
	secs, frac, _ := strings.Cut(f[0], ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %q", errProcUptime, f[0])
	}
	if frac != "" {
		if _, err := strconv.ParseUint(frac, 10, 64); err != nil {
			return 0, fmt.Errorf("%w: %q", errProcUptime, f[0])
		}
		if strings.Trim(frac, "0") != "" && n < math.MaxInt64 {
			n++
		}
	}
	return n, nil
}

func genUptime(q *table.Query, yield func(table.Row) bool) error {
	b, err := sysReadSmall(q.Root(), "/proc/uptime")
	if err != nil {
		q.Warn("cannot read /proc/uptime", "err", err)
		return nil
	}
	up, err := parseProcUptime(b)
	if err != nil {
		q.Warn("cannot parse /proc/uptime", "err", err)
		return nil
	}
	r := q.NewRow()
	r.Set("days", table.Int(up/60/60/24))
	r.Set("hours", table.Int((up/60/60)%24))
	r.Set("minutes", table.Int((up/60)%60))
	r.Set("seconds", table.Int(up%60))
	r.Set("total_seconds", table.Int(up))
	yield(r)
	return nil
}
