package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Audit control messages (linux/audit.h) the publisher sends.
const (
	auditSet       = 1001 // AUDIT_SET: change the settings a status mask names
	auditAddRule   = 1011 // AUDIT_ADD_RULE: struct audit_rule_data
	auditDelRule   = 1012 // AUDIT_DEL_RULE
	auditListRules = 1013 // AUDIT_LIST_RULES: one reply a rule, then NLMSG_DONE
)

// auditMaxMessage is the largest audit message payload (MAX_AUDIT_MESSAGE_LENGTH
// in libaudit.h).
const auditMaxMessage = 8970

// auditAnswerTimeout bounds the wait for the kernel's answer to a request.
const auditAnswerTimeout = 2 * time.Second

// auditConn is a NETLINK_AUDIT socket. A blocking receive waits in poll(2)
// beside a waker, so that stop can end it; a request waits for its answer
// with a timeout.
type auditConn struct {
	fd  int
	pid uint32 // the socket's netlink port id
	seq atomic.Uint32
	buf []byte
	w   *waker
}

// dialAudit opens an audit socket bound to the multicast groups given (0
// for the unicast socket an audit daemon registers). w ends receive; a
// socket that only makes requests may have none.
func dialAudit(groups uint32, w *waker) (*auditConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("audit netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind audit netlink socket: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	nl, ok := sa.(*unix.SockaddrNetlink)
	if err != nil || !ok {
		unix.Close(fd)
		return nil, fmt.Errorf("audit netlink socket address: %v", err)
	}
	// Bursts of exec and connect records outrun the default buffer; a
	// larger one (root may exceed rmem_max) loses fewer.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	return &auditConn{fd: fd, pid: nl.Pid, buf: make([]byte, unix.NLMSG_HDRLEN+auditMaxMessage), w: w}, nil
}

func (c *auditConn) close() error { return unix.Close(c.fd) }

// send sends a request that the kernel is to acknowledge and returns its
// sequence number.
func (c *auditConn) send(typ uint16, data []byte) (uint32, error) {
	seq := c.seq.Add(1)
	b := make([]byte, unix.NLMSG_HDRLEN+len(data))
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[12:], c.pid)
	copy(b[unix.NLMSG_HDRLEN:], data)
	if err := unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("send audit request %d: %w", typ, err)
	}
	return seq, nil
}

// read reads one message without waiting: ok is false when none is queued
// or the datagram did not come from the kernel.
func (c *auditConn) read() (m netlinkMessage, ok bool, err error) {
	n, from, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
	switch {
	case err == unix.EAGAIN, err == unix.EINTR:
		return m, false, nil
	case err != nil:
		return m, false, err
	}
	if nl, isNL := from.(*unix.SockaddrNetlink); !isNL || nl.Pid != 0 {
		return m, false, nil // not from the kernel
	}
	m, err = parseNetlinkMessage(c.buf[:n])
	return m, err == nil, err
}

// receive waits for the next message from the kernel until stop wakes the
// waker (errAuditStopped). The message's data is valid until the next read.
func (c *auditConn) receive() (netlinkMessage, error) {
	for {
		ready, err := c.w.wait(c.fd)
		if err != nil {
			return netlinkMessage{}, err
		}
		if !ready {
			return netlinkMessage{}, errAuditStopped
		}
		if m, ok, err := c.read(); ok || err != nil {
			return m, err
		}
	}
}

