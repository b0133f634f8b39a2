package tables

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("dns_resolvers", func() *table.Table {
		return &table.Table{
			Name:        "dns_resolvers",
			Description: "Resolvers used by this host. Note: On Windows this data is available in the interface_details table.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("id"),
				table.TextColumn("type"),
				table.TextColumn("address"),
				table.TextColumn("netmask"),
				table.BigIntColumn("options"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genDNSResolvers,
		}
	})
}

// osquery calls glibc's res_init() and reads the global _res state. This
// table parses /etc/resolv.conf the way glibc 2.36 does (res_init.c,
// resolv_conf.c) and reproduces what osquery then prints from _res:
//
//   - nameserver rows (at most MAXNS = 3): the address of an IPv4 server;
//     "" for an IPv6 server, whose _res.nsaddr_list entry has family 0 so
//     that osquery's getnameinfo fails (osquery issue #8562); netmask "32".
//   - sortlist rows (at most MAXRESOLVSORT = 10): netmask is the in_addr_t
//     mask read as a little-endian integer, printed in decimal. osquery
//     passes the entry's struct in_addr to getnameinfo as a struct sockaddr
//     (see resolvSortAddress), so the address is "" unless the network
//     starts with 1.0, 2.0 or 10.0.
//   - search rows (at most MAXDNSRCH = 6, within the 256 bytes of
//     _res.defdname): every row's address is the first search domain, as
//     osquery prints dnsrch[0] for each; netmask is NULL.
//   - options: _res.options, RES_INIT|RES_DEFAULT (705) plus the flags of
//     the "options" lines.
//
// Without a search or domain line the search list is the domain part of
// the host name (/proc/sys/kernel/hostname). What osaudit cannot see: the
// LOCALDOMAIN and RES_OPTIONS variables of the agent's environment, which
// glibc also applies. Without /etc/resolv.conf glibc would report 127.0.0.1;
// osaudit reports no rows and a warning there.

// Resolver option bits of glibc's <resolv.h>.
const (
	resInit        = 0x00000001
	resUseVC       = 0x00000008
	resRecurse     = 0x00000040
	resDefNames    = 0x00000080
	resDNSrch      = 0x00000200
	resRotate      = 0x00004000
	resUseEDNS0    = 0x00100000
	resSnglKup     = 0x00200000
	resSnglKupReop = 0x00400000
	resNoTLDQuery  = 0x01000000
	resNoReload    = 0x02000000
	resTrustAD     = 0x04000000
	resNoAAAA      = 0x08000000
	resDefault     = resRecurse | resDefNames | resDNSrch

	resMaxNS   = 3
	resMaxSort = 10
	resMaxSrch = 6
	resDefName = 256 // sizeof(_res.defdname)
)

// resolvOptionFlags are res_setoptions' flag options, matched as prefixes
// in this order.
var resolvOptionFlags = []struct {
	name string
	flag uint64
}{
	{"rotate", resRotate},
	{"edns0", resUseEDNS0},
	{"single-request-reopen", resSnglKupReop},
	{"single-request", resSnglKup},
	{"no_tld_query", resNoTLDQuery},
	{"no-tld-query", resNoTLDQuery},
	{"no-reload", resNoReload},
	{"use-vc", resUseVC},
	{"trust-ad", resTrustAD},
	{"no-aaaa", resNoAAAA},
}

// resolvNameserver is a parsed nameserver line: an IPv4 address, or an
// IPv6 one (v6 true).
type resolvNameserver struct {
	v4 [4]byte
	v6 bool
}

// resolvSort is a sortlist entry: address and mask in network byte order.
type resolvSort struct {
	addr, mask [4]byte
}

// resolvConf is the resolver state that res_init() leaves in _res.
type resolvConf struct {
	nameservers []resolvNameserver
	sortlist    []resolvSort
	search      []string
	options     uint64
}

