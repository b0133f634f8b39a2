package tables_test

func init() {
	// osquery_info describes the process running the test.
	goldenVolatile["osquery_info"] = []string{"pid", "build_distro"}
	// osquery_flags lists the agent's flags; the golden test runs no agent.
	emptyOnFixture["osquery_flags"] = true
}
