package tables_test

import "testing"

func TestNPMPackagesConstraints(t *testing.T) {
	// A project directory is scanned only when named.
	checkPkgsQuery(t, "debian12", `SELECT name, depth FROM npm_packages WHERE directory = '/home/alice/projects/webapp'`,
		[]string{"debug|1", "express|0", "left-pad|0"})
	checkPkgsQuery(t, "debian12", `SELECT count(*) FROM npm_packages WHERE name = 'express'`, []string{"0"})
	// max_depth bounds the search in nested node_modules and is echoed.
	checkPkgsQuery(t, "debian12", `SELECT name, depth, max_depth FROM npm_packages WHERE directory = '/usr/lib' AND max_depth = 0`,
		[]string{"@angular/cli|0|0", "corepack|0|0", "jshint|0|0", "npm|0|0"})
	checkPkgsQuery(t, "debian12", `SELECT name FROM npm_packages WHERE directory = '/usr/lib' AND max_depth = 1 AND depth = 1`,
		[]string{"@npmcli/arborist", "cross-spawn", "semver"})
	checkPkgsQuery(t, "debian12", `SELECT count(*) FROM npm_packages WHERE max_depth = 'deep'`, []string{"0"})
	checkPkgsQuery(t, "debian12", `SELECT count(*) FROM npm_packages WHERE directory = '/nonexistent'`, []string{"0"})
}
