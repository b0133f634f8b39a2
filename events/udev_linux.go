package events

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/osaudit/osaudit/table"
)

// Multicast groups of NETLINK_KOBJECT_UEVENT: the kernel's raw uevents, and
// udevd's, which it sends after its rules and hardware database added
// properties (what libudev's "udev" monitor, and so osquery, reads).
const (
	ueventGroupKernel = 1
	ueventGroupUdev   = 2
	// udevMagic marks udevd's messages (libudev's monitor_netlink_header).
	udevMagic = 0xfeedcafe
	// maxUeventProperties bounds what one message may carry.
	maxUeventProperties = 1024
)

// udevPublisher reads device events for hardware_events.
type udevPublisher struct {
	m        *Manager
	disabled []string

	reader
	fd    int
	group uint32

	events atomic.Int64
}

func newUdevPublisher(m *Manager) *udevPublisher {
	return &udevPublisher{m: m, disabled: m.cfg.HardwareDisabledTypes, fd: -1, reader: newReader()}
}

func (p *udevPublisher) name() string { return publisherUdev }

func (p *udevPublisher) stats() publisherStats {
	return publisherStats{subscriptions: 1, events: p.events.Load(), active: p.active.Load()}
}

func (p *udevPublisher) status(severity int, format string, args ...any) {
	p.m.cfg.Status(severity, publisherUdev+": "+fmt.Sprintf(format, args...))
}

func (p *udevPublisher) start(ctx context.Context, wg *sync.WaitGroup) error {
	if err := p.begin(); err != nil {
		return err
	}
	p.group = ueventGroupUdev
	if _, err := p.m.cfg.Root.Stat("/run/udev/control"); err != nil {
		p.group = ueventGroupKernel
		p.status(StatusInfo, "no udev daemon runs (/run/udev/control is absent): reading the kernel's uevents, without the vendor and model names of udev's hardware database")
	}
	fd, err := openUevent(p.group)
	if err != nil {
		return p.abort(err)
	}
	p.fd = fd
	p.spawn(wg, p.run)
	return nil
}

func openUevent(group uint32) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EAFNOSUPPORT) {
			return -1, errors.New("the kernel has no uevent netlink socket")
		}
		return -1, fmt.Errorf("uevent netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: group}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("cannot listen to uevents: %w", err)
	}
	// Credentials tell udevd's messages (sent by root) from forgeries.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	return fd, nil
}

func (p *udevPublisher) run() {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	for {
		ready, err := p.w.wait(p.fd)
		if err != nil {
			p.status(StatusError, "%v; stopped", err)
			p.active.Store(false)
			return
		}
		if !ready {
			return
		}
		n, oobn, _, from, err := unix.Recvmsg(p.fd, buf, oob, 0)
		switch {
		case err == unix.EAGAIN || err == unix.EINTR:
			continue
		case err == unix.ENOBUFS:
			p.status(StatusWarning, "device events were lost: the agent did not read them fast enough")
			continue
		case err != nil:
			p.status(StatusError, "reading uevents: %v; stopped", err)
			p.active.Store(false)
			return
		}
		if !p.trusted(from, oob[:oobn]) {
			continue
		}
		props, err := parseUevent(buf[:n])
		if err != nil {
			continue
		}
		if r, ok := hardwareEventRow(props, p.disabled); ok {
			p.m.store.Add(tableHardwareEvents, r.vals)
			p.events.Add(1)
		}
	}
}

// trusted accepts kernel messages from the kernel and udevd's from a root
// process, as libudev does.
func (p *udevPublisher) trusted(from unix.Sockaddr, oob []byte) bool {
	nl, ok := from.(*unix.SockaddrNetlink)
	if !ok {
		return false
	}
	if p.group == ueventGroupKernel {
		return nl.Pid == 0
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			return cred.Uid == 0
		}
	}
	return false
}