func genDNSResolvers(q *table.Query, yield func(table.Row) bool) error {
	if etcInNamespace(q) {
		return nil
	}
	content, err := etcReadText(q.Root(), "/etc/resolv.conf")
	if err != nil {
		q.Warn("cannot read /etc/resolv.conf", "err", err)
		return nil
	}
	hostname := ""
	if b, err := q.Root().ReadFileLimit("/proc/sys/kernel/hostname", 4096); err == nil {
		hostname = strings.TrimRight(string(b), "\n")
	}
	rc := parseResolvConf(content, hostname)
	for _, r := range resolvRows(rc) {
		row := q.NewRow()
		row.Set("id", table.Int(r.id))
		row.Set("type", table.Text(r.typ))
		row.Set("address", table.Text(r.address))
		if r.hasNetmask {
			row.Set("netmask", table.Text(r.netmask))
		}
		row.Set("options", table.Uint(rc.options))
		row.Set("pid_with_namespace", table.Int(0))
		if !yield(row) {
			return nil
		}
	}
	return nil
}

// resolvRow is one row of the table.
type resolvRow struct {
	id           int64
	typ, address string
	netmask      string
	hasNetmask   bool
}

// resolvRows turns the resolver state into osquery's rows (see above).
func resolvRows(rc resolvConf) []resolvRow {
	var rows []resolvRow
	for i, ns := range rc.nameservers {
		addr := ""
		if !ns.v6 {
			addr = netip.AddrFrom4(ns.v4).String()
		}
		rows = append(rows, resolvRow{id: int64(i), typ: "nameserver", address: addr, netmask: "32", hasNetmask: true})
	}
	for i, s := range rc.sortlist {
		mask := strconv.FormatUint(uint64(binary.LittleEndian.Uint32(s.mask[:])), 10)
		rows = append(rows, resolvRow{id: int64(i), typ: "sortlist", address: resolvSortAddress(rc.sortlist, i), netmask: mask, hasNetmask: true})
	}
	for i := range rc.search {
		rows = append(rows, resolvRow{id: int64(i), typ: "search", address: rc.search[0]})
	}
	return rows
}

// resolvSortAddress reproduces what osquery prints as the address of
// sortlist entry i: it hands &_res.sort_list[i].addr, a 4-byte struct
// in_addr, to getnameinfo as a struct sockaddr on a little-endian host.
// The first two address bytes are then read as sa_family:
//
//   - 1.0.x.x reads as AF_LOCAL, which getnameinfo names "localhost";
//   - 2.0.x.x reads as AF_INET, and sin_addr is the entry's mask;
//   - 10.0.x.x reads as AF_INET6, and sin6_addr is the 16 bytes after the
//     entry (the next two entries, or what follows the array in struct
//     __res_state) with sin6_scope_id the 4 bytes after those;
//   - any other family makes getnameinfo fail: "".
//
// The memory after the entries in use is taken as zero (a fresh _res;
// after the array come 4 bytes of padding and two NULL hook pointers). A
// non-zero scope is printed as a number (glibc would print an interface
// name for a link-local address whose scope is an interface index).
func resolvSortAddress(list []resolvSort, i int) string {
	var mem [resMaxSort*8 + 4 + 16]byte
	for j, e := range list {
		copy(mem[8*j:], e.addr[:])
		copy(mem[8*j+4:], e.mask[:])
	}
	base := 8 * i
	switch binary.LittleEndian.Uint16(mem[base:]) {
	case 1: // AF_LOCAL with NI_NUMERICHOST
		return "localhost"
	case 2: // AF_INET: family, port, then sin_addr
		return netip.AddrFrom4([4]byte(mem[base+4 : base+8])).String()
	case 10: // AF_INET6: family, port, flowinfo, sin6_addr, scope id
		s := resolvFormatIPv6([16]byte(mem[base+8 : base+24]))
		if scope := binary.LittleEndian.Uint32(mem[base+24:]); scope != 0 {
			s += "%" + strconv.FormatUint(uint64(scope), 10)
		}
		return s
	}
	return ""
}

