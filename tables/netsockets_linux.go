package tables

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// This file holds what process_open_sockets and listening_ports share: the
// parsers of /proc/<pid>/net/{tcp,udp,raw,...,unix,packet}, the map from
// socket inode to the process and descriptor that hold it, and the walk over
// network namespaces that osquery does.

// Socket families and protocols as osquery reports them (Linux values).
const (
	sockFamilyUnix   = 1  // AF_UNIX
	sockFamilyInet   = 2  // AF_INET
	sockFamilyInet6  = 10 // AF_INET6
	sockFamilyPacket = 17 // AF_PACKET
)

// sockInetProtocols are the /proc/<pid>/net files osquery reads for AF_INET
// and AF_INET6, in its order (by protocol number); the IPv6 file has a "6"
// suffix.
var sockInetProtocols = []struct {
	proto int64
	file  string
}{{1, "icmp"}, {6, "tcp"}, {17, "udp"}, {136, "udplite"}, {255, "raw"}}

// sockTCPStates names the kernel's TCP states (include/net/tcp_states.h)
// as osquery does; index 0 is not a state.
var sockTCPStates = [...]string{"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSED", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"}

// procSocket is one socket of a network namespace as /proc/<pid>/net lists
// it. Addresses and path are "" and ports 0 where the family has none, as in
// osquery.
type procSocket struct {
	inode                 uint64
	family, protocol      int64
	localAddr, remoteAddr string
	localPort, remotePort int64
	path                  string
	state                 string
	netNS                 uint64
}

// procSocketOwner is the process and descriptor that hold a socket.
type procSocketOwner struct{ pid, fd int64 }

// procSocketRow is a socket with its owner; pid and fd are -1 when no
// process was found for it.
type procSocketRow struct {
	procSocket
	pid, fd int64
}

// maxProcNetLine bounds one line of a /proc/net socket file; unix socket
// paths are at most 108 bytes, so real lines are far shorter.
const maxProcNetLine = 64 << 10

var errProcNetHeader = errors.New("unexpected header")

// procNetLines calls fn for each line after the header of a /proc/net socket
// file, after checking that the header starts with one of prefixes (leading
// blanks ignored). It returns how many lines fn rejected.
func procNetLines(r io.Reader, prefixes []string, fn func(line []byte) bool) (bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxProcNetLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%w: empty file", errProcNetHeader)
	}
	head := bytes.TrimSpace(sc.Bytes())
	ok := false
	for _, p := range prefixes {
		if bytes.HasPrefix(head, []byte(p)) {
			ok = true
		}
	}
	if !ok {
		return 0, fmt.Errorf("%w: %.40q", errProcNetHeader, head)
	}
	for sc.Scan() {
		line := bytes.Trim(sc.Bytes(), " \t\r")
		if len(line) == 0 {
			continue
		}
		if !fn(line) {
			bad++
		}
	}
	return bad, sc.Err()
}

// parseProcNetInet parses /proc/net/{tcp,udp,raw,icmp,udplite}[6]: one
// socket per line with "local rem st ... uid timeout inode" fields.
// Lines with fewer than ten fields, malformed address:port pairs or a
// non-numeric inode are skipped and counted in bad.
func parseProcNetInet(r io.Reader, family, protocol int64) (socks []procSocket, bad int, err error) {
	bad, err = procNetLines(r, []string{"sl", "sk"}, func(line []byte) bool {
		f := procNetFields(line)
		if len(f) < 10 {
			return false
		}
		la, lp, ok1 := bytes.Cut(f[1], []byte{':'})
		ra, rp, ok2 := bytes.Cut(f[2], []byte{':'})
		if !ok1 || !ok2 || bytes.IndexByte(lp, ':') >= 0 || bytes.IndexByte(rp, ':') >= 0 {
			return false
		}
		inode, err := strconv.ParseUint(string(f[9]), 10, 64)
		if err != nil {
			return false
		}
		s := procSocket{
			inode: inode, family: family, protocol: protocol,
			localAddr: decodeProcNetAddr(la, family), localPort: decodeProcNetPort(lp),
			remoteAddr: decodeProcNetAddr(ra, family), remotePort: decodeProcNetPort(rp),
		}
		if protocol == 6 {
			s.state = "UNKNOWN"
			if st, err := strconv.ParseUint(string(f[3]), 16, 64); err == nil && st > 0 && st < uint64(len(sockTCPStates)) {
				s.state = sockTCPStates[st]
			}
		}
		socks = append(socks, s)
		return true
	})
	return socks, bad, err
}

