package tables

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("system_info", func() *table.Table {
		return &table.Table{
			Name:        "system_info",
			Description: "System information for identification.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("hostname"),
				table.TextColumn("uuid").WithCollate("nocase"),
				table.TextColumn("cpu_type"),
				table.TextColumn("cpu_subtype"),
				table.TextColumn("cpu_brand"),
				table.IntegerColumn("cpu_physical_cores"),
				table.IntegerColumn("cpu_logical_cores"),
				table.IntegerColumn("cpu_sockets"),
				table.TextColumn("cpu_microcode"),
				table.BigIntColumn("physical_memory"),
				table.TextColumn("hardware_vendor"),
				table.TextColumn("hardware_model"),
				table.TextColumn("hardware_version"),
				table.TextColumn("hardware_serial"),
				table.TextColumn("board_vendor"),
				table.TextColumn("board_model"),
				table.TextColumn("board_version"),
				table.TextColumn("board_serial"),
				table.TextColumn("computer_name"),
				table.TextColumn("local_hostname"),
			},
			Generate: genSystemInfo,
		}
	})
}

// genSystemInfo builds osquery's single system_info row.
//
// Differences from osquery, which calls getaddrinfo, sysconf and parses the
// raw SMBIOS tables:
//   - hostname/local_hostname: osquery resolves the kernel hostname with
//     getaddrinfo(AI_CANONNAME); osaudit makes no lookups and takes the
//     canonical name of the /etc/hosts entry naming the host (what glibc's
//     "files" source answers), else the kernel hostname.
//   - uuid: osquery replaces a missing or placeholder product_uuid with a
//     random UUID it persists in its database; osaudit, stateless, formats
//     /etc/machine-id as a UUID instead (stable across queries), or leaves
//     the column empty.
//   - physical_memory: sysconf(_SC_PHYS_PAGES)*pagesize equals MemTotal of
//     /proc/meminfo (both are the kernel's totalram_pages), so it is read
//     from there.
//   - hardware_* and board_*: read from /sys/class/dmi/id (the kernel's
//     copy of the same SMBIOS strings). Those files are world-readable
//     except the serials, so unlike osquery (which needs root to read the
//     SMBIOS tables) a non-root query still gets vendor and model.
//   - cpu_brand: from the CPUID brand string as osquery (the "cpuid" kernel
//     fact), or /proc/cpuinfo's "model name" when CPUID is unavailable
//     (osquery leaves it empty on aarch64).
func genSystemInfo(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	r := q.NewRow()
	found := false

	kernelHost, err := readKernelHostname(root)
	if err == nil {
		found = true
		fqdn := kernelHost
		if q.Used("hostname", "local_hostname") {
			if hosts, err := sysReadSmall(root, "/etc/hosts"); err == nil {
				if c, ok := canonicalHostFromHosts(hosts, kernelHost); ok {
					fqdn = c
				}
			}
		}
		r.Set("hostname", table.Text(fqdn))
		r.Set("local_hostname", table.Text(fqdn))
		r.Set("computer_name", table.Text(kernelHost))
	}

	if q.Used("uuid") {
		r.Set("uuid", table.Text(readHostUUID(root)))
	}

	arch, err := readMachineArch(root)
	if err == nil {
		found = true
		r.Set("cpu_type", table.Text(arch))
	}

	var cpuinfo []byte
	if q.Used("cpu_subtype", "cpu_microcode", "cpu_sockets", "cpu_physical_cores", "cpu_logical_cores", "cpu_brand") {
		cpuinfo, err = sysReadSmall(root, "/proc/cpuinfo")
		if err == nil {
			found = true
		} else {
			cpuinfo = nil
		}
	}
	logical := readLogicalCPUs(root, cpuinfo)
	if logical > 0 {
		r.Set("cpu_logical_cores", table.Int(logical))
	} else {
		r.Set("cpu_logical_cores", table.Int(-1))
	}
	r.Set("cpu_physical_cores", table.Int(physicalCores(cpuinfo, logical)))
	r.Set("cpu_subtype", table.Text("0"))
	fh := parseCPUInfoHead(cpuinfo)
	if fh.hasModel {
		r.Set("cpu_subtype", table.Text(fh.model))
	}
	if fh.hasMicrocode {
		r.Set("cpu_microcode", table.Text(fh.microcode))
	}
	if fh.hasSiblings {
		if logical > 0 && fh.siblings > 0 {
			r.Set("cpu_sockets", table.Int(logical/fh.siblings))
		} else {
			r.Set("cpu_sockets", table.Int(-1))
		}
	}

	if q.Used("cpu_brand") {
		if brand, ok := readCPUBrand(root); ok {
			r.Set("cpu_brand", table.Text(brand))
		} else if fh.modelName != "" {
			r.Set("cpu_brand", table.Text(fh.modelName))
		}
	}

	if q.Used("physical_memory") {
		r.Set("physical_memory", table.Int(-1))
		if mem, err := readMemInfo(root); err == nil {
			found = true
			if total, ok := mem["memory_total"]; ok {
				r.Set("physical_memory", table.Int(total))
			}
		}
	}

	if q.Used("hardware_vendor", "hardware_model", "hardware_version", "hardware_serial", "board_vendor", "board_model", "board_version", "board_serial") {
		setDMIIdentity(root, r)
	}

	if !found {
		q.Warn("no host identity sources (/proc/sys/kernel/hostname, uname, /proc/cpuinfo, /proc/meminfo)")
		return nil
	}
	yield(r)
	return nil
}

