package events

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	// auditFailSilent is the failure mode (AUDIT_FAIL_SILENT) in which
	// the kernel drops the records it cannot queue, without printk or panic.
	auditFailSilent = 0
)

// errAuditStopped is what a receive returns once stop has been called.
var errAuditStopped = errors.New("audit publisher stopped")

// auditPublisher reads the kernel's audit records for process_events,
// socket_events and user_events.
type auditPublisher struct {
	m    *Manager
	opts auditOptions

	reader
	conn  *auditConn
	owner bool         // the publisher set itself as the audit pid
	saved *auditStatus // kernel settings to restore on stop
	rules [][]byte     // rules installed, to delete on stop

	events  atomic.Int64
	stopErr error
}

func newAuditPublisher(m *Manager) *auditPublisher {
	c := m.cfg
	p := &auditPublisher{m: m, reader: newReader()}
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
	if err := p.begin(); err != nil {
		return err
	}
	if err := p.open(); err != nil {
		return p.abort(err)
	}
	p.spawn(wg, p.run)
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
	st, err := conn.status()
	if err != nil {
		conn.close()
		return describeAuditError("read the audit status", err)
	}
	err = conn.set(auditStatus{mask: auditStatusPID, pid: uint32(os.Getpid())})
	switch {
	case err == nil:
		p.conn, p.owner = conn, true
	case errors.Is(err, unix.EEXIST):
		conn.close()
		owner := fmt.Sprintf("pid %d", st.pid)
		if comm, err := p.m.cfg.Root.ReadFile("/proc/" + strconv.FormatUint(uint64(st.pid), 10) + "/comm"); err == nil {
			owner += " (" + strings.TrimSpace(string(comm)) + ")"
		}
		mconn, err := dialAudit(auditReadLogGroup, p.w)
		if err != nil {
			return fmt.Errorf("%s owns the audit netlink socket, and listening beside it failed: %w", owner, describeAuditError("join the audit multicast group (needs CAP_AUDIT_READ)", err))
		}
		p.conn = mconn
		msg := "%s owns the audit netlink socket; listening on the read-only multicast group, so its rules decide what is recorded"
		if p.m.cfg.AuditAllowConfig {
			msg += " (--audit_allow_config is ignored: the rules are left to it)"
		}
		p.status(StatusWarning, msg, owner)
		return nil
	default:
		conn.close()
		return describeAuditError("become the audit daemon", err)
	}
	switch {
	case p.m.cfg.AuditAllowConfig:
		if err := p.configure(st); err != nil {
			p.status(StatusError, "%v; listening with the rules in place", err)
		}
	case st.enabled == 0:
		p.status(StatusWarning, "auditing is disabled in the kernel and --audit_allow_config is off: no records will arrive until auditctl -e 1 and rules are loaded")
	default:
		if rules, err := conn.rules(); err == nil && len(rules) == 0 {
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

// configure enables auditing and installs the publisher's rules, saving the
// kernel's settings for stop to restore, as osquery does with
// --audit_allow_config.
func (p *auditPublisher) configure(st auditStatus) error {
	if st.enabled == 2 {
		return errors.New("the audit configuration is locked (enabled=2, auditctl -e 2): rules cannot be installed")
	}
	p.saved = &st
	c := p.conn
	if err := c.set(auditStatus{mask: auditStatusEnabled, enabled: 1}); err != nil {
		return fmt.Errorf("enable auditing: %w", err)
	}
	if err := c.set(auditStatus{mask: auditStatusBacklogLimit, backlogLimit: auditBacklogLimit}); err != nil {
		return fmt.Errorf("set the audit backlog limit: %w", err)
	}
	c.set(auditStatus{mask: auditStatusBacklogWaitTime, backlogWaitTime: auditBacklogWaitTime}) // kernels before 3.14 lack it
	if err := c.set(auditStatus{mask: auditStatusFailure, failure: auditFailSilent}); err != nil {
		return fmt.Errorf("set the audit failure mode: %w", err)
	}
	var names []string
	if p.opts.process {
		names = append(names, "execve", "execveat")
	}
	if p.opts.sockets {
		names = append(names, "bind", "connect", "accept", "accept4")
	}
	archs := auditArchs()
	if len(names) > 0 && len(archs) == 0 {
		return fmt.Errorf("no audit syscall table for %s: rules cannot be installed", runtime.GOARCH)
	}
	for _, arch := range archs {
		var syscalls []string
		var nums []int
		for _, n := range names {
			if num, ok := arch.number(n); ok {
				syscalls = append(syscalls, n)
				nums = append(nums, num)
			}
		}
		if len(nums) == 0 {
			continue
		}
		r, err := auditSyscallRule(arch.value, nums, auditRuleKey)
		if err != nil {
			return fmt.Errorf("build the %s audit rule: %w", arch.name, err)
		}
		switch err := c.addRule(r); {
		case err == nil, errors.Is(err, unix.EEXIST): // ours, left by an agent that did not stop cleanly
			p.rules = append(p.rules, r)
		default:
			return fmt.Errorf("install the %s audit rule (%s): %w", arch.name, strings.Join(syscalls, ","), err)
		}
	}
	return nil
}

// run reads records until stop.
func (p *auditPublisher) run() {
	asm := newAuditAssembler()
	var lastLoss time.Time
	for {
		msg, err := p.conn.receive()
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
		if !p.wants(msg.typ) {
			continue
		}
		rec, err := parseAuditRecord(msg.typ, msg.data)
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
	p.halt(func() {
		c := p.conn
		if c == nil {
			return
		}
		var errs []error
		for _, r := range p.rules {
			// A rule already gone (auditctl -D) is as good as deleted.
			if err := c.deleteRule(r); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("delete audit rule: %w", err))
			}
		}
		if s := p.saved; s != nil {
			enabled := uint32(0) // configure ran only when it was 0 or 1
			if s.enabled == 1 {
				enabled = 1
			}
			errs = append(errs,
				wrapErr("restore the audit backlog limit", c.set(auditStatus{mask: auditStatusBacklogLimit, backlogLimit: s.backlogLimit})),
				wrapErr("restore the audit failure mode", c.set(auditStatus{mask: auditStatusFailure, failure: s.failure})),
				wrapErr("restore the audit enabled flag", c.set(auditStatus{mask: auditStatusEnabled, enabled: enabled})))
			c.set(auditStatus{mask: auditStatusBacklogWaitTime, backlogWaitTime: s.backlogWaitTime})
		}
		if p.owner {
			// Give up the records, as auditd does on exit (pid 0).
			errs = append(errs, wrapErr("unregister as the audit daemon", c.set(auditStatus{mask: auditStatusPID})))
		}
		errs = append(errs, c.close())
		p.stopErr = errors.Join(errs...)
	})
	return p.stopErr
}

// wrapErr adds what failed to a non-nil error.
func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
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
