package tables_test

import "testing"

func TestDebPackagesAdmindir(t *testing.T) {
	checkPkgsQuery(t, "debian12", `SELECT name, arch, admindir FROM deb_packages WHERE admindir = '/var/lib/dpkg' AND name = 'libc6'`,
		[]string{"libc6|amd64|/var/lib/dpkg", "libc6|i386|/var/lib/dpkg"})
	// A directory that is not a dpkg database gives no rows and no error.
	checkPkgsQuery(t, "debian12", `SELECT name FROM deb_packages WHERE admindir IN ('/nonexistent', '/etc')`, nil)
	checkPkgsQuery(t, "debian12", `SELECT count(*) FROM deb_packages WHERE admindir IN ('/var/lib/dpkg', '/var/lib/dpkg/')`, []string{"32"})
	// Packages whose status is not-installed are left out; a package in
	// the updates journal shows its newer state.
	checkPkgsQuery(t, "debian12", `SELECT name, version, status FROM deb_packages WHERE name IN ('nginx', 'curl', 'apache2')`,
		[]string{"apache2|2.4.62-1~deb12u2|deinstall ok config-files", "curl|7.88.1-10+deb12u9|install ok unpacked"})
}
