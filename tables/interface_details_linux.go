package tables

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("interface_details", func() *table.Table {
		return &table.Table{
			Name:        "interface_details",
			Description: "Detailed information and stats of network interfaces.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("interface"),
				table.TextColumn("mac").WithCollate("nocase"),
				table.IntegerColumn("type"),
				table.IntegerColumn("mtu"),
				table.IntegerColumn("metric"),
				table.IntegerColumn("flags"),
				table.BigIntColumn("ipackets"),
				table.BigIntColumn("opackets"),
				table.BigIntColumn("ibytes"),
				table.BigIntColumn("obytes"),
				table.BigIntColumn("ierrors"),
				table.BigIntColumn("oerrors"),
				table.BigIntColumn("idrops"),
				table.BigIntColumn("odrops"),
				table.BigIntColumn("collisions"),
				table.BigIntColumn("last_change"),
				table.BigIntColumn("link_speed"),
				table.TextColumn("pci_slot"),
			},
			Generate: genInterfaceDetails,
		}
	})
}

// ifStatColumns maps columns to /sys/class/net/<if>/statistics files.
var ifStatColumns = []struct{ col, file string }{
	{"ipackets", "rx_packets"}, {"opackets", "tx_packets"},
	{"ibytes", "rx_bytes"}, {"obytes", "tx_bytes"},
	{"ierrors", "rx_errors"}, {"oerrors", "tx_errors"},
	{"idrops", "rx_dropped"}, {"odrops", "tx_dropped"},
	{"collisions", "collisions"},
}

// genInterfaceDetails lists the host's network interfaces from
// /sys/class/net, in ifindex order. osquery takes the same facts from
// getifaddrs, ioctls and ethtool; the sysfs equivalents are:
//
//   - mac: address (its first six bytes, 00:00:00:00:00:00 if none);
//   - type: type, the ARPHRD_* value, cut to its low byte as osquery does
//     (it passes the value through an unsigned char: loopback 772 is 4);
//   - mtu: mtu; metric: 0, what SIOCGIFMETRIC always answers on Linux;
//   - flags: the netlink link flags, that is flags (dev->flags) plus
//     IFF_RUNNING when the interface is up and operstate is up or unknown,
//     IFF_LOWER_UP when carrier is 1 and IFF_DORMANT when operstate is
//     dormant;
//   - counters: statistics/*. osquery reads the 32-bit rtnl_link_stats, which
//     wrap at 4 GiB; the 64-bit sysfs counters are reported unwrapped;
//   - link_speed: speed in Mb/s, 0 when unknown or unreadable (the
//     interface is down or has no ethtool speed), read only when the
//     column is used, as osquery does;
//   - pci_slot: ethtool's bus_info, which is the name of the parent device
//     (the device link: 0000:00:03.0, virtio0); "N/A" for bridges, as the
//     bridge driver says; "-1" when there is no parent device. (osquery
//     gives "" for veth and "tun" for tun devices, which sysfs does not tell.)
//   - last_change: -1, as osquery on Linux.
func genInterfaceDetails(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	ifcs, err := listNetInterfaces(root)
	if err != nil {
		q.Warn("cannot list network interfaces", "err", err)
		return nil
	}
	for _, ifc := range ifcs {
		if q.Context().Err() != nil {
			return nil
		}
		r := q.NewRow()
		readInterfaceDetails(q, root, ifc.name, r)
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// readInterfaceDetails fills the row of one interface.
func readInterfaceDetails(q *table.Query, root *hostfs.Root, name string, r table.Row) {
	dir := sysNetClassDir + name + "/"
	r.Set("interface", table.Text(name))
	mac := "00:00:00:00:00:00"
	if b, err := root.ReadFileLimit(dir+"address", 256); err == nil {
		mac = formatIfaceMAC(b)
	}
	r.Set("mac", table.Text(mac))
	r.Set("type", table.Int(0))
	if t, ok := readNetSysUint(root, dir+"type", 10); ok {
		r.Set("type", table.Int(int64(t&0xff)))
	}
	r.Set("mtu", table.Int(0))
	if mtu, ok := readNetSysUint(root, dir+"mtu", 10); ok && mtu <= 1<<32-1 {
		r.Set("mtu", table.Int(int64(mtu)))
	}
	r.Set("metric", table.Int(0))
	if flags, ok := readSysNetFlags(root, name); ok {
		r.Set("flags", table.Int(int64(interfaceLinkFlags(root, dir, flags))))
	}
	for _, s := range ifStatColumns {
		if v, ok := readNetSysUint(root, dir+"statistics/"+s.file, 10); ok {
			r.Set(s.col, table.Uint(v))
		}
	}
	r.Set("last_change", table.Int(-1))
	r.Set("link_speed", table.Int(0))
	if q.Used("link_speed") {
		if b, err := root.ReadFileLimit(dir+"speed", 64); err == nil {
			r.Set("link_speed", table.Int(parseIfaceSpeed(b)))
		}
	}
	r.Set("pci_slot", table.Text(interfaceBusInfo(root, dir)))
}

// interfaceLinkFlags adds to dev->flags the operational flags that the
// kernel computes for netlink (dev_get_flags).
func interfaceLinkFlags(root *hostfs.Root, dir string, flags uint64) uint64 {
	flags &^= iffRunning | iffLowerUp | iffDormant
	if flags&iffUp == 0 {
		return flags
	}
	oper := ""
	if b, err := root.ReadFileLimit(dir+"operstate", 64); err == nil {
		oper = strings.TrimSpace(string(b))
	}
	if oper == "up" || oper == "unknown" {
		flags |= iffRunning
	}
	if oper == "dormant" {
		flags |= iffDormant
	}
	if c, ok := readNetSysUint(root, dir+"carrier", 10); ok && c == 1 {
		flags |= iffLowerUp
	}
	return flags
}

// formatIfaceMAC writes the first six bytes of a sysfs address
// ("08:00:27:4e:66:a1", or longer for other link types) as osquery writes
// SIOCGIFHWADDR's: lower-case hex, zero-padded to six bytes.
func formatIfaceMAC(b []byte) string {
	var mac [6]byte
	parts := bytes.Split(bytes.TrimSpace(b), []byte{':'})
	for i := 0; i < len(mac) && i < len(parts); i++ {
		v, err := strconv.ParseUint(string(parts[i]), 16, 8)
		if err != nil {
			return "00:00:00:00:00:00"
		}
		mac[i] = byte(v)
	}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5])
}

// parseIfaceSpeed reads a sysfs speed in Mb/s; unknown speeds (-1, or
// 4294967295 from older kernels) and malformed text give 0, as osquery.
func parseIfaceSpeed(b []byte) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 0 || v >= 1<<32-1 {
		return 0
	}
	return v
}

// interfaceBusInfo returns what ETHTOOL_GDRVINFO's bus_info would say.
func interfaceBusInfo(root *hostfs.Root, dir string) string {
	if link, err := root.Readlink(dir + "device"); err == nil {
		if base := path.Base(link); base != "." && base != "/" {
			return base
		}
	}
	if fi, err := root.Stat(dir + "bridge"); err == nil && fi.IsDir() {
		return "N/A"
	}
	return "-1"
}