// decodeProcNetAddr decodes an address as the kernel prints it in
// /proc/net: the in-memory bytes of the address as host-order 32-bit hex
// words. A malformed address gives "", as in osquery.
func decodeProcNetAddr(hex []byte, family int64) string {
	var words int
	switch {
	case family == sockFamilyInet && len(hex) == 8:
		words = 1
	case family == sockFamilyInet6 && len(hex) == 32:
		words = 4
	default:
		return ""
	}
	var b [16]byte
	for i := range words {
		w, err := strconv.ParseUint(string(hex[8*i:8*i+8]), 16, 32)
		if err != nil {
			return ""
		}
		binary.NativeEndian.PutUint32(b[4*i:], uint32(w))
	}
	if words == 1 {
		return netip.AddrFrom4([4]byte(b[:4])).String()
	}
	return netFormatIPv6(b)
}

// decodeProcNetPort decodes a 4-digit hex port; anything else is 0.
func decodeProcNetPort(hex []byte) int64 {
	if len(hex) != 4 {
		return 0
	}
	p, err := strconv.ParseUint(string(hex), 16, 16)
	if err != nil {
		return 0
	}
	return int64(p)
}

// parseProcNetUnix parses /proc/net/unix: "Num RefCount Protocol Flags Type
// St Inode [Path]". osquery keeps only the first word of the path; the
// whole path is kept here, since paths may hold spaces.
func parseProcNetUnix(r io.Reader) (socks []procSocket, bad int, err error) {
	bad, err = procNetLines(r, []string{"Num"}, func(line []byte) bool {
		f := procNetFields(line)
		if len(f) < 7 {
			return false
		}
		inode, err := strconv.ParseUint(string(f[6]), 10, 64)
		if err != nil {
			return false
		}
		s := procSocket{inode: inode, family: sockFamilyUnix, protocol: procNetAtoll(f[2])}
		if len(f) > 7 {
			s.path = string(procNetFieldRest(line, 7))
		}
		socks = append(socks, s)
		return true
	})
	return socks, bad, err
}

// procNetFields splits a /proc line on blanks (spaces and tabs only, so
// that it agrees with procNetFieldRest whatever bytes a path holds).
func procNetFields(line []byte) [][]byte {
	var f [][]byte
	for {
		line = bytes.TrimLeft(line, " \t")
		if len(line) == 0 {
			return f
		}
		i := bytes.IndexAny(line, " \t")
		if i < 0 {
			return append(f, line)
		}
		f = append(f, line[:i])
		line = line[i:]
	}
}

// procNetFieldRest returns what follows the first n blank-separated fields of
// line, without the blanks around it: a path that may itself hold blanks.
func procNetFieldRest(line []byte, n int) []byte {
	for range n {
		line = bytes.TrimLeft(line, " \t")
		i := bytes.IndexAny(line, " \t")
		if i < 0 {
			return nil
		}
		line = line[i:]
	}
	return bytes.Trim(line, " \t")
}

// procNetAtoll reads the leading decimal digits of b as atoll does.
func procNetAtoll(b []byte) int64 {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' || v > (1<<62)/10 {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v
}

