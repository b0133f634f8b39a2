package tables

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("iptables", func() *table.Table {
		return &table.Table{
			Name:        "iptables",
			Description: "Linux IP packet filtering and NAT tool.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("filter_name"),
				table.TextColumn("chain"),
				table.TextColumn("policy"),
				table.TextColumn("target"),
				table.IntegerColumn("protocol"),
				table.TextColumn("src_port"),
				table.TextColumn("dst_port"),
				table.TextColumn("src_ip"),
				table.TextColumn("src_mask"),
				table.TextColumn("iniface"),
				table.TextColumn("iniface_mask"),
				table.TextColumn("dst_ip"),
				table.TextColumn("dst_mask"),
				table.TextColumn("outiface"),
				table.TextColumn("outiface_mask"),
				table.TextColumn("match"),
				table.IntegerColumn("packets"),
				table.IntegerColumn("bytes"),
			},
			Generate: genIptables,
		}
	})
}

// The iptables table reads the legacy x_tables rulesets, as osquery does
// through libiptc: the table names from /proc/net/ip_tables_names, and for
// each table the kernel's blob, which getsockopt(IPT_SO_GET_INFO) and
// getsockopt(IPT_SO_GET_ENTRIES) return on a raw socket (this needs
// CAP_NET_ADMIN; without it the table warns and gives no rows). Rulesets
// managed by nftables (iptables-nft) are not visible there, in osquery
// either.
//
// The blob, as Kernel("ip_tables/<name>") returns it on the live host and
// a fixture stores it, is struct ipt_getinfo (84 bytes) followed by struct
// ipt_get_entries (a 40-byte header, then the entries), in the kernel's
// layout for 64-bit hosts (linux/netfilter_ipv4/ip_tables.h) and host byte
// order.

// Struct sizes and offsets of the blob.
const (
	iptInfoLen        = 84  // struct ipt_getinfo
	iptEntriesHdrLen  = 40  // struct ipt_get_entries without entrytable
	iptEntryLen       = 112 // struct ipt_entry
	iptXtHeaderLen    = 32  // struct xt_entry_match / xt_entry_target
	iptStandardTarget = 40  // XT_ALIGN(sizeof(struct xt_standard_target))
	iptTableNameLen   = 32  // XT_TABLE_MAXNAMELEN
	iptNumHooks       = 5
)

// Inversion flags of struct ipt_ip (IPT_INV_*).
const (
	iptInvViaIn  = 0x01
	iptInvViaOut = 0x02
	iptInvSrcIP  = 0x08
	iptInvDstIP  = 0x10
	iptInvProto  = 0x40
)

var iptHookNames = [iptNumHooks]string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}

// iptRule is one rule of a chain, with the fields osquery reports.
type iptRule struct {
	target                     string
	proto                      uint16
	invFlags                   byte
	src, dst, srcMask, dstMask [4]byte
	inIface, outIface          string
	inMask, outMask            [16]byte
	ports                      bool // src/dst ports are known (a tcp or udp match)
	srcPorts, dstPorts         [2]uint16
}

// iptChain is a chain of a table: its rules and, for built-in chains, its
// policy and the policy's counters.
type iptChain struct {
	name           string
	builtin        bool
	policy         string
	packets, bytes uint64
	head, foot     int // offsets of the chain's first and last entries
	rules          []iptRule
	entries        []iptEntryRef
}

// iptEntryRef is what the parser keeps of each entry of a chain besides its
// rule.
type iptEntryRef struct {
	offset         int
	kind           iptTargetKind
	verdict        int32 // of a standard target or jump
	packets, bytes uint64
}

// iptTargetKind tells how a rule's target is named.
type iptTargetKind uint8

const (
	iptTargetModule      iptTargetKind = iota // a target extension: its name
	iptTargetStandard                         // a verdict: ACCEPT, DROP, QUEUE, RETURN
	iptTargetFallthrough                      // no target: ""
	iptTargetJump                             // a jump: the name of the chain at the offset
)

var errIptBlob = errors.New("malformed ip_tables blob")

