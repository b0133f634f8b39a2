package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// versionOrder is one expected ordering: left < right, left = right or
// left > right under a collation.
type versionOrder struct {
	left, op, right string
}

// osqueryVersionOrders are the orderings osquery's own tests and
// documentation state for its collations.
var osqueryVersionOrders = map[string][]versionOrder{
	"version": {
		{"1.0", "=", "1.0"},
		{"1:0.0", "=", "1.0.0"}, // no delimiter precedence: ':' equals '.'
		{"2.50^1a", "=", "2.50~1a"},
		{"1.0", "<", "1.1"},
		{"1.1", "<", "1.a"},
		{"50.4.1b", "<", "50.4.1c"},
		{"1.0.0", "<", "1.0.0-2"},
		{"1.0.0-2", "<", "1:0.0.3"},
		{"1.12.1", "<", "1.13"},
		{"1.1", ">", "1.0"},
		{"190.10a", ">", "20.10a"},
		{"20.10a", ">", "20.102"},
		{"57:4", ">", "6.87.5"},
		{"98.100.21-1b", ">", "98.100.21-1a"},
		{"8.11", ">", "8.10.24"},
		{"1.10", ">", "1.9"},
		{"1.10.1", ">", "1.9.1"},
		{"1.0", "<", "1.0.1"},
		{"", "<", "0"},
	},
	"version_arch": {
		{"1.0", "=", "1.0"},
		{"1.0", "=", "1.0-4"},
		{"4:2", "=", "4:2-1"},
		{"1.0", "<", "1.1"},
		{"1.6.1-9", "<", "1.6.1-10"},
		{"20220713-1", "<", "20221123-1"},
		{"2-2pre", "<", "2-2rc"},
		{"2.38-6", "<", "2.39-4"},
		{"1.0.8-4", "<", "1.0.8-5"},
		{"20210603-1", "<", "20220905-1"},
		{"41.1-2", "<", "43alpha+r8+g1de47dbc-1"},
		{"9.1-1", "<", "9.1-3"},
		{"1:42.3.1-1", "<", "1:43.2-1"},
		{"42.3-1", "<", "43.2-1"},
		{"1.1", ">", "1.0"},
		{"3.46.7-1", ">", "3.44.1-1"},
		{"6.0.12.arch1-1", ">", "5.18.14.arch1-1"},
		{"5.6.0-2", ">", "5.3.0-2"},
		{"6.0.2-5", ">", "6.0.1-5"},
		{"3:0.164.r3095.baee400-4", ">", "3:0.164.r3081.19856cc-2"},
		{"2022.2-1", ">", "2022.1-1"},
		{"5.2.9-1", ">", "5.2.5-3"},
		{"42.2-1", ">", "42.1-2"},
		{"0.23.90-1", ">", "0.23.1-9"},
		{"1:1.2.13-2", ">", "4.2.1"},
		{"1.0~rc1", "<", "1.0"},
		{"1.0^1", ">", "1.0"},
	},
	"version_dpkg": {
		{"1.0", "=", "1.0"},
		{"1.0-0", "=", "1.0-0"},
		{"1:2.0-10", "=", "1:2.0-10"},
		{"1.0", "<", "1.1"},
		{"22.07.5-2ubuntu1.3", "<", "22.07.5-2ubuntu1.4"},
		{"12ubuntu4.2", "<", "12ubuntu4.3"},
		{"2.38-4ubuntu2.1", "<", "2.38-4ubuntu2.2"},
		{"1.19.2-2ubuntu0.1", "<", "1.19.2-2ubuntu0.2"},
		{"2.5.13+dfsg-0ubuntu0.22.04.1", "<", "2.5.14+dfsg-0ubuntu0.22.04.2"},
		{"1.1", ">", "1.0"},
		{"1.21.1ubuntu2.2", ">", "1.21.1ubuntu2.1"},
		{"3.0.2-0ubuntu1.10", ">", "3.0.2-0ubuntu1.8"},
		{"5.34.0-3ubuntu1.2", ">", "5.34.0-3ubuntu1.1"},
		{"1.9.9-1ubuntu2.4", ">", "1.9.9-1ubuntu2.3"},
		{"2:8.2.3995-1ubuntu2.9", ">", "2:8.2.3995-1ubuntu2.3"},
		{"10:1.0", ">", "9:2.0"},
		{"2:1.0", ">", "1:9.0"},
		{"1:1.0", ">", "9.0"},
		{"1.0~rc1", "<", "1.0.1"}, // '~' ranks below '.'
		// osquery's heuristic, not dpkg's: dpkg says "1.0~rc1" < "1.0".
		{"1.0~rc1", ">", "1.0"},
	},
	"version_rhel": {
		{"1.0", "=", "1.0"},
		{"0.5.0~rc1^202", "=", "0.5.0~rc1^202"},
		{"1:1.0.0~rc2", "=", "1:1.0.0~rc2"},
		{"1.0", "<", "1.1"},
		{"1.0.0~rc2^2021", "<", "1.0.0"},
		{"1.0.0", "<", "1.0.1"},
		{"1.0.1", "<", "1.0.1^2021"},
		{"1.0.1^2021", "<", "1.0.1.security1"},
		{"1.0.1", "<", "pkg-1.0.1.security1"},
		{"1.1.0~BETA2", "<", "1.1.0~CR1"},
		{"1.1.0.2021.SP1", "<", "1.1.0.2021.SP1_CP1"},
		{"9.11.4-26.P2.el7_9.10", "<", "32:9.11.4-26.P2.el7_9.13"},
		{"1:1.8.0.352.b08-2.el7_9", "<", "1:1.8.0.372.b07-1.el7_9"},
		{"5.6.0-1.linux", "<", "5.9.1-1.linux"},
		{"1.1", ">", "1.0"},
		{"1.0.0~rc2", ">", "1.0.0~rc1"},
		{"1.0.0", ">", "1.0.0~rc2"},
		{"1.0.1.security1", ">", "1.0.0~rc2"},
		{"1.1.0~BETA", ">", "1.0.1.security1"},
		{"1.1.0~CR1", ">", "1.1.0~BETA"},
		{"1.1.0.20201001.GA1", ">", "1.1.0~CR1"},
		{"1.0.0~rc2^20210101gf00fabd", ">", "1.0.0~rc2"},
		{"1.0.0", ">", "1.0.0~rc2^20210101gf00fabd"},
		{"1.0.1^20210203gbbbccc0", ">", "1.0.1"},
		{"1.0.1.security1", ">", "1.0.1^20210203gbbbccc0"},
		{"1.0-1", "=", "1.0"},
	},
}

