package tables_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/table"
)

func configFixtureEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(fixtureRoot("debian12"), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// configQueryRows runs a query and renders each row as its values joined by
// "|", sorted.
func configQueryRows(t *testing.T, e *engine.Engine, sql string) []string {
	t.Helper()
	_, rows, err := e.QueryAll(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for _, r := range rows {
		var vals []string
		for _, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			vals = append(vals, fmt.Sprint(v))
		}
		out = append(out, strings.Join(vals, "|"))
	}
	sort.Strings(out)
	return out
}

func TestEtcHostsAlias(t *testing.T) {
	e := configFixtureEngine(t)
	a := configQueryRows(t, e, "SELECT address, hostnames FROM etc_hosts")
	b := configQueryRows(t, e, "SELECT address, hostnames FROM hosts")
	if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("hosts differs from etc_hosts:\n%v\n%v", a, b)
	}
}

func TestPidWithNamespaceUnsupported(t *testing.T) {
	e := configFixtureEngine(t)
	for _, name := range []string{"etc_hosts", "dns_resolvers", "crontab"} {
		if got := configQueryRows(t, e, "SELECT * FROM "+name+" WHERE pid_with_namespace = 412"); len(got) != 0 {
			t.Errorf("%s in pid 412's namespaces: %v", name, got)
		}
		if got := configQueryRows(t, e, "SELECT * FROM "+name+" WHERE pid_with_namespace = 0"); len(got) == 0 {
			t.Errorf("%s: no rows with pid_with_namespace = 0", name)
		}
	}
}

// TestBrowserExtensionsPerUser checks the user_data rule: the current user
// (alice, 1000) by default, other users when uid is constrained.
func TestBrowserExtensionsPerUser(t *testing.T) {
	e := configFixtureEngine(t)
	tests := []struct {
		sql  string
		want []string
	}{
		{"SELECT uid, browser_type, name FROM chrome_extensions", []string{
			"1000|chrome|Page Translator", "1000|chrome|Tab Session Keeper"}},
		{"SELECT uid, browser_type, name FROM chrome_extensions WHERE uid = 1001", []string{
			"1001|chromium|Dev Helper (unpacked)"}},
		{"SELECT uid, locale, default_locale FROM chrome_extensions WHERE name = 'Page Translator'", []string{"1000|en|en"}},
		{"SELECT uid, name FROM chrome_extensions WHERE uid = 0", nil},
		{"SELECT uid, name, disabled FROM firefox_addons", []string{"1000|uBlock Origin|0"}},
		{"SELECT uid, name FROM firefox_addons WHERE uid = 1001", nil},
	}
	for _, tt := range tests {
		got := configQueryRows(t, e, tt.sql)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tt.sql, got, tt.want)
		}
	}
	// A JOIN with users passes each user's uid to the table. Until the
	// users table is in this build, a stand-in over the fixture's passwd
	// entries plays its part.
	users, ok := table.Lookup("users")
	if !ok {
		users = configFakeUsersTable()
	}
	chrome, _ := table.Lookup("chrome_extensions")
	firefox, _ := table.Lookup("firefox_addons")
	je, err := engine.New(fixtureRoot("debian12"), engine.Options{Logger: testLogger(t), Tables: []*table.Table{users, chrome, firefox}})
	if err != nil {
		t.Fatal(err)
	}
	defer je.Close()
	for _, tt := range []struct {
		sql  string
		want []string
	}{
		{"SELECT u.username, c.browser_type, c.name FROM users u CROSS JOIN chrome_extensions c USING (uid)", []string{
			"alice|chrome|Page Translator", "alice|chrome|Tab Session Keeper", "bob|chromium|Dev Helper (unpacked)"}},
		{"SELECT u.username, f.name FROM users u CROSS JOIN firefox_addons f USING (uid)", []string{"alice|uBlock Origin"}},
	} {
		got := configQueryRows(t, je, tt.sql)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tt.sql, got, tt.want)
		}
	}
}

// configFakeUsersTable is a minimal users table (uid, username) over the
// fixture's /etc/passwd.
func configFakeUsersTable() *table.Table {
	return &table.Table{
		Name: "users",
		Columns: []table.Column{
			table.BigIntColumn("uid", table.Index),
			table.TextColumn("username"),
		},
		Generate: func(q *table.Query, yield func(table.Row) bool) error {
			b, err := q.Root().ReadFile("/etc/passwd")
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Split(line, ":")
				if len(f) != 7 {
					continue
				}
				uid, err := strconv.ParseInt(f[2], 10, 64)
				if err != nil {
					continue
				}
				r := q.NewRow()
				r.Set("uid", table.Int(uid))
				r.Set("username", table.Text(f[0]))
				if !yield(r) {
					return nil
				}
			}
			return nil
		},
	}
}
