package tables

import (
	"bufio"
	"bytes"
	"io"
	"sort"
	"strconv"

	"github.com/osaudit/osaudit/hostfs"
)

// Network interfaces as /sys/class/net shows them, shared by
// interface_addresses, interface_details and routes.

// Interface flags (linux/if.h).
const (
	iffUp          = 0x1
	iffBroadcast   = 0x2
	iffDebug       = 0x4
	iffNoTrailers  = 0x20
	iffRunning     = 0x40
	iffNoARP       = 0x80
	iffPromisc     = 0x100
	iffAllMulti    = 0x200
	iffMulticast   = 0x1000
	iffPortSel     = 0x2000
	iffAutoMedia   = 0x4000
	iffDynamic     = 0x8000
	iffLowerUp     = 0x10000
	iffDormant     = 0x20000
	sysNetClassDir = "/sys/class/net/"
)

// netInterface is one entry of /sys/class/net.
type netInterface struct {
	name  string
	index uint32 // 0 when unknown
}

// listNetInterfaces lists /sys/class/net in ifindex order (the order of
// getifaddrs). Entries that are not interfaces (bonding_masters) are left
// out.
func listNetInterfaces(root *hostfs.Root) ([]netInterface, error) {
	entries, err := root.ReadDir(sysNetClassDir)
	if err != nil {
		return nil, err
	}
	var out []netInterface
	for _, e := range entries {
		dir := sysNetClassDir + e.Name()
		if fi, err := root.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		ifc := netInterface{name: e.Name()}
		if v, ok := readNetSysUint(root, dir+"/ifindex", 10); ok && v <= 1<<32-1 {
			ifc.index = uint32(v)
		}
		out = append(out, ifc)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out, nil
}

// readNetSysUint reads a sysfs file holding one unsigned number in base (16
// accepts a "0x" prefix).
func readNetSysUint(root *hostfs.Root, path string, base int) (uint64, bool) {
	b, err := root.ReadFileLimit(path, 64)
	if err != nil {
		return 0, false
	}
	return parseNetSysUint(b, base)
}

// parseNetSysUint parses one unsigned number in base from a sysfs file's text.
func parseNetSysUint(b []byte, base int) (uint64, bool) {
	s := string(bytes.TrimSpace(b))
	if base == 16 {
		if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
			s = s[2:]
		}
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil
}

// netInterfaceNames maps interface indexes to names, as if_indextoname
// does: from /sys/class/net/*/ifindex, or else from /proc/net/if_inet6
// (which lists the interfaces that have IPv6 addresses).
func netInterfaceNames(root *hostfs.Root) map[uint32]string {
	names := map[uint32]string{}
	if ifcs, err := listNetInterfaces(root); err == nil {
		for _, ifc := range ifcs {
			if ifc.index != 0 {
				names[ifc.index] = ifc.name
			}
		}
	}
	if len(names) > 0 {
		return names
	}
	f, err := root.Open("/proc/net/if_inet6")
	if err != nil {
		return names
	}
	defer f.Close()
	for idx, name := range parseIfInet6Names(f) {
		names[idx] = name
	}
	return names
}

// parseIfInet6Names reads the index and name columns of /proc/net/if_inet6
// ("address index prefixlen scope flags name", index in hex).
func parseIfInet6Names(r io.Reader) map[uint32]string {
	names := map[uint32]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) != 6 {
			continue
		}
		idx, err := strconv.ParseUint(string(f[1]), 16, 32)
		if err != nil || idx == 0 {
			continue
		}
		names[uint32(idx)] = string(f[5])
	}
	return names
}

// readSysNetFlags reads /sys/class/net/<name>/flags (the kernel's
// dev->flags, "0x1003").
func readSysNetFlags(root *hostfs.Root, name string) (uint64, bool) {
	return readNetSysUint(root, sysNetClassDir+name+"/flags", 16)
}
