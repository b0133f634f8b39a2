package tables_test

// The golden query reads both users' profiles: alice (the current user on
// the fixture host) and bob.
func init() { goldenWhere["chrome_extensions"] = "uid IN (1000, 1001)" }
