package tables_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/table"
)

func fixtureEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(fixtureRoot("debian12"), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// queryStrings runs a query and renders each row as its values joined by
// "|", sorted.
func queryStrings(t *testing.T, e *engine.Engine, sql string) []string {
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
	e := fixtureEngine(t)
	a := queryStrings(t, e, "SELECT address, hostnames FROM etc_hosts")
	b := queryStrings(t, e, "SELECT address, hostnames FROM hosts")
	if len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("hosts differs from etc_hosts:\n%v\n%v", a, b)
	}
}

func TestPidWithNamespaceUnsupported(t *testing.T) {
	e := fixtureEngine(t)
	for _, name := range []string{"etc_hosts", "dns_resolvers", "crontab"} {
		if got := queryStrings(t, e, "SELECT * FROM "+name+" WHERE pid_with_namespace = 412"); len(got) != 0 {
			t.Errorf("%s in pid 412's namespaces: %v", name, got)
		}
		if got := queryStrings(t, e, "SELECT * FROM "+name+" WHERE pid_with_namespace = 0"); len(got) == 0 {
			t.Errorf("%s: no rows with pid_with_namespace = 0", name)
		}
	}
}

// TestBrowserExtensionsPerUser checks the user_data rule: the current user
// (alice, 1000) by default, other users when uid is constrained.
func TestBrowserExtensionsPerUser(t *testing.T) {
	e := fixtureEngine(t)
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
		got := queryStrings(t, e, tt.sql)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tt.sql, got, tt.want)
		}
	}
	if _, ok := table.Lookup("users"); !ok {
		t.Log("users table not registered in this build; skipping the JOIN")
		return
	}
	got := queryStrings(t, e, "SELECT u.username, c.name FROM users u CROSS JOIN chrome_extensions c USING (uid)")
	want := []string{"alice|Page Translator", "alice|Tab Session Keeper", "bob|Dev Helper (unpacked)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("users JOIN chrome_extensions:\n got %q\nwant %q", got, want)
	}
}
