package events

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// auditKernelState reads what the publisher may change in the kernel.
func auditKernelState(t *testing.T) (auditStatus, int) {
	t.Helper()
	c, err := dialAudit(0, nil)
	if err != nil {
		t.Skipf("no audit netlink socket: %v", err)
	}
	defer c.close()
	st, err := c.status()
	if err != nil {
		t.Skipf("cannot read the audit status: %v", err)
	}
	rules, err := c.rules()
	if err != nil {
		t.Skipf("cannot list audit rules: %v", err)
	}
	return st, len(rules)
}

// TestAuditLive runs the audit publisher against the live kernel with
// --audit_allow_config: it must see a child's execve and connect, and leave
// the kernel's audit settings and rules as it found them.
func TestAuditLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_AUDIT_CONTROL) to own the audit netlink socket")
	}
	before, rulesBefore := auditKernelState(t)
	if before.pid != 0 {
		t.Skipf("another process (pid %d, auditd?) owns the audit netlink socket", before.pid)
	}
	if before.enabled == 2 {
		t.Skip("the kernel's audit configuration is locked (enabled=2)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	var status statusLog
	m := New(Config{
		Root: hostfs.Live(), Status: status.add,
		AuditAllowProcessEvents: true, AuditAllowSockets: true, AuditAllowConfig: true,
		EnableSubscribers: []string{tableProcessEvents, tableSocketEvents},
	})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	for _, l := range status.all() {
		if strings.HasPrefix(l, "2 ") {
			t.Skipf("the audit publisher cannot run here: %s", l)
		}
	}

	marker := fmt.Sprintf("osaudit-live-%d", time.Now().UnixNano())
	cmd := exec.Command("/bin/sh", "-c", "exit 0", marker, "an argument")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	row := waitEvent(t, m, tableProcessEvents, func(r map[string]string) bool { return strings.Contains(r["cmdline"], marker) })
	want := map[string]string{
		"cmdline": "/bin/sh -c exit 0 " + marker + " an argument", "cwd": wd, "parent": strconv.Itoa(os.Getpid()),
		"uid": "0", "euid": "0", "syscall": "execve", "env": "", "overflows": "",
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("process_events %s = %q, want %q", k, row[k], v)
		}
	}
	if row["path"] == "" || row["mode"] == "" || row["eid"] == "" || row["time"] == "" || row["uptime"] == "" {
		t.Errorf("process_events row %v", row)
	}

	if sh, err := exec.LookPath("bash"); err == nil {
		exec.Command(sh, "-c", fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d", port)).Run()
		row := waitEvent(t, m, tableSocketEvents, func(r map[string]string) bool {
			return r["action"] == "connect" && r["remote_port"] == strconv.Itoa(port)
		})
		if row["remote_address"] != "127.0.0.1" || row["family"] != "2" || row["status"] != "succeeded" || row["local_address"] != "0" {
			t.Errorf("socket_events row %v", row)
		}
	}

	var pub table.EventStatus
	for _, s := range m.EventStatus() {
		if s.Name == publisherAudit {
			pub = s
		}
	}
	if !pub.Active || pub.Events == 0 || pub.Subscriptions != 2 {
		t.Errorf("publisher status %+v", pub)
	}

	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	after, rulesAfter := auditKernelState(t)
	if after.enabled != before.enabled || after.backlogLimit != before.backlogLimit || after.failure != before.failure ||
		after.backlogWaitTime != before.backlogWaitTime || after.pid != 0 || rulesAfter != rulesBefore {
		t.Errorf("kernel audit state not restored:\nbefore %+v, %d rules\nafter  %+v, %d rules", before, rulesBefore, after, rulesAfter)
	}
}

// waitEvent waits for an event of a table that ok accepts.
func waitEvent(t *testing.T, m *Manager, name string, ok func(map[string]string) bool) map[string]string {
	t.Helper()
	cols := Columns(name)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found map[string]string
		m.Events(name, func(e table.Event) bool {
			r := map[string]string{}
			for i, c := range cols {
				r[c] = e.Values[i].String()
			}
			if ok(r) {
				found = r
				return false
			}
			return true
		})
		if found != nil {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event arrived", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
