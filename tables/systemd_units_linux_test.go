package tables

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"
)

func systemdStrPtr(s string) *string { return &s }

func TestParseSystemdUnits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []systemdUnit
		wantErr bool
	}{
		{name: "empty list", in: "[]", want: []systemdUnit{}},
		{name: "null", in: "null"},
		{
			name: "units",
			in: `[{"id":"ssh.service","description":"OpenBSD Secure Shell server","load_state":"loaded","active_state":"active",
			  "sub_state":"running","following":"","object_path":"/org/freedesktop/systemd1/unit/ssh_2eservice","job_id":0,
			  "job_type":"","job_path":"/","fragment_path":"/lib/systemd/system/ssh.service","source_path":"","user":"",
			  "unit_file_state":"enabled","future_key":1},
			 {"id":"a.socket","job_id":7}]`,
			want: []systemdUnit{
				{ID: "ssh.service", Description: "OpenBSD Secure Shell server", LoadState: "loaded", ActiveState: "active",
					SubState: "running", ObjectPath: "/org/freedesktop/systemd1/unit/ssh_2eservice", JobPath: "/",
					FragmentPath: systemdStrPtr("/lib/systemd/system/ssh.service"), SourcePath: systemdStrPtr(""), User: systemdStrPtr(""),
					UnitFileState: systemdStrPtr("enabled")},
				{ID: "a.socket", JobID: 7},
			},
		},
		{name: "truncated", in: `[{"id":"x"`, wantErr: true},
		{name: "not a list", in: `{"id":"x"}`, wantErr: true},
		{name: "wrong type", in: `[{"job_id":"7"}]`, wantErr: true},
		{name: "negative job", in: `[{"job_id":-1}]`, wantErr: true},
		{name: "trailing data", in: `[] []`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSystemdUnits([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseSystemdUnits(f *testing.F) {
	f.Add([]byte(`[{"id":"a.service","job_id":1,"user":"x"}]`))
	f.Add([]byte(`[{"id":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseSystemdUnits(b)
	})
}

// systemdFakeManager serves ListUnits and Properties.Get like systemd does.
type systemdFakeManager struct {
	units []systemdFakeUnit
	props map[dbus.ObjectPath]map[string]string // "iface.Name" -> value
}

type systemdFakeUnit struct {
	ID, Description, LoadState, ActiveState, SubState, Following string
	Path                                                         dbus.ObjectPath
	JobID                                                        uint32
	JobType                                                      string
	JobPath                                                      dbus.ObjectPath
}

func (s *systemdFakeManager) ListUnits() ([]systemdFakeUnit, *dbus.Error) { return s.units, nil }

type systemdFakeProps struct {
	values map[string]string
}

func (p systemdFakeProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	v, ok := p.values[iface+"."+name]
	if !ok {
		return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{"no such property"})
	}
	return dbus.MakeVariant(v), nil
}

// systemdTestBus runs a private dbus-daemon and returns its address.
func systemdTestBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	addr := "unix:path=" + filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, "unix:") {
			t.Skipf("dbus-daemon printed %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Skip("dbus-daemon did not start")
	}
	return addr
}

// TestReadSystemdUnitsDBus talks to a fake systemd on a private bus and
// checks the JSON document the live source produces.
func TestReadSystemdUnitsDBus(t *testing.T) {
	addr := systemdTestBus(t)
	server, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	fake := &systemdFakeManager{props: map[dbus.ObjectPath]map[string]string{}}
	for i, id := range []string{"ssh.service", "ssh.socket", "systemd-timesyncd.service"} {
		path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + strings.NewReplacer(".", "_2e", "-", "_2d").Replace(id))
		u := systemdFakeUnit{ID: id, Description: "unit " + id, LoadState: "loaded", ActiveState: "active", SubState: "running", Path: path, JobPath: "/"}
		values := map[string]string{
			"org.freedesktop.systemd1.Unit.FragmentPath":  "/lib/systemd/system/" + id,
			"org.freedesktop.systemd1.Unit.SourcePath":    "",
			"org.freedesktop.systemd1.Unit.UnitFileState": "enabled",
		}
		if strings.HasSuffix(id, ".service") {
			values["org.freedesktop.systemd1.Service.User"] = "svc"
		}
		if i == 2 {
			u.LoadState, u.ActiveState, u.SubState = "masked", "inactive", "dead"
			u.JobID, u.JobType, u.JobPath = 42, "start", "/org/freedesktop/systemd1/job/42"
			values["org.freedesktop.systemd1.Unit.FragmentPath"] = "/dev/null"
			values["org.freedesktop.systemd1.Unit.UnitFileState"] = "masked"
		}
		fake.units = append(fake.units, u)
		if err := server.Export(systemdFakeProps{values}, path, "org.freedesktop.DBus.Properties"); err != nil {
			t.Fatal(err)
		}
	}
	if err := server.Export(fake, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"); err != nil {
		t.Fatal(err)
	}
	if reply, err := server.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v, %v", reply, err)
	}

	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", addr)
	b, err := readSystemdUnitsDBus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseSystemdUnits(b)
	if err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	want := []systemdUnit{
		{ID: "ssh.service", Description: "unit ssh.service", LoadState: "loaded", ActiveState: "active", SubState: "running",
			ObjectPath: "/org/freedesktop/systemd1/unit/ssh_2eservice", JobPath: "/",
			FragmentPath: systemdStrPtr("/lib/systemd/system/ssh.service"), SourcePath: systemdStrPtr(""), User: systemdStrPtr("svc"), UnitFileState: systemdStrPtr("enabled")},
		{ID: "ssh.socket", Description: "unit ssh.socket", LoadState: "loaded", ActiveState: "active", SubState: "running",
			ObjectPath: "/org/freedesktop/systemd1/unit/ssh_2esocket", JobPath: "/",
			FragmentPath: systemdStrPtr("/lib/systemd/system/ssh.socket"), SourcePath: systemdStrPtr(""), UnitFileState: systemdStrPtr("enabled")},
		{ID: "systemd-timesyncd.service", Description: "unit systemd-timesyncd.service", LoadState: "masked", ActiveState: "inactive", SubState: "dead",
			ObjectPath: "/org/freedesktop/systemd1/unit/systemd_2dtimesyncd_2eservice", JobID: 42, JobType: "start", JobPath: "/org/freedesktop/systemd1/job/42",
			FragmentPath: systemdStrPtr("/dev/null"), SourcePath: systemdStrPtr(""), User: systemdStrPtr("svc"), UnitFileState: systemdStrPtr("masked")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadSystemdUnitsDBusNoBus(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "absent"))
	if _, err := readSystemdUnitsDBus(context.Background()); err == nil {
		t.Fatal("no error without a bus")
	}
}
