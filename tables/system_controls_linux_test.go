package tables

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
)

func TestParseSysctlConf(t *testing.T) {
	in := `# comment
; also a comment
net.ipv4.ip_forward=1
  kernel.kptr_restrict = 1
kernel.kptr_restrict = 2
a = b = c
novalue =
just text
net/ipv4/tcp_syncookies = 1
-net.ipv6.conf.all.disable_ipv6 = 1
kernel.printk = 3 4 1 7
`
	got := map[string]string{}
	parseSysctlConf([]byte(in), got)
	want := map[string]string{
		"net.ipv4.ip_forward":             "1",
		"kernel.kptr_restrict":            "2",
		"net/ipv4/tcp_syncookies":         "1",
		"-net.ipv6.conf.all.disable_ipv6": "1",
		"kernel.printk":                   "3 4 1 7",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	empty := map[string]string{}
	parseSysctlConf([]byte("a=\xff"), empty)
	if len(empty) != 0 {
		t.Errorf("non-UTF-8 file gave %v", empty)
	}
}

func TestSysctlNameToPath(t *testing.T) {
	tests := map[string]string{
		"net.ipv4.ip_forward": "/proc/sys/net/ipv4/ip_forward",
		"kernel":              "/proc/sys/kernel",
		"net.ipv4.":           "/proc/sys/net/ipv4",
		"":                    "",
		".":                   "",
		"../../etc/shadow":    "/proc/sys/etc/shadow",
		"a/../../..":          "/proc/sys/a",
	}
	for in, want := range tests {
		if got := sysctlNameToPath(in); got != want {
			t.Errorf("sysctlNameToPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSystemControlsNamePushdown(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{
		"proc/sys/net/ipv4/ip_forward":   "1\n",
		"proc/sys/net/ipv4/tcp_rmem":     "4096\t131072\t6291456\n",
		"proc/sys/kernel/hostname":       "h\n",
		"etc/sysctl.conf":                "net.ipv4.ip_forward = 0\n",
		"run/sysctl.d/10-x.conf":         "net.ipv4.tcp_rmem = 1 2 3\n",
		"lib/sysctl.d/99-last.conf":      "net.ipv4.ip_forward = 1\n",
		"etc/sysctl.d/not-a-conf.txt":    "kernel.hostname = nope\n",
		"usr/lib/sysctl.d/50-a.conf/x":   "a directory named .conf is skipped\n",
		"usr/local/lib/sysctl.d/00.conf": "kernel.hostname = local\n",
	})
	var mu sync.Mutex
	var opened []string
	root := sysRoot(dir, hostfs.WithTrace(func(op, p string) {
		if op == "open" && strings.HasPrefix(p, "/proc/sys/") {
			mu.Lock()
			opened = append(opened, p)
			mu.Unlock()
		}
	}))
	rows := sysQuery(t, root, "SELECT * FROM system_controls WHERE name = 'net.ipv4.ip_forward'")
	want := []map[string]any{{"name": "net.ipv4.ip_forward", "oid": nil, "subsystem": "net", "current_value": "1", "config_value": "1", "type": "string"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/proc/sys/net/ipv4/ip_forward"}, opened); diff != "" {
		t.Errorf("files read (-want +got):\n%s", diff)
	}

	rows = sysQuery(t, sysRoot(dir), "SELECT name, current_value, config_value FROM system_controls ORDER BY name")
	want = []map[string]any{
		{"name": "kernel.hostname", "current_value": "h", "config_value": "local"},
		{"name": "net.ipv4.ip_forward", "current_value": "1", "config_value": "1"},
		{"name": "net.ipv4.tcp_rmem", "current_value": "4096\t131072\t6291456", "config_value": "1 2 3"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}

	rows = sysQuery(t, sysRoot(dir), "SELECT name FROM system_controls WHERE subsystem = 'kernel'")
	if diff := cmp.Diff([]map[string]any{{"name": "kernel.hostname"}}, rows); diff != "" {
		t.Errorf("subsystem (-want +got):\n%s", diff)
	}
	if rows := sysQuery(t, sysRoot(dir), "SELECT name FROM system_controls WHERE oid = '1.1'"); len(rows) != 0 {
		t.Errorf("oid constraint gave %v", rows)
	}
	// A name that does not exist still gives a row, as in osquery.
	rows = sysQuery(t, sysRoot(dir), "SELECT name, current_value FROM system_controls WHERE name = 'no.such.control'")
	if diff := cmp.Diff([]map[string]any{{"name": "no.such.control", "current_value": nil}}, rows); diff != "" {
		t.Errorf("missing name (-want +got):\n%s", diff)
	}
}

func FuzzParseSysctlConf(f *testing.F) {
	f.Add([]byte("net.ipv4.ip_forward = 1\n# c\n;c\na=b=c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseSysctlConf(b, map[string]string{})
		if p := sysctlNameToPath(string(b)); p != "" && !strings.HasPrefix(p, sysctlRoot) {
			t.Fatalf("sysctlNameToPath(%q) = %q leaves /proc/sys", b, p)
		}
	})
}