// resolvFormatIPv6 formats an IPv6 address as glibc's inet_ntop does: the
// longest run of two or more zero words (the first of equals) becomes
// "::", and an IPv4-compatible or IPv4-mapped address ends in dotted
// form.
func resolvFormatIPv6(a [16]byte) string {
	var w [8]uint16
	for i := range w {
		w[i] = binary.BigEndian.Uint16(a[2*i:])
	}
	bestBase, bestLen := -1, 0
	for i := 0; i < 8; {
		if w[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && w[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestBase, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		bestBase = -1
	}
	var b strings.Builder
	for i := 0; i < 8; i++ {
		if bestBase >= 0 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				b.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			b.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			b.WriteString(netip.AddrFrom4([4]byte(a[12:16])).String())
			break
		}
		b.WriteString(strconv.FormatUint(uint64(w[i]), 16))
	}
	if bestBase >= 0 && bestBase+bestLen == 8 {
		b.WriteByte(':')
	}
	return b.String()
}

// parseResolvConf parses resolv.conf(5) text as glibc's res_init does and
// applies the limits of struct __res_state. hostname gives the default
// search domain when the file names none.
func parseResolvConf(content, hostname string) resolvConf {
	rc := resolvConf{options: resDefault | resInit}
	var search []string
	for _, line := range strings.Split(content, "\n") {
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i] // glibc handles the line as a C string
		}
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if rest, ok := resolvKeyword(line, "domain"); ok {
			rest = strings.TrimLeft(rest, " \t")
			if rest == "" {
				continue
			}
			if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
				rest = rest[:i]
			}
			search = []string{rest}
			continue
		}
		if rest, ok := resolvKeyword(line, "search"); ok {
			rest = strings.TrimLeft(rest, " \t")
			if rest == "" {
				continue
			}
			search = strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\t' })
			continue
		}
		if rest, ok := resolvKeyword(line, "nameserver"); ok {
			if ns, ok := parseResolvNameserver(strings.TrimLeft(rest, " \t")); ok {
				rc.nameservers = append(rc.nameservers, ns)
			}
			continue
		}
		if rest, ok := resolvKeyword(line, "sortlist"); ok {
			rc.sortlist = append(rc.sortlist, parseResolvSortlist(rest)...)
			continue
		}
		if rest, ok := resolvKeyword(line, "options"); ok {
			rc.options = resolvSetOptions(rc.options, rest)
		}
	}
	if len(rc.nameservers) == 0 {
		rc.nameservers = []resolvNameserver{{v4: [4]byte{127, 0, 0, 1}}}
	}
	if len(search) == 0 {
		if _, domain, ok := strings.Cut(hostname, "."); ok {
			search = []string{domain}
		}
	}
	// update_from_conf copies at most MAXDNSRCH names, while they fit in
	// _res.defdname with their terminating NULs.
	used := 0
	for _, s := range search {
		if len(rc.search) == resMaxSrch || used+len(s)+1 > resDefName {
			break
		}
		used += len(s) + 1
		rc.search = append(rc.search, s)
	}
	if len(rc.nameservers) > resMaxNS {
		rc.nameservers = rc.nameservers[:resMaxNS]
	}
	if len(rc.sortlist) > resMaxSort {
		rc.sortlist = rc.sortlist[:resMaxSort]
	}
	return rc
}

// resolvKeyword matches glibc's MATCH: the line starts with the keyword
// followed by a space or a tab. It returns the text after the keyword.
func resolvKeyword(line, keyword string) (string, bool) {
	if len(line) > len(keyword) && strings.HasPrefix(line, keyword) && (line[len(keyword)] == ' ' || line[len(keyword)] == '\t') {
		return line[len(keyword):], true
	}
	return "", false
}

