package engine

import "modernc.org/sqlite"

// registerCollations adds osquery's version collations to the driver and
// returns their names.
func registerCollations(d *sqlite.Driver) ([]string, error) { return nil, nil }
