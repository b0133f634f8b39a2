package tables

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func TestParseCrontab(t *testing.T) {
	in := "# comment\n" +
		"SHELL=/bin/sh\n" +
		"MAILTO = root\n" +
		"17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n" +
		"@reboot /home/alice/bin/agent --quiet\n" +
		"  @daily   /usr/bin/true  \n" +
		"@weekly\n" +
		"* * * *\n" +
		"*/5 * * * *\n" +
		"0 0 1 1 * one\n" +
		"   # indented comment\n" +
		"1 2 3 4 5 cmd\xff\n"
	want := []crontabEntry{
		{minute: "17", hour: "*", dayOfMonth: "*", month: "*", dayOfWeek: "*", command: "root cd / && run-parts --report /etc/cron.hourly"},
		{event: "@reboot", command: "/home/alice/bin/agent --quiet"},
		{event: "@daily", command: "/usr/bin/true"},
		{minute: "0", hour: "0", dayOfMonth: "1", month: "1", dayOfWeek: "*", command: "one"},
	}
	got, skipped := parseCrontab(in)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(crontabEntry{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 1 {
		t.Errorf("skipped = %d, want 1", skipped)
	}
}

func FuzzParseCrontab(f *testing.F) {
	f.Add("@reboot x\n* * * * * y z\nA=B\n")
	f.Add("\v \v\n@\n1 2 3 4 5 \v\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, _ := parseCrontab(s)
		for _, e := range entries {
			if e.command == "" {
				t.Fatalf("entry without a command from %q", s)
			}
		}
	})
}

func TestCrontabFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("@reboot x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/cron.d/zz")
	write("etc/cron.d/aa")
	write("etc/cron.d/.hidden")
	write("var/spool/cron/crontabs/alice")
	write("var/spool/cron/root")
	if err := os.Symlink("crontabs", filepath.Join(dir, "var/spool/cron/dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("root", filepath.Join(dir, "var/spool/cron/filelink")); err != nil {
		t.Fatal(err)
	}
	tb, _ := table.Lookup("crontab")
	q := table.NewQuery(context.Background(), hostfs.Dir(dir), nil, tb, ^uint64(0), nil)
	want := []string{"/etc/crontab", "/etc/cron.d/aa", "/etc/cron.d/zz", "/var/spool/cron/filelink", "/var/spool/cron/root", "/var/spool/cron/crontabs/alice"}
	if diff := cmp.Diff(want, crontabFiles(q)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
