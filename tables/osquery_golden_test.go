package tables_test

func init() {
	// osquery_info describes the process running the test.
	goldenVolatile["osquery_info"] = []string{"pid", "build_distro"}
	// The golden test runs no agent: no flags, schedule or packs.
	emptyOnFixture["osquery_flags"] = true
	emptyOnFixture["osquery_schedule"] = true
	emptyOnFixture["osquery_packs"] = true
}
