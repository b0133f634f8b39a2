//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// getsockopt options of ip_tables (linux/netfilter_ipv4/ip_tables.h).
const (
	iptSoGetInfo    = 64 // IPT_SO_GET_INFO
	iptSoGetEntries = 65 // IPT_SO_GET_ENTRIES
)

// readIptBlob asks the kernel for a table's ruleset as libiptc does:
// IPT_SO_GET_INFO, then IPT_SO_GET_ENTRIES with the size it gave, on a raw
// IPv4 socket. It needs CAP_NET_RAW and CAP_NET_ADMIN. The blob is the
// ipt_getinfo followed by the ipt_get_entries (see iptables_linux.go).
// This file covers the 64-bit architectures whose struct layout the parser
// expects.
func readIptBlob(name string) ([]byte, error) {
	if !validIptTableName(name) {
		return nil, fmt.Errorf("ip_tables: bad table name %q", name)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("ip_tables: raw socket: %w", err)
	}
	defer syscall.Close(fd)
	// The ruleset may change between the two calls; the kernel then answers
	// EAGAIN and the size is read again, as libiptc does.
	for range 5 {
		info := make([]byte, iptInfoLen)
		copy(info, name)
		if err := iptGetsockopt(fd, iptSoGetInfo, info); err != nil {
			return nil, fmt.Errorf("ip_tables: IPT_SO_GET_INFO %s: %w", name, err)
		}
		size := binary.NativeEndian.Uint32(info[80:84])
		if size > 1<<30 {
			return nil, fmt.Errorf("ip_tables: table %s of %d bytes", name, size)
		}
		entries := make([]byte, iptEntriesHdrLen+int(size))
		copy(entries, name)
		binary.NativeEndian.PutUint32(entries[32:36], size)
		err := iptGetsockopt(fd, iptSoGetEntries, entries)
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ip_tables: IPT_SO_GET_ENTRIES %s: %w", name, err)
		}
		return append(info, entries...), nil
	}
	return nil, fmt.Errorf("ip_tables: table %s keeps changing", name)
}

// iptGetsockopt calls getsockopt(fd, SOL_IP, opt, buf, len(buf)).
func iptGetsockopt(fd, opt int, buf []byte) error {
	n := uint32(len(buf))
	_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_IP, uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
	if errno != 0 {
		return errno
	}
	if int(n) != len(buf) {
		return fmt.Errorf("getsockopt returned %d of %d bytes", n, len(buf))
	}
	return nil
}
