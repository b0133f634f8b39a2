package sqlite

import (
	"context"
	"strings"
	"testing"
)

// TestHostLookupPlans checks that host lookups by name use an index, not a
// scan of the hosts table (at 20,000 hosts a live query naming 200 hosts
// took seconds when they did not).
func TestHostLookupPlans(t *testing.T) {
	s := openTemp(t, Options{})
	defer s.Close()
	for _, tc := range []struct {
		name, where string
		args        []any
		index       string
	}{
		{"identifier, any customer", "h.identifier = ?", []any{"x"}, "hosts_identifier"},
		{"identifier of a customer", "h.customer_id = ? AND h.identifier = ?", []any{1, "x"}, "sqlite_autoindex_hosts_1"},
		{"identifiers, any customer", "h.identifier IN (SELECT value FROM json_each(?))", []any{`["x","y"]`}, "hosts_identifier"},
		{"hostnames", "h.hostname COLLATE NOCASE IN (SELECT value FROM json_each(?))", []any{`["x"]`}, "hosts_hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The shape of Hosts' query: keyset page, ordered by id.
			q := `EXPLAIN QUERY PLAN SELECT h.id FROM hosts h WHERE h.id > ? AND ` + tc.where + ` ORDER BY h.id LIMIT 100`
			rows, err := s.r.QueryContext(context.Background(), q, append([]any{0}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tc.index) {
				t.Errorf("plan %q does not use index %s", got, tc.index)
			}
		})
	}
}
