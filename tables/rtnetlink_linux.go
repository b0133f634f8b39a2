package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/osaudit/osaudit/table"
)

// Route netlink (rtnetlink) dumps, shared by interface_addresses and routes.
//
// On the live host, a dump is what syscall.NetlinkRIB returns for an
// AF_UNSPEC request: the netlink messages of the kernel's reply, each a
// struct nlmsghdr (16 bytes, host byte order) followed by its payload and
// padded to 4 bytes, ending with an NLMSG_DONE message. On a fixture host
// the same bytes are read from .kernel/netlink/<name> ("addr" for
// RTM_GETADDR, "route" for RTM_GETROUTE).

// Netlink and rtnetlink constants (linux/netlink.h, linux/rtnetlink.h).
const (
	nlmsgHeaderLen = 16
	nlmsgNoop      = 1
	nlmsgError     = 2
	nlmsgDone      = 3

	rtmNewAddr  = 20
	rtmNewRoute = 24
)

// rtnlMessage is one message of a dump: its type, the fixed family header
// that starts its payload (struct ifaddrmsg, struct rtmsg...) and the
// attributes after it.
type rtnlMessage struct {
	typ    uint16
	header []byte
	attrs  []rtnlAttr
}

// rtnlAttr is one struct rtattr: a type and its data.
type rtnlAttr struct {
	typ  uint16
	data []byte
}

var errRtnlTruncated = errors.New("netlink: truncated message")

// rtnlAlign rounds a netlink length up to 4 bytes.
func rtnlAlign(n int) int { return (n + 3) &^ 3 }

// parseRtnlDump splits a dump into messages of type want, whose family
// header is headerLen bytes. Other message types are skipped; an
// NLMSG_ERROR message is an error; parsing stops at NLMSG_DONE.
func parseRtnlDump(b []byte, want uint16, headerLen int) ([]rtnlMessage, error) {
	var out []rtnlMessage
	for len(b) >= nlmsgHeaderLen {
		n := int(binary.NativeEndian.Uint32(b[0:4]))
		typ := binary.NativeEndian.Uint16(b[4:6])
		if n < nlmsgHeaderLen || n > len(b) {
			return out, fmt.Errorf("%w: length %d of %d bytes", errRtnlTruncated, n, len(b))
		}
		payload := b[nlmsgHeaderLen:n]
		b = b[min(rtnlAlign(n), len(b)):]
		switch typ {
		case nlmsgDone:
			return out, nil
		case nlmsgError:
			if len(payload) >= 4 {
				if errno := int32(binary.NativeEndian.Uint32(payload)); errno < 0 {
					return out, fmt.Errorf("netlink: %w", syscall.Errno(-errno))
				}
			}
			return out, errors.New("netlink: error message")
		case want:
		default:
			continue
		}
		if len(payload) < headerLen {
			return out, fmt.Errorf("%w: %d-byte payload", errRtnlTruncated, len(payload))
		}
		attrs, err := parseRtnlAttrs(payload[min(rtnlAlign(headerLen), len(payload)):])
		if err != nil {
			return out, err
		}
		out = append(out, rtnlMessage{typ: typ, header: payload[:headerLen], attrs: attrs})
	}
	if len(b) != 0 {
		return out, fmt.Errorf("%w: %d trailing bytes", errRtnlTruncated, len(b))
	}
	return out, nil
}

// parseRtnlAttrs splits a run of struct rtattr.
func parseRtnlAttrs(b []byte) ([]rtnlAttr, error) {
	var out []rtnlAttr
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4])
		if n < 4 || n > len(b) {
			return out, fmt.Errorf("%w: attribute length %d of %d bytes", errRtnlTruncated, n, len(b))
		}
		out = append(out, rtnlAttr{typ: typ &^ 0xc000, data: b[4:n]}) // drop NLA_F_NESTED and NLA_F_NET_BYTEORDER
		b = b[min(rtnlAlign(n), len(b)):]
	}
	return out, nil
}

// rtnlUint32 reads a 4-byte host-order attribute.
func rtnlUint32(data []byte) (uint32, bool) {
	if len(data) != 4 {
		return 0, false
	}
	return binary.NativeEndian.Uint32(data), true
}

// readRtnlDump returns the raw rtnetlink dump named name ("addr", "route"):
// the live kernel's reply to an AF_UNSPEC request of type req, or the
// fixture's captured bytes.
func readRtnlDump(q *table.Query, name string, req int) ([]byte, error) {
	return q.Root().Kernel("netlink/"+name, func() ([]byte, error) {
		return syscall.NetlinkRIB(req, syscall.AF_UNSPEC)
	})
}
