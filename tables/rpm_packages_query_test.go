package tables_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

func init() {
	// The Debian fixture has no rpm database or yum repositories; the
	// rocky9 fixture host has both.
	emptyOnFixture["rpm_packages"] = true
	emptyOnFixture["yum_sources"] = true
}

func TestRPMPackagesName(t *testing.T) {
	// An equality on name goes through rpm's Name index: the package
	// installed by the transaction still in the write-ahead log is found too.
	checkPkgsQuery(t, "rocky9", `SELECT name, version, release, epoch, arch FROM rpm_packages WHERE name IN ('vim-minimal', 'openssl-libs', 'nope')`,
		[]string{"openssl-libs|3.2.2|6.el9_5|1|x86_64", "vim-minimal|8.2.2637|21.el9|2|x86_64"})
	// The index names a row whose header is cut short: it is skipped.
	checkPkgsQuery(t, "rocky9", `SELECT name FROM rpm_packages WHERE name = 'bash-broken'`, nil)
	// The kernel's header spans overflow pages.
	checkPkgsQuery(t, "rocky9", `SELECT name, size, package_group FROM rpm_packages WHERE name = 'kernel-core'`,
		[]string{"kernel-core|71163262|Unspecified"})
	checkPkgsQuery(t, "rocky9", `SELECT count(*) FROM rpm_packages`, []string{"12"})
	// Other index columns are filtered by SQLite.
	checkPkgsQuery(t, "rocky9", `SELECT name FROM rpm_packages WHERE arch = 'noarch' AND epoch IS NULL`,
		[]string{"epel-release", "rocky-release", "tzdata"})
}

func TestRPMPackagesOtherHosts(t *testing.T) {
	checkPkgsQuery(t, "debian12", `SELECT name FROM rpm_packages`, nil)
	checkPkgsQuery(t, "minimal", `SELECT name FROM rpm_packages WHERE name = 'bash'`, nil)
}

func TestRPMPackagesUnsupportedDB(t *testing.T) {
	for _, file := range []string{"var/lib/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db"} {
		dir := t.TempDir()
		p := filepath.Join(dir, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// A Berkeley DB hash file starts with its magic at offset 12.
		if err := os.WriteFile(p, append(make([]byte, 12), 0x61, 0x15, 0x06, 0x00), 0o644); err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		log := slog.New(slog.NewTextHandler(&logs, nil))
		e, err := engine.New(hostfs.Dir(dir), engine.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := e.QueryAll(context.Background(), `SELECT name FROM rpm_packages`)
		e.Close()
		if err != nil || len(rows) != 0 {
			t.Errorf("%s: rows %v, err %v; want none", file, rows, err)
		}
		if !strings.Contains(logs.String(), "unsupported rpmdb format") {
			t.Errorf("%s: no warning about the format; logs:\n%s", file, logs.String())
		}
	}
}
