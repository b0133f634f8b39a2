package events

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/elastic/go-libaudit/v2/rule"
	"golang.org/x/sys/unix"
)

// Audit settings the publisher applies with --audit_allow_config, as osquery
// does (--audit_backlog_limit, --audit_backlog_wait_time).
const (
	auditBacklogLimit    = 4096
	auditBacklogWaitTime = 0
	// auditRuleKey marks the rules the publisher installs, so that rules
	// left by a crashed agent are recognised and removed.
	auditRuleKey = "osaudit"
	// auditReadLogGroup is the read-only multicast group (AUDIT_NLGRP_READLOG).
	auditReadLogGroup = 1
)

// errAuditStopped is what a receive returns once stop has been called.
var errAuditStopped = errors.New("audit publisher stopped")

// auditConn is a NETLINK_AUDIT socket that go-libaudit's AuditClient talks
// through. Unlike go-libaudit's own client, a blocking receive waits in
// poll(2) beside a waker, so that stop can end it.
type auditConn struct {
	fd  int
	pid uint32
	seq atomic.Uint32
	buf []byte
	w   *waker
}

var _ libaudit.NetlinkSendReceiver = (*auditConn)(nil)

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
	return &auditConn{fd: fd, pid: nl.Pid, buf: make([]byte, unix.NLMSG_HDRLEN+libaudit.AuditMessageMaxLength), w: w}, nil
}

func (c *auditConn) Send(msg syscall.NetlinkMessage) (uint32, error) {
	if msg.Header.Pid == 0 {
		msg.Header.Pid = c.pid
	}
	msg.Header.Seq = c.seq.Add(1)
	msg.Header.Len = uint32(unix.NLMSG_HDRLEN + len(msg.Data))
	b := make([]byte, msg.Header.Len)
	h := msg.Header
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], h.Len)
	ne.PutUint16(b[4:], h.Type)
	ne.PutUint16(b[6:], h.Flags)
	ne.PutUint32(b[8:], h.Seq)
	ne.PutUint32(b[12:], h.Pid)
	copy(b[unix.NLMSG_HDRLEN:], msg.Data)
	return msg.Header.Seq, unix.Sendto(c.fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

func (c *auditConn) Receive(nonBlocking bool, parse libaudit.NetlinkParser) ([]syscall.NetlinkMessage, error) {
	for {
		if !nonBlocking {
			ready, err := c.w.wait(c.fd)
			if err != nil {
				return nil, err
			}
			if !ready {
				return nil, errAuditStopped
			}
		}
		n, from, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN && !nonBlocking || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
			continue // not from the kernel
		}
		if n < unix.NLMSG_HDRLEN {
			return nil, fmt.Errorf("short netlink message (%d bytes)", n)
		}
		return parse(c.buf[:n])
	}
}

func (c *auditConn) Close() error { return unix.Close(c.fd) }

// auditPublisher reads the kernel's audit records for process_events,
// socket_events and user_events.
type auditPublisher struct {
	m    *Manager
	opts auditOptions

	w      *waker
	conn   *auditConn
	client *libaudit.AuditClient
	owner  bool                  // the publisher set itself as the audit pid
	saved  *libaudit.AuditStatus // kernel settings to restore on stop
	rules  [][]byte              // rules installed, to delete on stop

	events   atomic.Int64
	active   atomic.Bool
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
}

func newAuditPublisher(m *Manager) *auditPublisher {
	c := m.cfg
	p := &auditPublisher{m: m, done: make(chan struct{})}
	p.opts = auditOptions{
		process:       m.enabled(tableProcessEvents),
		sockets:       m.enabled(tableSocketEvents),
		user:          m.enabled(tableUserEvents),
		failedSockets: c.AuditAllowFailedSocketEvents,
		nullAccept:    c.AuditAllowNullAcceptSocketEvents,
		unixSockets:   c.AuditAllowUnix,
		self:          selfExecutable(),
		stat:          statTimes(c.Root.Path),
	}
	return p
}

func (p *auditPublisher) name() string { return publisherAudit }

func (p *auditPublisher) stats() publisherStats {
	subs := int64(0)
	for _, on := range []bool{p.opts.process, p.opts.sockets, p.opts.user} {
		if on {
			subs++
		}
	}
	return publisherStats{subscriptions: subs, events: p.events.Load(), active: p.active.Load()}
}

func (p *auditPublisher) status(severity int, format string, args ...any) {
	p.m.cfg.Status(severity, publisherAudit+": "+fmt.Sprintf(format, args...))
}

func (p *auditPublisher) start(ctx context.Context, wg *sync.WaitGroup) error {
	w, err := newWaker()
	if err != nil {
		close(p.done)
		return err
	}
	p.w = w
	if err := p.open(); err != nil {
		close(p.done)
		return err
	}
	p.active.Store(true)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(p.done)
		p.run()
	}()
	return nil
}

