package tables

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/osaudit/osaudit/hostfs"
)

// unameKernelFact is the name of the uname(2) fact under Root.Kernel: a
// fixture holds it in .kernel/uname.
//
// Byte format: the kernel's struct new_utsname, i.e. six fields of 65 bytes
// each (390 bytes in all), in this order: sysname, nodename, release,
// version, machine, domainname. Each field is NUL-terminated and
// NUL-padded, exactly as uname(2) fills struct utsname on Linux.
const unameKernelFact = "uname"

const (
	unameFieldLen = 65
	unameFields   = 6
	unameSize     = unameFieldLen * unameFields
)

// sysUname is the parsed uname(2) result.
type sysUname struct {
	Sysname, Nodename, Release, Version, Machine, Domainname string
}

// liveUname calls uname(2) and returns its struct in the documented byte
// format.
func liveUname() ([]byte, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, fmt.Errorf("uname: %w", err)
	}
	b := make([]byte, 0, unameSize)
	for _, f := range [][unameFieldLen]byte{u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname} {
		b = append(b, f[:]...)
	}
	return b, nil
}

var errUnameFormat = errors.New("uname: malformed struct utsname")

// parseUname parses the documented uname byte format.
func parseUname(b []byte) (sysUname, error) {
	if len(b) != unameSize {
		return sysUname{}, fmt.Errorf("%w: %d bytes, want %d", errUnameFormat, len(b), unameSize)
	}
	var f [unameFields]string
	for i := range f {
		field := b[i*unameFieldLen : (i+1)*unameFieldLen]
		end := bytes.IndexByte(field, 0)
		if end < 0 {
			return sysUname{}, fmt.Errorf("%w: field %d is not NUL-terminated", errUnameFormat, i)
		}
		if !utf8.Valid(field[:end]) {
			return sysUname{}, fmt.Errorf("%w: field %d is not UTF-8", errUnameFormat, i)
		}
		f[i] = string(field[:end])
	}
	return sysUname{Sysname: f[0], Nodename: f[1], Release: f[2], Version: f[3], Machine: f[4], Domainname: f[5]}, nil
}

// readUname returns the host's uname(2) fields.
func readUname(root *hostfs.Root) (sysUname, error) {
	b, err := root.Kernel(unameKernelFact, liveUname)
	if err != nil {
		return sysUname{}, err
	}
	return parseUname(b)
}

// readMachineArch returns uname's machine field ("x86_64", "aarch64"), or
// /proc/sys/kernel/arch (Linux 6.1+) when the uname fact is unavailable.
func readMachineArch(root *hostfs.Root) (string, error) {
	u, err := readUname(root)
	if err == nil && u.Machine != "" {
		return u.Machine, nil
	}
	arch, err2 := sysReadAttr(root, "/proc/sys/kernel/arch")
	if err2 == nil && arch != "" {
		return arch, nil
	}
	if err == nil {
		err = err2
	}
	return "", err
}