// parseResolvNameserver parses the address of a nameserver line: an IPv4
// address in inet_aton's forms, else an IPv6 address (a %scope suffix is
// allowed and ignored). Trailing text after a blank is ignored.
func parseResolvNameserver(s string) (resolvNameserver, bool) {
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return resolvNameserver{}, false
	}
	if a, ok := inetAton(s); ok {
		return resolvNameserver{v4: a}, true
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() && a.Zone() == "" {
		return resolvNameserver{v6: true}, true
	}
	return resolvNameserver{}, false
}

// parseResolvSortlist parses the items of a sortlist line, "net[/mask]" or
// "net[&mask]", up to the end of the line or a ";". A missing or bad mask
// is the network's classful mask. glibc loops forever on a bad network
// followed by "/", "&" or a non-ASCII byte; osaudit stops the line there.
func parseResolvSortlist(s string) []resolvSort {
	var out []resolvSort
	isMask := func(c byte) bool { return c == '/' || c == '&' }
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' }
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] == '\n' || s[i] == ';' {
			return out
		}
		start := i
		for i < len(s) && !isMask(s[i]) && s[i] != ';' && s[i] < 0x80 && !isSpace(s[i]) {
			i++
		}
		addr, ok := inetAton(s[start:i])
		if !ok {
			if i == start {
				return out // no progress: where glibc would spin
			}
			continue
		}
		e := resolvSort{addr: addr, mask: resolvClassMask(addr)}
		if i < len(s) && isMask(s[i]) {
			i++
			mstart := i
			for i < len(s) && s[i] != ';' && s[i] < 0x80 && !isSpace(s[i]) {
				i++
			}
			if m, ok := inetAton(s[mstart:i]); ok {
				e.mask = m
			}
		}
		out = append(out, e)
	}
}

// resolvClassMask is glibc's net_mask: the classful mask of an address.
func resolvClassMask(a [4]byte) [4]byte {
	switch {
	case a[0]&0x80 == 0:
		return [4]byte{255, 0, 0, 0}
	case a[0]&0xc0 == 0x80:
		return [4]byte{255, 255, 0, 0}
	}
	return [4]byte{255, 255, 255, 0}
}

// resolvSetOptions applies an "options" line as res_setoptions does:
// words separated by spaces or tabs, each matched by prefix. ndots,
// timeout and attempts do not change the options bits.
func resolvSetOptions(options uint64, s string) uint64 {
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t")
		for _, o := range resolvOptionFlags {
			if strings.HasPrefix(s, "ndots:") || strings.HasPrefix(s, "timeout:") || strings.HasPrefix(s, "attempts:") {
				break
			}
			if strings.HasPrefix(s, o.name) {
				options |= o.flag
				break
			}
		}
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			s = s[i:]
		} else {
			s = ""
		}
	}
	return options
}

// inetAton parses an IPv4 address as glibc's inet_aton does, exactly: one
// to four parts separated by dots, each decimal, octal (leading 0) or hex
// (0x), the last part filling the remaining bytes.
func inetAton(s string) ([4]byte, bool) {
	var parts []uint64
	for _, p := range strings.Split(s, ".") {
		if p == "" || len(parts) == 4 {
			return [4]byte{}, false
		}
		base, digits := 10, p
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if p[0] < '0' || p[0] > '9' {
			return [4]byte{}, false
		}
		v := uint64(0)
		if base == 16 && digits == "" {
			return [4]byte{}, false // "0x" without digits
		}
		if digits != "" {
			n, err := strconv.ParseUint(digits, base, 32)
			if err != nil || strings.ContainsAny(digits[:1], "+-") {
				return [4]byte{}, false
			}
			v = n
		}
		parts = append(parts, v)
	}
	n := len(parts)
	for _, v := range parts[:n-1] {
		if v > 0xff {
			return [4]byte{}, false
		}
	}
	if last := parts[n-1]; last > uint64(0xffffffff)>>(8*(n-1)) {
		return [4]byte{}, false
	}
	var val uint32
	for i, v := range parts[:n-1] {
		val |= uint32(v) << (24 - 8*i)
	}
	val |= uint32(parts[n-1])
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], val)
	return a, true
}