// readKernelHostname returns gethostname(2)'s answer: the UTS hostname in
// /proc/sys/kernel/hostname, or uname's nodename.
func readKernelHostname(root *hostfs.Root) (string, error) {
	h, err := sysReadAttr(root, "/proc/sys/kernel/hostname")
	if err == nil {
		return h, nil
	}
	u, err2 := readUname(root)
	if err2 != nil {
		return "", err
	}
	return sysTrim(u.Nodename), nil
}

// canonicalHostFromHosts finds host (case-insensitively) as the canonical
// name or an alias of an /etc/hosts line and returns that line's canonical
// name, as glibc's files source does for getaddrinfo(AI_CANONNAME).
func canonicalHostFromHosts(hosts []byte, host string) (string, bool) {
	if host == "" {
		return "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(hosts))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 || !utf8.ValidString(f[1]) {
			continue
		}
		for _, name := range f[1:] {
			if strings.EqualFold(name, host) {
				return f[1], true
			}
		}
	}
	return "", false
}

// sysPlaceholderUUIDs are product UUIDs that firmware reports when it has
// none; osquery treats them as missing.
var sysPlaceholderUUIDs = map[string]bool{
	"00000000-0000-0000-0000-000000000000": true,
	"03000200-0400-0500-0006-000700080009": true,
	"03020100-0504-0706-0809-0a0b0c0d0e0f": true,
	"10000000-0000-8000-0040-000000000000": true,
}

// readHostUUID returns the hardware UUID as osquery cleans it, or the
// machine-id as a UUID when the hardware one is missing or a placeholder.
func readHostUUID(root *hostfs.Root) string {
	if b, err := root.ReadFileLimit("/sys/class/dmi/id/product_uuid", 4096); err == nil {
		if u := cleanHardwareUUID(b); u != "" && !sysPlaceholderUUIDs[strings.ToLower(u)] {
			return u
		}
	}
	if b, err := root.ReadFileLimit("/etc/machine-id", 4096); err == nil {
		if u, ok := machineIDAsUUID(b); ok {
			return u
		}
	}
	return ""
}

// cleanHardwareUUID removes newlines, trims whitespace and cuts at the
// first NUL, as osquery's generateHostUUID does.
func cleanHardwareUUID(b []byte) string {
	s := strings.ReplaceAll(string(b), "\n", "")
	s = sysTrim(s)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if !utf8.ValidString(s) {
		return ""
	}
	return s
}

// machineIDAsUUID formats the 32 hex digits of /etc/machine-id as
// 8-4-4-4-12.
func machineIDAsUUID(b []byte) (string, bool) {
	s := strings.ToLower(sysTrim(string(b)))
	if len(s) != 32 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if sysHexDigit(s[i]) < 0 {
			return "", false
		}
	}
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32], true
}

// cpuInfoHead holds what system_info reads from the first processor block
// of /proc/cpuinfo.
type cpuInfoHead struct {
	model, microcode, modelName         string
	hasModel, hasMicrocode, hasSiblings bool
	siblings                            int64
}

// parseCPUInfoHead reads the first block of /proc/cpuinfo as osquery's
// system_info does: "model\t" gives cpu_subtype, "microcode" the microcode
// and "siblings" the logical cores per socket; a detail is used only when
// splitting its line on ':' gives exactly two pieces.
func parseCPUInfoHead(b []byte) cpuInfoHead {
	var h cpuInfoHead
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		switch {
		case strings.HasPrefix(line, "model\t"):
			if d := sysSplit(line, ":"); len(d) == 2 {
				h.model, h.hasModel = d[1], true
			}
		case strings.HasPrefix(line, "microcode"):
			if d := sysSplit(line, ":"); len(d) == 2 {
				h.microcode, h.hasMicrocode = d[1], true
			}
		case strings.HasPrefix(line, "siblings"):
			if d := sysSplit(line, ":"); len(d) == 2 {
				if n, err := strconv.ParseInt(d[1], 10, 32); err == nil {
					h.siblings, h.hasSiblings = n, true
				}
			}
		case strings.HasPrefix(line, "model name"):
			if _, v, ok := strings.Cut(line, ":"); ok && h.modelName == "" {
				h.modelName = sysTrim(v)
			}
		}
	}
	if !utf8.ValidString(h.model) || !utf8.ValidString(h.microcode) || !utf8.ValidString(h.modelName) {
		return cpuInfoHead{}
	}
	return h
}