// open connects to the kernel: it becomes the audit daemon (the process
// the kernel sends records to) or, when auditd already is, listens on the
// read-only multicast group beside it.
func (p *auditPublisher) open() error {
	conn, err := dialAudit(0, p.w)
	if err != nil {
		if errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EAFNOSUPPORT) {
			return errors.New("the kernel has no audit support (CONFIG_AUDIT)")
		}
		return err
	}
	client := &libaudit.AuditClient{Netlink: conn}
	st, err := client.GetStatus()
	if err != nil {
		conn.Close()
		return describeAuditError("read the audit status", err)
	}
	err = client.SetPID(libaudit.WaitForReply)
	switch {
	case err == nil:
		p.conn, p.client, p.owner = conn, client, true
	case errors.Is(err, unix.EEXIST):
		conn.Close() // not client.Close: it would try to unregister the owner
		owner := fmt.Sprintf("pid %d", st.PID)
		if comm, err := p.m.cfg.Root.ReadFile("/proc/" + strconv.FormatUint(uint64(st.PID), 10) + "/comm"); err == nil {
			owner += " (" + strings.TrimSpace(string(comm)) + ")"
		}
		mconn, err := dialAudit(auditReadLogGroup, p.w)
		if err != nil {
			return fmt.Errorf("%s owns the audit netlink socket, and listening beside it failed: %w", owner, describeAuditError("join the audit multicast group (needs CAP_AUDIT_READ)", err))
		}
		p.conn, p.client = mconn, &libaudit.AuditClient{Netlink: mconn}
		msg := "%s owns the audit netlink socket; listening on the read-only multicast group, so its rules decide what is recorded"
		if p.m.cfg.AuditAllowConfig {
			msg += " (--audit_allow_config is ignored: the rules are left to it)"
		}
		p.status(StatusWarning, msg, owner)
		return nil
	default:
		conn.Close()
		return describeAuditError("become the audit daemon", err)
	}
	switch {
	case p.m.cfg.AuditAllowConfig:
		if err := p.configure(st); err != nil {
			p.status(StatusError, "%v; listening with the rules in place", err)
		}
	case st.Enabled == 0:
		p.status(StatusWarning, "auditing is disabled in the kernel and --audit_allow_config is off: no records will arrive until auditctl -e 1 and rules are loaded")
	default:
		if rules, err := client.GetRules(); err == nil && len(rules) == 0 {
			p.status(StatusWarning, "no audit rules are loaded and --audit_allow_config is off: process and socket events need rules (auditctl -a exit,always -S execve)")
		}
	}
	return nil
}

// describeAuditError turns the kernel's refusals into a reason.
func describeAuditError(what string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("cannot %s: not permitted (run as root, with CAP_AUDIT_CONTROL)", what)
	case errors.Is(err, unix.ECONNREFUSED):
		return fmt.Errorf("cannot %s: the kernel refuses audit requests from this namespace (a container?)", what)
	}
	return fmt.Errorf("cannot %s: %w", what, err)
}

// auditArchs names the audit architectures whose syscalls the rules cover:
// the native one and its 32-bit compat one.
func auditArchs() [][2]string {
	switch runtime.GOARCH {
	case "amd64":
		return [][2]string{{"b64", "x86_64"}, {"b32", "i386"}}
	case "arm64":
		return [][2]string{{"b64", "aarch64"}, {"b32", "arm"}}
	}
	return [][2]string{{"b64", ""}}
}

// configure enables auditing and installs the publisher's rules, saving the
// kernel's settings for stop to restore, as osquery does with
// --audit_allow_config.
func (p *auditPublisher) configure(st *libaudit.AuditStatus) error {
	if st.Enabled == 2 {
		return errors.New("the audit configuration is locked (enabled=2, auditctl -e 2): rules cannot be installed")
	}
	saved := *st
	p.saved = &saved
	c := p.client
	if err := c.SetEnabled(true, libaudit.WaitForReply); err != nil {
		return fmt.Errorf("enable auditing: %w", err)
	}
	if err := c.SetBacklogLimit(auditBacklogLimit, libaudit.WaitForReply); err != nil {
		return fmt.Errorf("set the audit backlog limit: %w", err)
	}
	c.SetBacklogWaitTime(auditBacklogWaitTime, libaudit.WaitForReply) // kernels before 3.14 lack it
	if err := c.SetFailure(libaudit.SilentOnFailure, libaudit.WaitForReply); err != nil {
		return fmt.Errorf("set the audit failure mode: %w", err)
	}
	var names []string
	if p.opts.process {
		names = append(names, "execve", "execveat")
	}
	if p.opts.sockets {
		names = append(names, "bind", "connect", "accept", "accept4")
	}
	for _, arch := range auditArchs() {
		var syscalls []string
		for _, n := range names {
			if arch[1] == "" || hasSyscall(arch[1], n) {
				syscalls = append(syscalls, n)
			}
		}
		if len(syscalls) == 0 {
			continue
		}
		wf, err := rule.Build(&rule.SyscallRule{
			Type: rule.AppendSyscallRuleType, List: "exit", Action: "always",
			Filters:  []rule.FilterSpec{{Type: rule.ValueFilterType, LHS: "arch", Comparator: "=", RHS: arch[0]}},
			Syscalls: syscalls, Keys: []string{auditRuleKey},
		})
		if err != nil {
			return fmt.Errorf("build the %s audit rule: %w", arch[0], err)
		}
		switch err := c.AddRule(wf); {
		case err == nil, err.Error() == "rule exists": // ours, left by an agent that did not stop cleanly
			p.rules = append(p.rules, wf)
		default:
			return fmt.Errorf("install the %s audit rule (%s): %w", arch[0], strings.Join(syscalls, ","), err)
		}
	}
	return nil
}