func flavorOf(t testing.TB, collation string) versionFlavor {
	t.Helper()
	f, ok := flavorByName(collation)
	if !ok {
		t.Fatalf("no flavor %s", collation)
	}
	return f
}

func TestCompareVersions(t *testing.T) {
	for coll, orders := range osqueryVersionOrders {
		f := flavorOf(t, coll)
		for _, o := range orders {
			want := map[string]int{"<": -1, "=": 0, ">": 1}[o.op]
			if got := compareVersions(o.left, o.right, f); got != want {
				t.Errorf("%s: compare(%q, %q) = %d, want %d", coll, o.left, o.right, got, want)
			}
			if got := compareVersions(o.right, o.left, f); got != -want {
				t.Errorf("%s: compare(%q, %q) = %d, want %d", coll, o.right, o.left, got, -want)
			}
		}
	}
}

// The collations and version_compare give the same answers through SQL.
func TestVersionCollationsInSQL(t *testing.T) {
	e := fnEngine(t)
	flavorArg := map[string]string{"version": "", "version_arch": ", 'ARCH'", "version_dpkg": ", 'DPKG'", "version_rhel": ", 'RHEL'"}
	var cases []sqlCase
	for coll, orders := range osqueryVersionOrders {
		for _, o := range orders {
			want := map[string]int64{"<": -1, "=": 0, ">": 1}[o.op]
			cases = append(cases,
				sqlCase{fmt.Sprintf("'%s' %s '%s' COLLATE %s", o.left, o.op, o.right, strings.ToUpper(coll)), int64(1), ""},
				sqlCase{fmt.Sprintf("'%s' %s '%s' COLLATE %s", o.right, map[string]string{"<": ">", "=": "=", ">": "<"}[o.op], o.left, coll), int64(1), ""},
				sqlCase{fmt.Sprintf("version_compare('%s', '%s'%s)", o.left, o.right, flavorArg[coll]), want, ""},
			)
		}
	}
	runCases(t, e, cases)
}

