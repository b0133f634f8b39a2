package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealConfig loads a config written for osqueryd and runs its schedule
// on the fixture host: CLI-only options are ignored with a warning, other
// platforms' queries are left out, queries over tables osaudit lacks are
// reported one by one, and the rest of the schedule runs.
func TestRealConfig(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "osqueryd-real.conf"))
	if err != nil {
		t.Fatal(err)
	}
	td := newTestDaemon(t, string(src))
	os.MkdirAll(filepath.Join(td.dir, "packs"), 0o755)
	pack, _ := os.ReadFile(filepath.Join("testdata", "packs", "hardware-monitoring.conf"))
	os.WriteFile(filepath.Join(td.dir, "packs", "hardware-monitoring.conf"), pack, 0o644)
	ctx := context.Background()
	if err := td.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range td.queries {
		names = append(names, q.Name)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"osquery_info", "mounts", "pack_vuln-management_kernel_info", "pack_vuln-management_opera_extensions", "pack_hardware-monitoring_device_nodes"} {
		if !strings.Contains(got, want) {
			t.Errorf("schedule lacks %s: %s", want, got)
		}
	}
	for _, absent := range []string{"safari_extensions", "iokit_devicetree", "startup", "portage"} {
		if strings.Contains(got, absent) {
			t.Errorf("schedule has %s, a query for another platform: %s", absent, got)
		}
	}
	// Run every query once: splay moved their seconds, so tick through a day.
	for _, q := range td.queries {
		td.runScheduled(ctx, q, t0)
	}
	td.drain(ctx)
	td.Close(ctx)
	status := readStatus(t, td.logs)
	for _, want := range []string{
		"watchdog_memory_limit is a CLI-only flag",
		"Cannot set unknown or invalid flag: enable_monitor",
		"scheduled query pack_vuln-management_opera_extensions: unknown table opera_extensions",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("status log lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "custom_team") {
		t.Errorf("custom_ options are allowed silently:\n%s", status)
	}
	results := map[string]bool{}
	for _, l := range td.lines(t, resultsFile) {
		results[l["name"].(string)] = true
		if l["decorations"].(map[string]any)["host_uuid"] == nil {
			t.Errorf("line without the load decoration: %v", l)
		}
	}
	for _, want := range []string{"osquery_info", "mounts", "pack_vuln-management_kernel_info", "pack_vuln-management_deb_packages", "pack_hardware-monitoring_pci_devices"} {
		if !results[want] {
			t.Errorf("no results from %s (have %v)", want, results)
		}
	}
}

// TestPackagingFiles keeps the shipped flagfile and sample config valid.
func TestPackagingFiles(t *testing.T) {
	args, err := ReadFlagfile(filepath.Join("..", "packaging", "osaudit.flags"))
	if err != nil {
		t.Fatal(err)
	}
	fs := newFlagSet()
	DaemonFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Errorf("packaging/osaudit.flags: %v", err)
	}
	if _, _, err := loadConfig(filepath.Join("..", "packaging", "osaudit.conf")); err != nil {
		t.Errorf("packaging/osaudit.conf: %v", err)
	}
}

func TestExpandFlagfiles(t *testing.T) {
	dir := t.TempDir()
	ff := filepath.Join(dir, "flags")
	os.WriteFile(ff, []byte("# comment\n--logger_path=/x\n\n--verbose\n"), 0o644)
	got, err := ExpandFlagfiles([]string{"--pidfile=/p", "--flagfile=" + ff, "--logger_path=/y"})
	if err != nil || strings.Join(got, " ") != "--pidfile=/p --logger_path=/x --verbose --logger_path=/y" {
		t.Errorf("got %v, %v", got, err)
	}
	os.WriteFile(ff, []byte("logger_path=/x\n"), 0o644)
	if _, err := ExpandFlagfiles([]string{"--flagfile", ff}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a flagfile line without a dash: %v", err)
	}
	if _, err := ExpandFlagfiles([]string{"--flagfile=/no/such"}); err == nil {
		t.Error("missing flagfile accepted")
	}
}

func TestPidfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pid")
	if err := writePidfile(p); err != nil {
		t.Fatal(err)
	}
	// Our own pid in the file is ours: writing again is fine.
	if err := writePidfile(p); err != nil {
		t.Fatal(err)
	}
	// A live process (pid 1) holds it: refuse.
	os.WriteFile(p, []byte("1\n"), 0o644)
	if err := writePidfile(p); err == nil || !strings.Contains(err.Error(), "another daemon is running") {
		t.Errorf("pidfile of a live process: %v", err)
	}
	// A stale pid: take over.
	os.WriteFile(p, []byte("999999999\n"), 0o644)
	if err := writePidfile(p); err != nil {
		t.Errorf("stale pidfile: %v", err)
	}
}