// parseIptBlob parses a table's blob into chains in libiptc's order:
// built-in chains and user chains as they appear, user chains kept sorted
// by name. As libiptc does, a chain starts at a hook entry (built-in) or at
// an ERROR target naming it (user chain), its last entry is its policy
// (built-in) or its RETURN and is not a rule, and the last entry of the
// blob ends the table.
func parseIptBlob(b []byte) ([]*iptChain, error) {
	if len(b) < iptInfoLen+iptEntriesHdrLen {
		return nil, fmt.Errorf("%w: %d bytes", errIptBlob, len(b))
	}
	ne := binary.NativeEndian
	validHooks := ne.Uint32(b[32:36])
	var hookEntry [iptNumHooks]uint32
	for h := range iptNumHooks {
		hookEntry[h] = ne.Uint32(b[36+4*h:])
	}
	size := int(ne.Uint32(b[iptInfoLen+32:]))
	entries := b[iptInfoLen+iptEntriesHdrLen:]
	if size > len(entries) {
		return nil, fmt.Errorf("%w: entries of %d bytes in %d", errIptBlob, size, len(entries))
	}
	entries = entries[:size]

	var chains []*iptChain
	var cur *iptChain
	endChain := func() {
		if cur == nil || len(cur.entries) == 0 {
			return
		}
		last := len(cur.entries) - 1
		foot := cur.entries[last]
		cur.foot = foot.offset
		if cur.builtin {
			cur.policy = iptVerdictName(foot.verdict)
			cur.packets, cur.bytes = foot.packets, foot.bytes
		}
		cur.rules, cur.entries = cur.rules[:last], cur.entries[:last]
	}
	addChain := func(c *iptChain) {
		endChain()
		cur = c
		// libiptc appends built-in chains and keeps user chains sorted.
		i := len(chains)
		if !c.builtin && len(chains) > 0 {
			if tail := chains[len(chains)-1]; !tail.builtin && c.name <= tail.name {
				for j, o := range chains {
					if !o.builtin && c.name <= o.name {
						i = j
						break
					}
				}
			}
		}
		chains = append(chains, nil)
		copy(chains[i+1:], chains[i:])
		chains[i] = c
	}

	for off := 0; off < size; {
		if size-off < iptEntryLen {
			return nil, fmt.Errorf("%w: entry at %d is truncated", errIptBlob, off)
		}
		e := entries[off:]
		targetOff := int(ne.Uint16(e[88:90]))
		next := int(ne.Uint16(e[90:92]))
		if next < iptEntryLen || next > size-off || targetOff < iptEntryLen || targetOff+iptXtHeaderLen > next {
			return nil, fmt.Errorf("%w: entry at %d has bad offsets (target %d, next %d)", errIptBlob, off, targetOff, next)
		}
		e = e[:next]
		t := e[targetOff:]
		tsize := int(ne.Uint16(t[0:2]))
		if tsize < iptXtHeaderLen || tsize > len(t) {
			return nil, fmt.Errorf("%w: entry at %d has a bad target size %d", errIptBlob, off, tsize)
		}
		t = t[:tsize]
		tname := iptCString(t[2:31])
		tdata := t[iptXtHeaderLen:]

		if off+next == size { // the table's closing ERROR entry
			endChain()
			cur = nil
			break
		}
		hook := -1
		for h := range iptNumHooks {
			if validHooks&(1<<h) != 0 && int(hookEntry[h]) == off {
				hook = h
			}
		}
		switch {
		case tname == "ERROR":
			addChain(&iptChain{name: iptCString(tdata), head: off})
			off += next
			continue
		case hook >= 0:
			addChain(&iptChain{name: iptHookNames[hook], builtin: true, head: off})
		case cur == nil:
			return nil, fmt.Errorf("%w: rule at %d is outside any chain", errIptBlob, off)
		}
		rule, ref, err := parseIptRule(e, targetOff, tname, tdata, off+next)
		if err != nil {
			return nil, fmt.Errorf("%w: entry at %d: %v", errIptBlob, off, err)
		}
		ref.offset = off
		ref.packets, ref.bytes = ne.Uint64(e[96:104]), ne.Uint64(e[104:112])
		cur.rules = append(cur.rules, rule)
		cur.entries = append(cur.entries, ref)
		off += next
	}
	endChain()

	// Resolve jumps: the target is the chain whose entries hold the offset.
	for _, c := range chains {
		for i, ref := range c.entries {
			if ref.kind != iptTargetJump {
				continue
			}
			found := false
			for _, d := range chains {
				if int(ref.verdict) >= d.head && int(ref.verdict) <= d.foot {
					c.rules[i].target, found = d.name, true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: jump to offset %d is in no chain", errIptBlob, ref.verdict)
			}
		}
	}
	return chains, nil
}

// parseIptRule reads the fields of one entry e (struct ipt_entry with its
// matches and target) and how its target is named. nextOff is the offset
// of the following entry, where a fall-through verdict points.
func parseIptRule(e []byte, targetOff int, tname string, tdata []byte, nextOff int) (iptRule, iptEntryRef, error) {
	ne := binary.NativeEndian
	var r iptRule
	copy(r.src[:], e[0:4])
	copy(r.dst[:], e[4:8])
	copy(r.srcMask[:], e[8:12])
	copy(r.dstMask[:], e[12:16])
	r.inIface = iptCString(e[16:32])
	r.outIface = iptCString(e[32:48])
	copy(r.inMask[:], e[48:64])
	copy(r.outMask[:], e[64:80])
	r.proto = ne.Uint16(e[80:82])
	r.invFlags = e[83]

	// osquery reads the first match as a tcp or udp match when the rule's
	// protocol is TCP or UDP; it is read only when it is one.
	if (r.proto == 6 || r.proto == 17) && targetOff > iptEntryLen {
		m := e[iptEntryLen:targetOff]
		msize := int(ne.Uint16(m[0:2]))
		if len(m) >= iptXtHeaderLen && msize >= iptXtHeaderLen+8 && msize <= len(m) {
			if name := iptCString(m[2:31]); name == "tcp" || name == "udp" {
				d := m[iptXtHeaderLen:]
				r.ports = true
				r.srcPorts = [2]uint16{ne.Uint16(d[0:2]), ne.Uint16(d[2:4])}
				r.dstPorts = [2]uint16{ne.Uint16(d[4:6]), ne.Uint16(d[6:8])}
			}
		}
	}

	if tname != "" {
		r.target = tname
		return r, iptEntryRef{kind: iptTargetModule}, nil
	}
	// The standard target: a verdict or a jump offset.
	if len(tdata)+iptXtHeaderLen != iptStandardTarget {
		return r, iptEntryRef{}, fmt.Errorf("standard target of %d bytes", len(tdata)+iptXtHeaderLen)
	}
	ref := iptEntryRef{verdict: int32(ne.Uint32(tdata[0:4]))}
	switch {
	case ref.verdict < 0:
		ref.kind = iptTargetStandard
		r.target = iptVerdictName(ref.verdict)
	case int(ref.verdict) == nextOff:
		ref.kind = iptTargetFallthrough
	default:
		ref.kind = iptTargetJump
	}
	return r, ref, nil
}

// iptVerdictName names a standard verdict as libiptc does.
func iptVerdictName(v int32) string {
	switch v {
	case -5: // -NF_REPEAT-1
		return "RETURN"
	case -2: // -NF_ACCEPT-1
		return "ACCEPT"
	case -1: // -NF_DROP-1
		return "DROP"
	case -4: // -NF_QUEUE-1
		return "QUEUE"
	}
	return "" // libiptc aborts on an unknown verdict
}

// iptCString reads a NUL-terminated string from a fixed-size field.
func iptCString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// parseIptTableNames reads /proc/net/ip_tables_names: one table name a
// line. Names that cannot be table names are skipped and counted in bad.
func parseIptTableNames(r io.Reader) (names []string, bad int, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" {
			continue
		}
		if !validIptTableName(name) {
			bad++
			continue
		}
		names = append(names, name)
	}
	return names, bad, sc.Err()
}