// parseUevent reads the properties of one uevent message: udevd's
// ("libudev\0", a header, then KEY=VALUE strings) or the kernel's
// ("action@devpath\0" then KEY=VALUE strings).
func parseUevent(b []byte) (map[string]string, error) {
	var props []byte
	if bytes.HasPrefix(b, []byte("libudev\x00")) {
		if len(b) < 40 {
			return nil, fmt.Errorf("udev message of %d bytes", len(b))
		}
		if binary.BigEndian.Uint32(b[8:]) != udevMagic {
			return nil, errors.New("udev message without its magic")
		}
		ne := binary.NativeEndian
		off, n := uint64(ne.Uint32(b[16:])), uint64(ne.Uint32(b[20:]))
		if off < 40 || off+n > uint64(len(b)) {
			return nil, fmt.Errorf("udev properties at %d+%d in %d bytes", off, n, len(b))
		}
		props = b[off : off+n]
	} else {
		head, rest, ok := bytes.Cut(b, []byte{0})
		if !ok || !bytes.Contains(head, []byte("@")) {
			return nil, errors.New("not a uevent")
		}
		props = rest
	}
	out := map[string]string{}
	for _, kv := range bytes.Split(props, []byte{0}) {
		k, v, ok := bytes.Cut(kv, []byte("="))
		if !ok || len(k) == 0 {
			continue
		}
		if len(out) >= maxUeventProperties {
			return nil, fmt.Errorf("uevent with more than %d properties", maxUeventProperties)
		}
		out[string(k)] = string(v)
	}
	if out["ACTION"] == "" {
		return nil, errors.New("uevent without ACTION")
	}
	return out, nil
}

// hardwareEventRow builds a hardware_events row as osquery's subscriber
// does: devices without a type, or with neither a device node nor a driver,
// or with neither a node nor a model name, are left out, as are the types
// listed in --hardware_disabled_types. The kernel's own uevents lack udev's
// database properties; their vendor and model ids come from PRODUCT (USB)
// or PCI_ID instead.
func hardwareEventRow(props map[string]string, disabledTypes []string) (row, bool) {
	r := schemaOf(tableHardwareEvents).newRow()
	devtype := props["DEVTYPE"]
	devnode := props["DEVNAME"]
	if devnode != "" && !strings.HasPrefix(devnode, "/") {
		devnode = "/dev/" + devnode
	}
	driver := props["DRIVER"]
	if devtype == "" || devnode == "" && driver == "" || slices.Contains(disabledTypes, devtype) {
		return r, false
	}
	model := props["ID_MODEL_FROM_DATABASE"]
	if devnode == "" && model == "" {
		return r, false
	}
	vendorID, modelID, revision := props["ID_VENDOR_ID"], props["ID_MODEL_ID"], props["ID_REVISION"]
	if vendorID == "" && modelID == "" {
		vendorID, modelID, revision = kernelDeviceIDs(props, revision)
	}
	r.set("action", table.Text(props["ACTION"]))
	r.set("path", table.Text(devnode))
	r.set("type", table.Text(devtype))
	r.set("driver", table.Text(driver))
	r.set("model", table.Text(model))
	r.set("model_id", table.Text(modelID))
	r.set("vendor", table.Text(props["ID_VENDOR_FROM_DATABASE"]))
	r.set("vendor_id", table.Text(vendorID))
	r.set("serial", table.Text(props["ID_SERIAL_SHORT"]))
	r.set("revision", table.Text(revision))
	return r, true
}

// kernelDeviceIDs reads vendor and model ids, as udev writes them (four hex
// digits), from a kernel uevent's PRODUCT=vendor/product/bcdDevice (USB) or
// PCI_ID=vendor:device.
func kernelDeviceIDs(props map[string]string, revision string) (vendor, model, rev string) {
	hex4 := func(s string) (string, bool) {
		v, err := strconv.ParseUint(s, 16, 16)
		if err != nil {
			return "", false
		}
		return fmt.Sprintf("%04x", v), true
	}
	if f := strings.Split(props["PRODUCT"], "/"); len(f) == 3 && props["SUBSYSTEM"] == "usb" {
		v, ok1 := hex4(f[0])
		m, ok2 := hex4(f[1])
		if ok1 && ok2 {
			if r, ok := hex4(f[2]); ok && revision == "" {
				revision = r
			}
			return v, m, revision
		}
	}
	if v, m, ok := strings.Cut(props["PCI_ID"], ":"); ok {
		v4, ok1 := hex4(v)
		m4, ok2 := hex4(m)
		if ok1 && ok2 {
			return strings.ToLower(v4), strings.ToLower(m4), revision
		}
	}
	return "", "", revision
}

func (p *udevPublisher) stop() error {
	p.halt(func() { unix.Close(p.fd) })
	return nil
}
