package tables

import (
	"net/netip"
	"syscall"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("routes", func() *table.Table {
		return &table.Table{
			Name:        "routes",
			Description: "The active route table for the host system.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("destination"),
				table.IntegerColumn("netmask"),
				table.TextColumn("gateway"),
				table.TextColumn("source"),
				table.IntegerColumn("flags"),
				table.TextColumn("interface"),
				table.IntegerColumn("mtu"),
				table.IntegerColumn("metric"),
				table.TextColumn("type", table.Additional),
				table.IntegerColumn("hopcount"),
			},
			Generate: genRoutes,
		}
	})
}

// genRoutes lists the kernel's IPv4 and IPv6 routes of every routing table
// (main, local, ...) from an RTM_GETROUTE netlink dump, as osquery does.
// /proc/net/route shows only the IPv4 main table and has neither the route
// type, nor the preferred source, nor the rtm_flags that osquery reports, so
// the dump is read instead (see rtnetlink_linux.go).
func genRoutes(q *table.Query, yield func(table.Row) bool) error {
	dump, err := readRtnlDump(q, "route", syscall.RTM_GETROUTE)
	if err != nil {
		q.Warn("cannot read routes (netlink RTM_GETROUTE)", "err", err)
		return nil
	}
	routes, err := parseRouteDump(dump)
	if err != nil {
		q.Warn("malformed netlink route dump; rows may be missing", "err", err)
	}
	names := netInterfaceNames(q.Root())
	for _, rt := range routes {
		r := q.NewRow()
		r.Set("destination", table.Text(rt.destination))
		r.Set("netmask", table.Int(rt.netmask))
		if rt.gateway != "" {
			r.Set("gateway", table.Text(rt.gateway))
		}
		if rt.source != "" {
			r.Set("source", table.Text(rt.source))
		}
		r.Set("flags", table.Int(rt.flags))
		if rt.hasOIF {
			// if_indextoname leaves osquery's buffer empty for an unknown index.
			r.Set("interface", table.Text(names[rt.oif]))
		}
		r.Set("mtu", table.Int(rt.mtu))
		r.Set("metric", table.Int(rt.metric))
		r.Set("type", table.Text(rt.typ))
		r.Set("hopcount", table.Int(rt.hopcount))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// netRoute is one route of an RTM_NEWROUTE message, with osquery's values.
type netRoute struct {
	destination, gateway, source, typ string
	netmask, flags                    int64
	oif                               uint32
	hasOIF                            bool
	mtu, metric, hopcount             int64
}

// Route attributes and metrics (linux/rtnetlink.h).
const (
	rtaDst      = 1
	rtaOIF      = 4
	rtaGateway  = 5
	rtaPriority = 6
	rtaPrefSrc  = 7
	rtaMetrics  = 8

	rtaxMTU      = 2
	rtaxHopLimit = 10
)

// routeTypeNames are osquery's names of rtm_type values; others are "other".
var routeTypeNames = map[byte]string{1: "gateway", 2: "local", 3: "broadcast", 4: "anycast"}

// parseRouteDump reads the IPv4 and IPv6 routes of an RTM_GETROUTE dump.
// Each message is a struct rtmsg (family, dst_len, src_len, tos, table,
// protocol, scope, type, flags u32) and attributes. As in osquery: a route
// without RTA_DST goes to 0.0.0.0 or ::, netmask is dst_len except for
// host routes (/32, /128), which get 0, metric is RTA_PRIORITY, mtu and
// hopcount come from RTA_METRICS (0 if absent), and every unicast route is
// of type "gateway". Routes of other families (multicast routing, MPLS) are
// skipped; osquery would print them with an empty destination.
func parseRouteDump(b []byte) ([]netRoute, error) {
	msgs, err := parseRtnlDump(b, rtmNewRoute, 12)
	var out []netRoute
	for _, m := range msgs {
		family, dstLen, typ := m.header[0], int64(m.header[1]), m.header[7]
		var size int
		rt := netRoute{destination: "0.0.0.0", typ: "other"}
		switch family {
		case syscall.AF_INET:
			size = 4
		case syscall.AF_INET6:
			size, rt.destination = 16, "::"
		default:
			continue
		}
		if name, ok := routeTypeNames[typ]; ok {
			rt.typ = name
		}
		flags, _ := rtnlUint32(m.header[8:12])
		rt.flags = int64(flags)
		rt.netmask = dstLen
		addr := func(data []byte) (string, bool) {
			if len(data) != size {
				return "", false
			}
			ip, _ := netip.AddrFromSlice(data)
			if ip.Is4() {
				return ip.String(), true
			}
			return netFormatIPv6(ip.As16()), true
		}
		for _, at := range m.attrs {
			switch at.typ {
			case rtaOIF:
				rt.oif, rt.hasOIF = rtnlUint32(at.data)
			case rtaGateway:
				if s, ok := addr(at.data); ok {
					rt.gateway = s
				}
			case rtaPrefSrc:
				if s, ok := addr(at.data); ok {
					rt.source = s
				}
			case rtaDst:
				if s, ok := addr(at.data); ok {
					rt.destination = s
					if dstLen == 32 || dstLen == 128 {
						rt.netmask = 0
					}
				}
			case rtaPriority:
				if v, ok := rtnlUint32(at.data); ok {
					rt.metric = int64(int32(v))
				}
			case rtaMetrics:
				metrics, _ := parseRtnlAttrs(at.data)
				for _, x := range metrics {
					v, ok := rtnlUint32(x.data)
					if !ok {
						continue
					}
					switch x.typ {
					case rtaxMTU:
						rt.mtu = int64(int32(v))
					case rtaxHopLimit:
						rt.hopcount = int64(int32(v))
					}
				}
			}
		}
		out = append(out, rt)
	}
	return out, err
}
