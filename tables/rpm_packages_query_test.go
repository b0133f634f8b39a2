package tables_test

import "testing"

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