// parseProcNetPacket parses /proc/net/packet: "sk RefCnt Type Proto Iface R
// Rmem User Inode". osquery reports the protocol (hex ethertype) and state
// "NONE".
func parseProcNetPacket(r io.Reader) (socks []procSocket, bad int, err error) {
	bad, err = procNetLines(r, []string{"sl", "sk"}, func(line []byte) bool {
		f := procNetFields(line)
		if len(f) < 9 {
			return false
		}
		inode, err := strconv.ParseUint(string(f[8]), 10, 64)
		if err != nil {
			return false
		}
		socks = append(socks, procSocket{inode: inode, family: sockFamilyPacket, protocol: decodeProcNetPort(f[3]), state: "NONE"})
		return true
	})
	return socks, bad, err
}

// procFD is one entry of /proc/<pid>/fd and what it links to.
type procFD struct {
	fd     int64
	target string
}

// readProcFDs lists a process's descriptors in numeric order. Entries that
// vanish before their link is read (closed meanwhile) are left out.
func readProcFDs(root *hostfs.Root, pid int64) ([]procFD, error) {
	dir := "/proc/" + strconv.FormatInt(pid, 10) + "/fd/"
	f, err := root.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	fds := make([]procFD, 0, len(names))
	for _, n := range names {
		fd, err := strconv.ParseInt(n, 10, 64)
		if err != nil || fd < 0 {
			continue
		}
		target, err := root.Readlink(dir + n)
		if err != nil {
			continue
		}
		fds = append(fds, procFD{fd: fd, target: target})
	}
	sort.Slice(fds, func(i, j int) bool { return fds[i].fd < fds[j].fd })
	return fds, nil
}

// parseSocketLink returns the inode of a "socket:[N]" descriptor link.
func parseSocketLink(target string) (uint64, bool) {
	rest, ok := strings.CutPrefix(target, "socket:[")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	inode, err := strconv.ParseUint(rest, 10, 64)
	return inode, err == nil
}

// readNetNamespace returns the inode of a process's network namespace from
// the /proc/<pid>/ns/net link ("net:[4026531840]"); 0 when it cannot be
// read (another user's process without privileges), as in osquery.
func readNetNamespace(root *hostfs.Root, pid int64) uint64 {
	link, err := root.Readlink("/proc/" + strconv.FormatInt(pid, 10) + "/ns/net")
	if err != nil {
		return 0
	}
	return parseNamespaceLink(link, "net")
}

// parseNamespaceLink reads the inode of a "<kind>:[N]" namespace link; 0
// if the link is not of that form.
func parseNamespaceLink(link, kind string) uint64 {
	rest, ok := strings.CutPrefix(link, kind+":[")
	if !ok {
		return 0
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return 0
	}
	ns, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return 0
	}
	return ns
}

// readNamespaceSockets reads every socket file of the network namespace
// seen by /proc/<pid>/net, in osquery's order. ok is false when no file
// could be read at all (the process exited, or /proc/<pid>/net is hidden).
func readNamespaceSockets(q *table.Query, pid int64, ns uint64) (socks []procSocket, ok bool) {
	root := q.Root()
	dir := "/proc/" + strconv.FormatInt(pid, 10) + "/net/"
	read := func(name string, parse func(io.Reader) ([]procSocket, int, error)) {
		f, err := root.Open(dir + name)
		if err != nil {
			return // the kernel may lack the protocol (udplite, packet)
		}
		defer f.Close()
		ok = true
		s, bad, err := parse(f)
		if err != nil {
			q.Warn("cannot parse socket list", "path", dir+name, "err", err)
		}
		if bad > 0 {
			q.Warn("skipped malformed socket lines", "path", dir+name, "lines", bad)
		}
		for i := range s {
			s[i].netNS = ns
		}
		socks = append(socks, s...)
	}
	for _, p := range sockInetProtocols {
		read(p.file, func(r io.Reader) ([]procSocket, int, error) { return parseProcNetInet(r, sockFamilyInet, p.proto) })
		read(p.file+"6", func(r io.Reader) ([]procSocket, int, error) { return parseProcNetInet(r, sockFamilyInet6, p.proto) })
	}
	read("unix", parseProcNetUnix)
	read("packet", parseProcNetPacket)
	return socks, ok
}

