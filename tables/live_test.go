package tables_test

import (
	"context"
	"os"
	"testing"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// TestLive runs every table on this machine and checks that each value fits
// its column's type. It reads the live host, so it is opt-in:
// OSAUDIT_LIVE=1 go test ./tables -run TestLive -v
func TestLive(t *testing.T) {
	if os.Getenv("OSAUDIT_LIVE") == "" {
		t.Skip("set OSAUDIT_LIVE=1 to query this machine")
	}
	e, err := engine.New(hostfs.Live(), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, tb := range table.All() {
		t.Run(tb.Name, func(t *testing.T) {
			q := allColumnsQuery(tb)
			cols, rows, err := e.QueryAll(context.Background(), q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			for _, r := range rows {
				for i, v := range r {
					c := tb.Columns[i]
					if !fits(c.Type, v) {
						t.Errorf("%s.%s = %#v does not fit %s", tb.Name, cols[i], v, c.Type)
					}
				}
			}
			t.Logf("%d rows", len(rows))
		})
	}
}

func fits(ty table.Type, v any) bool {
	switch v.(type) {
	case nil:
		return true
	case int64:
		return ty.IsNumeric()
	case float64:
		return ty == table.TypeDouble
	case string:
		return ty == table.TypeText
	case []byte:
		return ty == table.TypeBlob || ty == table.TypeText
	}
	return false
}