var (
	syscallNamesOnce sync.Once
	syscallNames     map[string]map[string]bool
)

func hasSyscall(arch, name string) bool {
	syscallNamesOnce.Do(func() {
		syscallNames = map[string]map[string]bool{}
		for a, table := range auparse.AuditSyscalls {
			syscallNames[a] = map[string]bool{}
			for _, n := range table {
				syscallNames[a][n] = true
			}
		}
	})
	return syscallNames[arch][name]
}

// run reads records until stop.
func (p *auditPublisher) run() {
	asm := newAuditAssembler()
	var lastLoss time.Time
	for {
		msg, err := p.client.Receive(false)
		switch {
		case errors.Is(err, errAuditStopped):
			return
		case errors.Is(err, unix.ENOBUFS):
			// The socket's buffer overflowed and the kernel dropped records.
			if now := time.Now(); now.Sub(lastLoss) > time.Minute {
				p.status(StatusWarning, "records were lost: the agent did not read them fast enough")
				lastLoss = now
			}
			continue
		case err != nil:
			p.status(StatusError, "reading the audit socket: %v; stopped", err)
			p.active.Store(false)
			return
		}
		typ := uint16(msg.Type)
		if !p.wants(typ) {
			continue
		}
		rec, err := parseAuditRecord(typ, msg.Data)
		if err != nil {
			continue
		}
		ev, done := asm.push(rec, time.Now())
		if !done {
			continue
		}
		p.opts.rows(ev, uptimeSeconds(), func(name string, r row) {
			p.m.store.Add(name, r.vals)
			p.events.Add(1)
		})
	}
}

// wants says which records the enabled tables need.
func (p *auditPublisher) wants(typ uint16) bool {
	switch {
	case typ >= auditFirstUserMsg && typ <= auditLastUserMsg:
		return p.opts.user
	case typ == auditSyscall, typ == auditEOE, typ == auditExecve, typ == auditCwd, typ == auditPath, typ == auditSockaddr:
		return p.opts.process || p.opts.sockets
	}
	return false
}

// stop ends run, removes the installed rules, restores the kernel's
// settings and gives the audit socket back.
func (p *auditPublisher) stop() error {
	p.stopOnce.Do(func() {
		p.active.Store(false)
		if p.w == nil {
			return
		}
		p.w.wake()
		<-p.done
		defer p.w.close()
		if p.client == nil {
			return
		}
		var errs []error
		for _, r := range p.rules {
			if err := p.client.DeleteRule(r); err != nil {
				errs = append(errs, fmt.Errorf("delete audit rule: %w", err))
			}
		}
		if s := p.saved; s != nil {
			c := p.client
			errs = append(errs,
				c.SetBacklogLimit(s.BacklogLimit, libaudit.WaitForReply),
				c.SetFailure(libaudit.FailureMode(s.Failure), libaudit.WaitForReply),
				c.SetEnabled(s.Enabled == 1, libaudit.WaitForReply))
			c.SetBacklogWaitTime(int32(s.BacklogWaitTime), libaudit.WaitForReply)
		}
		if p.owner {
			errs = append(errs, p.client.Close()) // unregisters the audit pid
		} else {
			errs = append(errs, p.conn.Close())
		}
		p.stopErr = errors.Join(errs...)
	})
	return p.stopErr
}

// selfExecutable is the agent's own binary as the kernel names it in exe=.
func selfExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		return real
	}
	return exe
}

// statTimes returns a function that stats a host path for its times.
func statTimes(realPath func(string) string) func(string) (int64, int64, int64, bool) {
	return func(p string) (int64, int64, int64, bool) {
		var st unix.Stat_t
		if p == "" || unix.Stat(realPath(p), &st) != nil {
			return 0, 0, 0, false
		}
		return st.Atim.Sec, st.Mtim.Sec, st.Ctim.Sec, true
	}
}

// uptimeSeconds is the system's uptime, as osquery's uptime columns give it.
func uptimeSeconds() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Uptime)
}
