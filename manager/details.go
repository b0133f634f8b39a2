package manager

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit"
)

// Detail queries refresh a host's inventory through distributed reads,
// every DetailInterval. Their ids are detailPrefix + the table name the
// rows are kept under in Host.Details.
const detailPrefix = "osaudit_detail_"

var detailQueries = map[string]string{
	"system_info":  "SELECT * FROM system_info",
	"os_version":   "SELECT * FROM os_version",
	"osquery_info": "SELECT * FROM osquery_info",
	"uptime":       "SELECT * FROM uptime",
	"interface_addresses": "SELECT ia.interface, ia.address, ia.mask, id.mac FROM interface_addresses ia " +
		"LEFT JOIN interface_details id ON id.interface = ia.interface",
}

// applyDetails sets a host's inventory from detail rows by table: the
// first row of system_info, os_version, osquery_info, uptime; every row of
// interface_addresses for the primary address. Tables missing from rows
// leave their fields as they were.
func applyDetails(h *osaudit.Host, tables map[string]map[string]string) {
	rows := make(map[string][]map[string]string, len(tables))
	for t, r := range tables {
		rows[t] = []map[string]string{r}
	}
	applyDetailRows(h, rows)
}

func applyDetailRows(h *osaudit.Host, tables map[string][]map[string]string) {
	if h.Details == nil {
		h.Details = map[string][]map[string]string{}
	}
	for t, rs := range tables {
		h.Details[t] = rs
	}
	first := func(t string) map[string]string {
		if rs := tables[t]; len(rs) > 0 && rs[0] != nil {
			return rs[0]
		}
		return nil
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setInt := func(dst *int64, v string) {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			*dst = n
		}
	}
	if r := first("system_info"); r != nil {
		set(&h.Hostname, r["local_hostname"])
		set(&h.Hostname, r["computer_name"])
		set(&h.Hostname, r["hostname"])
		set(&h.UUID, r["uuid"])
		set(&h.CPUBrand, strings.TrimSpace(r["cpu_brand"]))
		setInt(&h.CPULogical, r["cpu_logical_cores"])
		setInt(&h.MemoryBytes, r["physical_memory"])
		set(&h.HardwareVendor, strings.TrimSpace(r["hardware_vendor"]))
		set(&h.HardwareModel, strings.TrimSpace(r["hardware_model"]))
		set(&h.HardwareSerial, strings.TrimSpace(r["hardware_serial"]))
	}
	if r := first("os_version"); r != nil {
		set(&h.OSName, r["name"])
		v := r["version"]
		if v == "" && r["major"] != "" {
			v = r["major"] + "." + r["minor"]
			if r["patch"] != "" && r["patch"] != "0" {
				v += "." + r["patch"]
			}
		}
		set(&h.OSVersion, v)
		set(&h.OSBuild, r["build"])
		set(&h.Platform, r["platform"])
		set(&h.PlatformLike, r["platform_like"])
		set(&h.Arch, r["arch"])
	}
	if r := first("osquery_info"); r != nil {
		set(&h.AgentVersion, r["version"])
		if h.UUID == "" {
			set(&h.UUID, r["uuid"])
		}
	}
	if r := first("uptime"); r != nil {
		setInt(&h.UptimeSeconds, r["total_seconds"])
	}
	if rs, ok := tables["interface_addresses"]; ok {
		if ip, mac := primaryAddress(rs); ip != "" {
			h.PrimaryIP, h.PrimaryMAC = ip, mac
		}
	}
}

// primaryAddress picks a host's primary address: the first global unicast
// IPv4 address, else the first global IPv6 one, else a private or
// link-local one; loopback never. Interfaces are taken in name order, so
// that the choice is stable.
func primaryAddress(rows []map[string]string) (ip, mac string) {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b map[string]string) int { return strings.Compare(a["interface"], b["interface"]) })
	best := 0
	for _, r := range rows {
		a, err := netip.ParseAddr(strings.SplitN(r["address"], "%", 2)[0])
		if err != nil || a.IsLoopback() || a.IsUnspecified() || a.IsMulticast() {
			continue
		}
		score := 1
		switch {
		case a.IsLinkLocalUnicast():
			score = 1
		case a.Is4():
			score = 4
		default:
			score = 3
		}
		if score > best {
			best, ip, mac = score, a.String(), r["mac"]
		}
	}
	return ip, mac
}

// platform is the set of osquery platform names a host answers to, for
// pack, query and label "platform" fields: the build platform family
// ("linux", "posix", "darwin", "windows", "freebsd") and the distribution
// ("ubuntu", "debian", "rhel"...).
type platform struct {
	key   string // the sorted names joined by commas
	names []string
}

func platformOf(h *osaudit.Host) platform {
	var names []string
	if n, err := strconv.Atoi(h.PlatformType); err == nil && n > 0 {
		for bit, name := range map[int]string{1: "posix", 2: "windows", 8: "linux", 16: "darwin", 32: "freebsd"} {
			if n&bit != 0 {
				names = append(names, name)
			}
		}
	} else {
		switch p := strings.ToLower(h.Platform); p {
		case "windows":
			names = append(names, "windows")
		case "darwin":
			names = append(names, "darwin", "posix")
		case "freebsd":
			names = append(names, "freebsd", "posix")
		case "":
		default:
			names = append(names, "linux", "posix")
		}
	}
	for _, s := range append([]string{h.Platform}, strings.FieldsFunc(h.PlatformLike, func(r rune) bool { return r == ' ' || r == ',' })...) {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			names = append(names, s)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return platform{key: strings.Join(names, ","), names: names}
}

// matches reports whether the host runs on one of list's platforms
// (comma-separated, as osquery writes them; "", "any" and "all" match
// every host).
func (p platform) matches(list string) bool {
	if list == "" {
		return true
	}
	for _, s := range strings.Split(list, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || s == "any" || s == "all" || slices.Contains(p.names, s) {
			return true
		}
	}
	return false
}

// matchesAny reports whether the host runs on one of the platforms (none
// listed: every host).
func (p platform) matchesAny(list []string) bool {
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if p.matches(s) {
			return true
		}
	}
	return false
}
