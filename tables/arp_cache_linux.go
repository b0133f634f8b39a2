package tables

import (
	"bufio"
	"bytes"
	"io"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("arp_cache", func() *table.Table {
		return &table.Table{
			Name:        "arp_cache",
			Description: "Address resolution cache, both static and dynamic (from ARP, NDP).",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("address"),
				table.TextColumn("mac").WithCollate("nocase"),
				table.TextColumn("interface"),
				table.TextColumn("permanent"),
			},
			Generate: genArpCache,
		}
	})
}

// genArpCache lists the IPv4 neighbour table from /proc/net/arp, as osquery
// does (IPv6 neighbours are not in it).
func genArpCache(q *table.Query, yield func(table.Row) bool) error {
	f, err := q.Root().Open("/proc/net/arp")
	if err != nil {
		q.Warn("cannot read the ARP cache", "err", err)
		return nil
	}
	defer f.Close()
	entries, bad, err := parseProcNetArp(f)
	if err != nil {
		q.Warn("cannot read the ARP cache", "err", err)
	}
	if bad > 0 {
		q.Warn("skipped malformed ARP cache lines", "lines", bad)
	}
	for _, e := range entries {
		r := q.NewRow()
		r.Set("address", table.Text(e.address))
		r.Set("mac", table.Text(e.mac))
		r.Set("interface", table.Text(e.iface))
		r.Set("permanent", table.Text(e.permanent))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// arpEntry is one line of /proc/net/arp.
type arpEntry struct{ address, mac, iface, permanent string }

// parseProcNetArp parses /proc/net/arp: a header, then "IP address, HW type,
// Flags, HW address, Mask, Device". Lines without exactly six fields are
// skipped and counted in bad. permanent is "1" when the flags are exactly
// 0x6 (ATF_COM|ATF_PERM), as osquery tests them, else "0".
func parseProcNetArp(r io.Reader) (entries []arpEntry, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	header := true
	for sc.Scan() {
		if header {
			header = false
			continue
		}
		f := procNetFields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			bad++
			continue
		}
		e := arpEntry{address: string(f[0]), mac: string(f[3]), iface: string(f[5]), permanent: "0"}
		if bytes.Equal(f[2], []byte("0x6")) {
			e.permanent = "1"
		}
		entries = append(entries, e)
	}
	return entries, bad, sc.Err()
}