// readLogicalCPUs counts the online CPUs as std::thread::hardware_concurrency
// does (glibc reads /sys/devices/system/cpu/online), falling back to the
// processor entries of /proc/cpuinfo. It returns 0 when unknown.
func readLogicalCPUs(root *hostfs.Root, cpuinfo []byte) int64 {
	if s, err := sysReadAttr(root, "/sys/devices/system/cpu/online"); err == nil {
		if n, ok := countCPUList(s); ok {
			return n
		}
	}
	var n int64
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		if strings.HasPrefix(line, "processor") && strings.Contains(line, ":") {
			n++
		}
	}
	return n
}

// countCPUList counts the CPUs of a kernel CPU list such as "0-3,8,10-11".
func countCPUList(s string) (int64, bool) {
	s = sysTrim(s)
	if s == "" {
		return 0, false
	}
	var n int64
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b < a {
				return 0, false
			}
		}
		n += int64(b-a) + 1
	}
	return n, true
}

// physicalCores counts the distinct (physical id, core id) pairs of
// /proc/cpuinfo as boost::thread::physical_concurrency does, falling back
// to the logical count when the file has none or a line it cannot split.
func physicalCores(cpuinfo []byte, logical int64) int64 {
	type core struct{ pkg, id uint64 }
	cores := map[core]bool{}
	var cur core
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		if line == "" {
			continue
		}
		kv := strings.Split(line, ":")
		if len(kv) != 2 {
			return logical
		}
		key, val := sysTrim(kv[0]), sysTrim(kv[1])
		switch key {
		case "physical id":
			v, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return logical
			}
			cur.pkg = v
		case "core id":
			v, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return logical
			}
			cur.id = v
			cores[cur] = true
		}
	}
	if len(cores) == 0 {
		return logical
	}
	return int64(len(cores))
}

// readCPUBrand returns the CPUID brand string, trimmed, as osquery takes
// cpu_brand from its cpuid table.
func readCPUBrand(root *hostfs.Root) (string, bool) {
	b, err := root.Kernel(cpuidKernelFact, liveCPUIDDump)
	if err != nil {
		return "", false
	}
	d, err := parseCPUIDDump(b)
	if err != nil {
		return "", false
	}
	brand, ok := d.brandString()
	if !ok {
		return "", false
	}
	return sysTrim(brand), true
}

// sysDMIField maps a system_info column to its /sys/class/dmi/id file.
var sysDMIFields = []struct{ column, file string }{
	{"hardware_vendor", "sys_vendor"},
	{"hardware_model", "product_name"},
	{"hardware_version", "product_version"},
	{"hardware_serial", "product_serial"},
	{"board_vendor", "board_vendor"},
	{"board_model", "board_name"},
	{"board_version", "board_version"},
	{"board_serial", "board_serial"},
}

// setDMIIdentity fills the hardware_* and board_* columns from
// /sys/class/dmi/id. Without DMI, hardware_model is "" as in osquery when
// it finds no SMBIOS tables; an unreadable file (the serials, for non-root)
// leaves its column NULL.
func setDMIIdentity(root *hostfs.Root, r table.Row) {
	const dir = "/sys/class/dmi/id/"
	if _, err := root.Stat(dir); err != nil {
		r.Set("hardware_model", table.Text(""))
		return
	}
	vals := map[string]string{}
	for _, f := range sysDMIFields {
		v, err := sysReadAttr(root, dir+f.file)
		if err != nil {
			continue
		}
		vals[f.column] = sysTrimRight(v)
	}
	// Lenovo puts the model in the version string and the SKU in the
	// product name; osquery swaps them.
	if strings.ToLower(vals["hardware_vendor"]) == "lenovo" {
		m, mok := vals["hardware_model"]
		v, vok := vals["hardware_version"]
		delete(vals, "hardware_model")
		delete(vals, "hardware_version")
		if vok {
			vals["hardware_model"] = v
		}
		if mok {
			vals["hardware_version"] = m
		}
	}
	for col, v := range vals {
		r.Set(col, table.Text(v))
	}
}
