package tables

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("cpu_info", func() *table.Table {
		return &table.Table{
			Name:        "cpu_info",
			Description: "Retrieve cpu hardware info of the machine.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("device_id"),
				table.TextColumn("model"),
				table.TextColumn("manufacturer"),
				table.TextColumn("processor_type"),
				table.IntegerColumn("cpu_status"),
				table.TextColumn("number_of_cores"),
				table.IntegerColumn("logical_processors"),
				table.TextColumn("address_width"),
				table.IntegerColumn("current_clock_speed"),
				table.IntegerColumn("max_clock_speed"),
				table.TextColumn("socket_designation"),
			},
			Generate: genCPUInfo,
		}
	})
}

// cpuSocket is one physical package as osquery's Linux cpu_info reads it
// from /proc/cpuinfo.
type cpuSocket struct {
	deviceID, model, manufacturer, cores, siblings, addressWidth, mhz string
	processor                                                         string // first logical CPU seen in the package
}

// cpuInfoLine is one "key : value" line of /proc/cpuinfo. A line without a
// colon has an empty key: it ends a processor block.
type cpuInfoLine struct{ key, value string }

var errCPUInfoColon = errors.New("/proc/cpuinfo: unexpected colon")

// splitCPUInfoLines splits /proc/cpuinfo into keys and values as osquery's
// readLines does: the key runs from the line's first non-blank byte to the
// colon, the value from the first non-blank byte after it to the end of
// the line. A second colon on a line makes the whole file unreadable, as in
// osquery.
func splitCPUInfoLines(b []byte) ([]cpuInfoLine, error) {
	var out []cpuInfoLine
	for n, line := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasSuffix(line, "\n") {
			break // osquery drops an unterminated last line
		}
		line = line[:len(line)-1]
		key, value, hasColon := strings.Cut(line, ":")
		if !hasColon {
			out = append(out, cpuInfoLine{})
			continue
		}
		key = strings.TrimLeftFunc(key, cpuInfoSpace)
		if strings.Contains(value, ":") || (key == "" && n > 0) {
			if len(line) > 64 {
				line = line[:64]
			}
			return nil, fmt.Errorf("%w: %q", errCPUInfoColon, line)
		}
		out = append(out, cpuInfoLine{key: key, value: strings.TrimLeftFunc(value, cpuInfoSpace)})
	}
	return out, nil
}

func cpuInfoSpace(r rune) bool { return r < 0x80 && sysIsSpace(byte(r)) }

// parseCPUSockets groups /proc/cpuinfo into physical packages as osquery
// does: a block is kept when it has a "physical id" that no kept block had,
// and blocks end at an empty key. Keys match by prefix ("physical id",
// "model name", "vendor_id", "cpu cores", "siblings", "flags", "cpu MHz");
// address_width is "64" when flags has "lm", else "32".
func parseCPUSockets(b []byte) ([]cpuSocket, error) {
	lines, err := splitCPUInfoLines(b)
	if err != nil {
		return nil, err
	}
	var out []cpuSocket
	var cur cpuSocket
	discard := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l.key, "processor"):
			if cur.processor == "" {
				cur.processor = l.value
			}
		case strings.HasPrefix(l.key, "physical id"):
			for _, s := range out {
				if s.deviceID == l.value {
					discard = true
					break
				}
			}
			cur.deviceID = l.value
		case strings.HasPrefix(l.key, "model name"):
			cur.model = l.value
		case strings.HasPrefix(l.key, "vendor_id"):
			cur.manufacturer = l.value
		case strings.HasPrefix(l.key, "cpu cores"):
			cur.cores = l.value
		case strings.HasPrefix(l.key, "siblings"):
			cur.siblings = l.value
		case strings.HasPrefix(l.key, "flags"):
			cur.addressWidth = "32"
			for _, f := range strings.Split(l.value, " ") {
				if f == "lm" {
					cur.addressWidth = "64"
				}
			}
		case strings.HasPrefix(l.key, "cpu MHz"):
			cur.mhz = l.value
		case l.key == "":
			if !discard && cur.deviceID != "" {
				out = append(out, cur)
			}
			cur, discard = cpuSocket{}, false
		}
	}
	for _, s := range out {
		if !utf8.ValidString(s.deviceID + s.model + s.manufacturer + s.cores + s.siblings + s.mhz) {
			return nil, errors.New("/proc/cpuinfo: not UTF-8")
		}
	}
	return out, nil
}

// genCPUInfo reports one row per physical package from /proc/cpuinfo, as
// osquery 5.x does on Linux; processor_type and cpu_status, which only
// SMBIOS knows, stay NULL as in osquery.
//
// Differences from osquery: current_clock_speed is the integer part of
// "cpu MHz" (osquery stores "2600.000", which its INTEGER conversion turns
// into NULL), and max_clock_speed is the package's first CPU's
// cpufreq/cpuinfo_max_freq in MHz where the kernel has cpufreq (osquery
// leaves it NULL).
func genCPUInfo(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	b, err := root.ReadFileLimit("/proc/cpuinfo", 16<<20)
	if err != nil {
		q.Warn("cannot read /proc/cpuinfo", "err", err)
		return nil
	}
	sockets, err := parseCPUSockets(b)
	if err != nil {
		q.Warn("cannot parse /proc/cpuinfo", "err", err)
		return nil
	}
	for _, s := range sockets {
		r := q.NewRow()
		r.Set("device_id", table.Text(s.deviceID))
		r.Set("socket_designation", table.Text(s.deviceID))
		r.Set("model", table.Text(s.model))
		r.Set("manufacturer", table.Text(s.manufacturer))
		r.Set("number_of_cores", table.Text(s.cores))
		if n, ok := sysStrtoll(s.siblings); ok {
			r.Set("logical_processors", table.Int(n))
		}
		r.Set("address_width", table.Text(s.addressWidth))
		if mhz, _, _ := strings.Cut(s.mhz, "."); mhz != "" {
			if n, err := strconv.ParseInt(mhz, 10, 64); err == nil {
				r.Set("current_clock_speed", table.Int(n))
			}
		}
		if q.Used("max_clock_speed") && s.processor != "" {
			if _, err := strconv.ParseUint(s.processor, 10, 32); err == nil {
				if khz, err := sysReadAttr(root, "/sys/devices/system/cpu/cpu"+s.processor+"/cpufreq/cpuinfo_max_freq"); err == nil {
					if n, err := strconv.ParseInt(khz, 10, 64); err == nil && n > 0 {
						r.Set("max_clock_speed", table.Int(n/1000))
					}
				}
			}
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}
