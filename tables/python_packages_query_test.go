package tables_test

import "testing"

func TestPythonPackagesUsers(t *testing.T) {
	// By default: system packages and the current user's (alice, 1000).
	checkPkgsQuery(t, "debian12", `SELECT name, uid FROM python_packages WHERE uid IS NOT NULL`,
		[]string{"httpx|1000", "pip|1000", "yt-dlp|1000"})
	// A uid constraint names the users; system packages have no uid.
	checkPkgsQuery(t, "debian12", `SELECT name, uid, directory FROM python_packages WHERE uid = 1001`,
		[]string{"pycryptodome|1001|/home/bob/.local/lib/python3.11/site-packages"})
	checkPkgsQuery(t, "debian12", `SELECT name FROM python_packages WHERE uid IN (1000, 1001, 4242)`,
		[]string{"httpx", "pip", "pycryptodome", "yt-dlp"})
	// A directory constraint scans just that directory, any directory.
	checkPkgsQuery(t, "debian12", `SELECT name, license FROM python_packages WHERE directory = '/usr/lib/python3/dist-packages'`,
		[]string{"chardet|LGPL", "requests|Apache 2.0", "six|MIT"})
	checkPkgsQuery(t, "debian12", `SELECT name, uid FROM python_packages WHERE directory = '/home/alice/.local/lib/python3.11/site-packages'`,
		[]string{"httpx|1000", "yt-dlp|1000"})
	checkPkgsQuery(t, "debian12", `SELECT name FROM python_packages WHERE directory = '/nonexistent'`, nil)
	// The egg-info file python_apt-2.6.0.egg-info is not a directory: skipped.
	checkPkgsQuery(t, "debian12", `SELECT count(*) FROM python_packages WHERE path LIKE '%python_apt%'`, []string{"0"})
}