// request sends a request and reads until the kernel has answered it:
// reply, when not nil, sees each reply to it other than the
// acknowledgement. Messages of other sequence numbers (audit records, which
// have none, and late answers to earlier requests) are passed over.
func (c *auditConn) request(typ uint16, data []byte, reply func(netlinkMessage) (done bool, err error)) error {
	seq, err := c.send(typ, data)
	if err != nil {
		return err
	}
	a := auditAnswer{seq: seq, reply: reply}
	deadline := time.Now().Add(auditAnswerTimeout)
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
	for {
		m, ok, err := c.read()
		switch {
		case errors.Is(err, unix.ENOBUFS):
			// Records were lost while nobody read; the answer may follow.
		case err != nil:
			return fmt.Errorf("read the answer to audit request %d: %w", typ, err)
		case ok:
			if complete, err := a.add(m); complete || err != nil {
				return err
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("no answer to audit request %d from the kernel within %v", typ, auditAnswerTimeout)
		}
		if ok || err != nil {
			continue
		}
		fds[0].Revents = 0
		if _, err := unix.Poll(fds, int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return fmt.Errorf("poll: %w", err)
		}
	}
}

// status reads the kernel's audit settings (AUDIT_GET).
func (c *auditConn) status() (auditStatus, error) {
	var st auditStatus
	err := c.request(auditGet, nil, func(m netlinkMessage) (bool, error) {
		if m.typ != auditGet {
			return false, fmt.Errorf("unexpected answer of type %d to AUDIT_GET", m.typ)
		}
		var err error
		st, err = parseAuditStatus(m.data)
		return true, err
	})
	return st, err
}

// set changes the settings that s.mask names (AUDIT_SET).
func (c *auditConn) set(s auditStatus) error { return c.request(auditSet, s.marshal(), nil) }

// rules lists the kernel's audit rules (AUDIT_LIST_RULES), each a struct
// audit_rule_data.
func (c *auditConn) rules() ([][]byte, error) {
	var rules [][]byte
	err := c.request(auditListRules, nil, func(m netlinkMessage) (bool, error) {
		switch m.typ {
		case unix.NLMSG_DONE:
			return true, nil
		case auditListRules:
			rules = append(rules, append([]byte(nil), m.data...))
			return false, nil
		}
		return false, fmt.Errorf("unexpected answer of type %d to AUDIT_LIST_RULES", m.typ)
	})
	return rules, err
}

// addRule adds a rule; an identical rule already loaded gives EEXIST.
func (c *auditConn) addRule(r []byte) error { return c.request(auditAddRule, r, nil) }

// deleteRule deletes a rule; one that is not loaded gives ENOENT.
func (c *auditConn) deleteRule(r []byte) error { return c.request(auditDelRule, r, nil) }

// netlinkMessage is one message from the audit socket.
type netlinkMessage struct {
	typ  uint16
	seq  uint32
	data []byte
}

// parseNetlinkMessage splits a datagram from the audit socket into its
// header and payload. The kernel sends one message a datagram, and the
// payload is the rest of the datagram: the header's length is not trusted,
// as older kernels leave the header out of it in records (auditd reads
// them so too).
func parseNetlinkMessage(b []byte) (netlinkMessage, error) {
	if len(b) < unix.NLMSG_HDRLEN {
		return netlinkMessage{}, fmt.Errorf("short netlink message (%d bytes)", len(b))
	}
	ne := binary.NativeEndian
	return netlinkMessage{
		typ:  ne.Uint16(b[4:]),
		seq:  ne.Uint32(b[8:]),
		data: b[unix.NLMSG_HDRLEN:],
	}, nil
}

// parseNetlinkError reads the code of an NLMSG_ERROR message (struct
// nlmsgerr): 0 acknowledges the request, a negative errno refuses it.
func parseNetlinkError(data []byte) error {
	if len(data) < 4 {
		return fmt.Errorf("short netlink error message (%d bytes)", len(data))
	}
	code := int32(binary.NativeEndian.Uint32(data))
	switch {
	case code == 0:
		return nil
	case code < 0 && code > -4096:
		return unix.Errno(-code)
	}
	return fmt.Errorf("netlink error message with code %d", code)
}

// auditAnswer follows the kernel's answer to one request: the
// acknowledgement (NLMSG_ERROR with code 0, or the errno that refused the
// request) and, for AUDIT_GET and AUDIT_LIST_RULES, replies that carry the
// request's sequence number, which the kernel may send before or after the
// acknowledgement.
type auditAnswer struct {
	seq   uint32
	reply func(netlinkMessage) (done bool, err error) // nil when only the ack is due
	acked bool
	done  bool // the replies are complete
}

// add takes the next message; complete says the answer is whole.
func (a *auditAnswer) add(m netlinkMessage) (complete bool, err error) {
	if m.seq != a.seq {
		return false, nil
	}
	if m.typ == unix.NLMSG_ERROR {
		if err := parseNetlinkError(m.data); err != nil {
			return true, err
		}
		a.acked = true
	} else if a.reply != nil && !a.done {
		if a.done, err = a.reply(m); err != nil {
			return true, err
		}
	}
	return a.acked && (a.done || a.reply == nil), nil
}

// auditStatus is struct audit_status: the audit settings that AUDIT_GET
// reports and AUDIT_SET changes, those that mask names.
type auditStatus struct {
	mask                  uint32
	enabled               uint32 // 0 off, 1 on, 2 on and locked
	failure               uint32 // what the kernel does when it must lose records: 0 silent, 1 printk, 2 panic
	pid                   uint32 // the audit daemon's
	rateLimit             uint32 // records a second, 0 unlimited
	backlogLimit          uint32 // records queued for the daemon
	lost                  uint32
	backlog               uint32
	featureBitmap         uint32
	backlogWaitTime       uint32 // jiffies a task waits when the backlog is full
	backlogWaitTimeActual uint32
}

// Bits of auditStatus.mask (AUDIT_STATUS_*).
const (
	auditStatusEnabled = 1 << iota
	auditStatusFailure
	auditStatusPID
	auditStatusRateLimit
	auditStatusBacklogLimit
	auditStatusBacklogWaitTime
)

const (
	auditStatusSize = 11 * 4
	// auditStatusMinSize is the struct of kernels before 3.12, which end
	// at backlog.
	auditStatusMinSize = 8 * 4
)

func (s *auditStatus) fields() [11]*uint32 {
	return [...]*uint32{&s.mask, &s.enabled, &s.failure, &s.pid, &s.rateLimit, &s.backlogLimit,
		&s.lost, &s.backlog, &s.featureBitmap, &s.backlogWaitTime, &s.backlogWaitTimeActual}
}

func (s auditStatus) marshal() []byte {
	b := make([]byte, auditStatusSize)
	for i, f := range s.fields() {
		binary.NativeEndian.PutUint32(b[4*i:], *f)
	}
	return b
}

// parseAuditStatus reads the payload of an AUDIT_GET reply. An older
// kernel's shorter struct leaves the later fields zero; a newer kernel's
// longer one has its additions ignored.
func parseAuditStatus(b []byte) (auditStatus, error) {
	var s auditStatus
	if len(b) < auditStatusMinSize {
		return s, fmt.Errorf("audit status of %d bytes, want at least %d", len(b), auditStatusMinSize)
	}
	for i, f := range s.fields() {
		if len(b) >= 4*(i+1) {
			*f = binary.NativeEndian.Uint32(b[4*i:])
		}
	}
	return s, nil
}