func TestVersionCollationOrderBy(t *testing.T) {
	e := fnEngine(t)
	values := "('1.10'), ('1.9'), ('1.2'), ('1.2.1'), ('2.0'), ('10.0'), ('1.0'), ('')"
	for _, c := range []struct{ query, want string }{
		{"SELECT v FROM (SELECT column1 AS v FROM (VALUES " + values + ")) ORDER BY v COLLATE version",
			",1.0,1.2,1.2.1,1.9,1.10,2.0,10.0"},
		{"SELECT column1 FROM (VALUES " + values + ") ORDER BY column1 COLLATE version DESC",
			"10.0,2.0,1.10,1.9,1.2.1,1.2,1.0,"},
		{"SELECT column1 FROM (VALUES " + values + ") WHERE column1 < '1.2' COLLATE version ORDER BY column1 COLLATE version",
			",1.0"},
		{"SELECT column1 FROM (VALUES ('1:1.0'), ('2.0'), ('1.0~rc1'), ('1.0')) ORDER BY column1 COLLATE version_rhel",
			"1.0~rc1,1.0,2.0,1:1.0"},
		{"SELECT max(column1 COLLATE version_dpkg) FROM (VALUES ('1.9.9-1ubuntu2.4'), ('1.9.9-1ubuntu2.10'), ('1.9.9-1ubuntu2.3'))",
			"1.9.9-1ubuntu2.10"},
	} {
		_, rows, err := e.QueryAll(context.Background(), c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprint(r[0]))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.query, strings.Join(got, ","), c.want)
		}
	}
}

func TestVersionCompareAntisymmetric(t *testing.T) {
	samples := []string{"", "0", "1", "1.0", "1.0.0", "1:1.0", "1.0-1", "1.0~rc1", "1.0^1", "1.0a", "1.0+b",
		"a", "~", "-", "^", ".", ":", "1..0", "1.0-", "2:", ":1", "1.01", "1.1", "1.10", "10", "ü", "\xff", "1.0\x80"}
	for _, c := range versionCollations {
		for _, a := range samples {
			for _, b := range samples {
				x, y := compareVersions(a, b, c.flavor), compareVersions(b, a, c.flavor)
				if x != -y || (a == b && x != 0) {
					t.Errorf("%s: compare(%q, %q) = %d but compare(%q, %q) = %d", c.name, a, b, x, b, a, y)
				}
			}
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, orders := range osqueryVersionOrders {
		for _, o := range orders {
			f.Add(o.left, o.right)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, c := range versionCollations {
			x, y := compareVersions(a, b, c.flavor), compareVersions(b, a, c.flavor)
			if x < -1 || x > 1 {
				t.Fatalf("%s: compare(%q, %q) = %d", c.name, a, b, x)
			}
			if x != -y {
				t.Fatalf("%s: compare(%q, %q) = %d but compare(%q, %q) = %d", c.name, a, b, x, b, a, y)
			}
			if compareVersions(a, a, c.flavor) != 0 {
				t.Fatalf("%s: compare(%q, %q) != 0", c.name, a, a)
			}
		}
	})
}