// collectProcSockets gathers the sockets of the network namespaces of pids
// and matches them to the processes among pids that hold them, as osquery
// does:
//
//  1. each process's /proc/<pid>/fd links "socket:[inode]" give the owner of
//     the inode; when several processes share a socket the last one in
//     osquery's order (pids sorted as text, descriptors ascending) wins;
//  2. /proc/<pid>/ns/net gives the process's namespace;
//  3. the first process seen in each namespace has its /proc/<pid>/net/*
//     read, which lists every socket of that namespace.
//
// With filtered (a pid constraint), only sockets held by pids are returned;
// otherwise sockets without a known owner come with pid and fd -1.
//
// Unlike osquery, a socket listed twice (the namespace of some processes was
// unreadable and counted as namespace 0) is reported once, with the real
// namespace when one is known; and a namespace whose files could not be read
// through one process is tried again through the next.
func collectProcSockets(q *table.Query, pids []int64, filtered bool) []procSocketRow {
	root := q.Root()
	ordered := append([]int64(nil), pids...)
	sort.Slice(ordered, func(i, j int) bool {
		return strconv.FormatInt(ordered[i], 10) < strconv.FormatInt(ordered[j], 10)
	})
	owners := map[uint64]procSocketOwner{}
	done := map[uint64]bool{}
	var socks []procSocket
	seen := map[uint64]int{} // socket inode to its index in socks
	for _, pid := range ordered {
		if q.Context().Err() != nil {
			return nil
		}
		if fds, err := readProcFDs(root, pid); err == nil {
			for _, fd := range fds {
				if inode, ok := parseSocketLink(fd.target); ok {
					owners[inode] = procSocketOwner{pid: pid, fd: fd.fd}
				}
			}
		}
		ns := readNetNamespace(root, pid)
		if done[ns] {
			continue
		}
		list, ok := readNamespaceSockets(q, pid, ns)
		if !ok {
			continue
		}
		done[ns] = true
		for _, s := range list {
			if s.inode != 0 {
				if i, dup := seen[s.inode]; dup {
					if socks[i].netNS == 0 {
						socks[i].netNS = s.netNS
					}
					continue
				}
				seen[s.inode] = len(socks)
			}
			socks = append(socks, s)
		}
	}
	rows := make([]procSocketRow, 0, len(socks))
	for _, s := range socks {
		owner, ok := owners[s.inode]
		switch {
		case ok:
			rows = append(rows, procSocketRow{procSocket: s, pid: owner.pid, fd: owner.fd})
		case !filtered:
			rows = append(rows, procSocketRow{procSocket: s, pid: -1, fd: -1})
		}
	}
	return rows
}

// socketQueryPIDs returns the processes a socket table looks at: those a pid
// constraint names (-1 means every process, as in osquery), or every process.
// filtered reports whether the result is limited to the named pids.
func socketQueryPIDs(q *table.Query) (pids []int64, filtered bool, err error) {
	want, constrained := q.EqualInts("pid")
	if constrained {
		filtered = true
		for _, p := range want {
			if p == -1 {
				filtered = false
			}
		}
		if filtered {
			return want, true, nil
		}
	}
	pids, err = allPIDs(q.Root())
	return pids, false, err
}

// netFormatIPv6 writes an IPv6 address as glibc's inet_ntop does: RFC 5952
// text, and the IPv4-compatible "::a.b.c.d" form that Go's netip writes in
// hex.
func netFormatIPv6(b [16]byte) string {
	a := netip.AddrFrom16(b)
	var zero [12]byte
	if [12]byte(b[:12]) == zero && (b[12] != 0 || b[13] != 0) {
		return "::" + netip.AddrFrom4([4]byte(b[12:])).String()
	}
	return a.String()
}
