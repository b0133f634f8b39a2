package tables

import (
	"bytes"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("interface_addresses", func() *table.Table {
		return &table.Table{
			Name:        "interface_addresses",
			Description: "Network interfaces and relevant metadata.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("interface"),
				table.TextColumn("address"),
				table.TextColumn("mask"),
				table.TextColumn("broadcast"),
				table.TextColumn("point_to_point"),
				table.TextColumn("type"),
			},
			Generate: genInterfaceAddresses,
		}
	})
}

// genInterfaceAddresses lists the IPv4 and IPv6 addresses of the host's
// interfaces. osquery calls getifaddrs, which reads the kernel's
// RTM_GETADDR netlink dump; this table parses the same dump (see
// rtnetlink_linux.go) and follows glibc's reading of it: the IFA_LABEL
// names IPv4 aliases ("eth0:1"), the mask comes from the prefix length, the
// second address of a message (IFA_BROADCAST, or the peer of IFA_LOCAL) is
// the broadcast address on interfaces with IFF_BROADCAST and the
// point-to-point address elsewhere (so lo's 127.0.0.1 is its own peer), and
// link-local IPv6 addresses carry their interface as "%eth0". The link
// flags and index-to-name map come from /sys/class/net. type is "unknown",
// as osquery reports on Linux.
func genInterfaceAddresses(q *table.Query, yield func(table.Row) bool) error {
	dump, err := readRtnlDump(q, "addr", syscall.RTM_GETADDR)
	if err != nil {
		q.Warn("cannot read interface addresses (netlink RTM_GETADDR)", "err", err)
		return nil
	}
	addrs, err := parseIfAddrDump(dump)
	if err != nil {
		q.Warn("malformed netlink address dump; rows may be missing", "err", err)
	}
	root := q.Root()
	names := netInterfaceNames(root)
	flags := map[uint32]uint64{}
	for _, a := range addrs {
		name := a.label
		if name == "" {
			name = names[a.index]
		}
		f, ok := flags[a.index]
		if !ok {
			f, _ = readSysNetFlags(root, names[a.index])
			flags[a.index] = f
		}
		r := q.NewRow()
		r.Set("interface", table.Text(name))
		r.Set("address", table.Text(netAddrText(a.addr, a.index, names)))
		r.Set("mask", table.Text(netAddrText(netPrefixMask(a.addr.Is4(), a.prefixLen), 0, nil)))
		if a.dst.IsValid() {
			dst := table.Text(netAddrText(a.dst, a.index, names))
			if f&iffBroadcast != 0 {
				r.Set("broadcast", dst)
			} else {
				r.Set("point_to_point", dst)
			}
		}
		r.Set("type", table.Text("unknown"))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// ifAddr is one interface address of an RTM_NEWADDR message, read as glibc's
// getifaddrs reads it.
type ifAddr struct {
	index     uint32
	prefixLen int
	label     string
	addr, dst netip.Addr // dst: broadcast or peer address, if any
}

// Address attributes (linux/if_addr.h).
const (
	ifaAddress   = 1
	ifaLocal     = 2
	ifaLabel     = 3
	ifaBroadcast = 4
)

// parseIfAddrDump reads the IPv4 and IPv6 addresses of an RTM_GETADDR dump.
// Each message is a struct ifaddrmsg (family, prefixlen, flags, scope,
// index) and attributes. Messages of other families or without an address
// are skipped.
func parseIfAddrDump(b []byte) ([]ifAddr, error) {
	msgs, err := parseRtnlDump(b, rtmNewAddr, 8)
	var out []ifAddr
	for _, m := range msgs {
		family := m.header[0]
		var size int
		switch family {
		case syscall.AF_INET:
			size = 4
		case syscall.AF_INET6:
			size = 16
		default:
			continue
		}
		a := ifAddr{prefixLen: int(m.header[1])}
		a.index, _ = rtnlUint32(m.header[4:8])
		for _, at := range m.attrs {
			switch at.typ {
			case ifaAddress, ifaLocal, ifaBroadcast:
				if len(at.data) != size {
					continue
				}
				ip, _ := netip.AddrFromSlice(at.data)
				switch {
				case at.typ == ifaBroadcast:
					a.dst = ip
				case at.typ == ifaLocal && a.addr.IsValid():
					a.dst, a.addr = a.addr, ip // IFA_ADDRESS was the peer
				case at.typ == ifaAddress && a.addr.IsValid():
					a.dst = ip
				default:
					a.addr = ip
				}
			case ifaLabel:
				label, _, _ := bytes.Cut(at.data, []byte{0})
				a.label = string(label)
			}
		}
		if !a.addr.IsValid() {
			continue
		}
		if a.prefixLen > size*8 {
			a.prefixLen = size * 8
		}
		out = append(out, a)
	}
	return out, err
}

// netPrefixMask returns the netmask of a prefix length as an address.
func netPrefixMask(v4 bool, bits int) netip.Addr {
	var b [16]byte
	n := 16
	if v4 {
		n = 4
	}
	for i := 0; i < n && bits > 0; i++ {
		take := min(bits, 8)
		b[i] = byte(0xff << (8 - take))
		bits -= take
	}
	if v4 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}

// netAddrText writes an address as getnameinfo(NI_NUMERICHOST) does for
// getifaddrs' results: IPv4 dotted, IPv6 as inet_ntop, and link-local IPv6
// with "%" and the interface name of index (its number if unknown).
func netAddrText(a netip.Addr, index uint32, names map[uint32]string) string {
	if a.Is4() {
		return a.String()
	}
	s := netFormatIPv6(a.As16())
	if index != 0 && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) {
		if name, ok := names[index]; ok && name != "" {
			return s + "%" + name
		}
		return s + "%" + strconv.FormatUint(uint64(index), 10)
	}
	return s
}