// validIptTableName accepts the names the kernel can register: short, and
// safe to use as a file name under .kernel/.
func validIptTableName(name string) bool {
	if len(name) == 0 || len(name) >= iptTableNameLen {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func genIptables(q *table.Query, yield func(table.Row) bool) error {
	f, err := q.Root().Open("/proc/net/ip_tables_names")
	if err != nil {
		// Not root, or the ip_tables module is not loaded.
		q.Warn("cannot read /proc/net/ip_tables_names", "err", err)
		return nil
	}
	names, bad, err := parseIptTableNames(f)
	f.Close()
	if err != nil {
		q.Warn("cannot read /proc/net/ip_tables_names", "err", err)
	}
	if bad > 0 {
		q.Warn("skipped malformed table names", "lines", bad)
	}
	warnedPerm := false
	for _, name := range names {
		blob, err := q.Root().Kernel("ip_tables/"+name, func() ([]byte, error) { return readIptBlob(name) })
		if err != nil {
			if !warnedPerm {
				q.Warn("cannot read the iptables ruleset (needs CAP_NET_ADMIN)", "table", name, "err", err)
				warnedPerm = true
			}
			continue
		}
		chains, err := parseIptBlob(blob)
		if err != nil {
			q.Warn("skipping iptables table", "table", name, "err", err)
			continue
		}
		for _, c := range chains {
			for _, rule := range c.rules {
				r := iptChainRow(q, name, c)
				setIptRule(r, rule)
				if !yield(r) {
					return nil
				}
			}
			if !yield(iptChainRow(q, name, c)) {
				return nil
			}
		}
	}
	return nil
}

// iptChainRow returns a row with the chain's columns: osquery gives every
// rule row the policy and the policy's counters, and then one row for the
// chain itself with nothing else. User chains have policy "" and counters
// 0.
func iptChainRow(q *table.Query, filter string, c *iptChain) table.Row {
	r := q.NewRow()
	r.Set("filter_name", table.Text(filter))
	r.Set("chain", table.Text(c.name))
	r.Set("policy", table.Text(c.policy))
	if c.policy == "" {
		r.Set("packets", table.Int(0))
		r.Set("bytes", table.Int(0))
	} else {
		r.Set("packets", table.Uint(c.packets))
		r.Set("bytes", table.Uint(c.bytes))
	}
	return r
}

// setIptRule sets a rule's columns as osquery formats them.
func setIptRule(r table.Row, rule iptRule) {
	inv := func(flag byte) string {
		if rule.invFlags&flag != 0 {
			return "!"
		}
		return ""
	}
	ip := func(b [4]byte) string { return netip.AddrFrom4(b).String() }
	iface := func(name string, flag byte) string {
		if name == "" {
			return "all"
		}
		return inv(flag) + name
	}
	mask := func(m [16]byte) string {
		var s strings.Builder
		for _, c := range m {
			if c == 0 {
				break
			}
			fmt.Fprintf(&s, "%02X", c)
		}
		return s.String()
	}
	r.Set("target", table.Text(rule.target))
	r.Set("match", table.Text("yes")) // osquery tests target_offset, which is never 0
	if rule.ports {
		r.Set("src_port", table.Text(fmt.Sprintf("%d:%d", rule.srcPorts[0], rule.srcPorts[1])))
		r.Set("dst_port", table.Text(fmt.Sprintf("%d:%d", rule.dstPorts[0], rule.dstPorts[1])))
	} else {
		r.Set("src_port", table.Text(""))
		r.Set("dst_port", table.Text(""))
	}
	// osquery writes an inverted protocol as "!6", which its INTEGER column
	// turns into NULL.
	if rule.invFlags&iptInvProto == 0 {
		r.Set("protocol", table.Int(int64(rule.proto)))
	}
	r.Set("iniface", table.Text(iface(rule.inIface, iptInvViaIn)))
	r.Set("outiface", table.Text(iface(rule.outIface, iptInvViaOut)))
	r.Set("src_ip", table.Text(inv(iptInvSrcIP)+ip(rule.src)))
	r.Set("dst_ip", table.Text(inv(iptInvDstIP)+ip(rule.dst)))
	r.Set("src_mask", table.Text(ip(rule.srcMask)))
	r.Set("dst_mask", table.Text(ip(rule.dstMask)))
	r.Set("iniface_mask", table.Text(mask(rule.inMask)))
	r.Set("outiface_mask", table.Text(mask(rule.outMask)))
}
