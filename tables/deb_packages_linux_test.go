package tables

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type debResult struct {
	St  debStanza
	Err string
}

func parseDebStatusAll(t *testing.T, in string) []debResult {
	t.Helper()
	var out []debResult
	err := parseDebStatus(strings.NewReader(in), func(st debStanza, err error) bool {
		r := debResult{St: st}
		if err != nil {
			if !errors.Is(err, errDebStanza) {
				t.Errorf("error %v does not wrap errDebStanza", err)
			}
			r.Err = err.Error()
		}
		out = append(out, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseDebStatus(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []debResult
	}{
		{
			name: "installed with epoch and revision",
			in: "Package: openssh-server\nStatus: install ok installed\nPriority: optional\nSection: net\n" +
				"Installed-Size: 1877\nMaintainer: Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>\n" +
				"Architecture: amd64\nSource: openssh\nVersion: 1:9.2p1-2+deb12u5\nDescription: secure shell\n more text: with colon\n",
			want: []debResult{{St: debStanza{line: 1, name: "openssh-server", arch: "amd64", version: "1:9.2p1-2+deb12u5",
				revision: "2+deb12u5", source: "openssh", size: "1877", maintainer: "Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>",
				section: "net", priority: "optional", want: "install", eflag: "ok", status: "installed"}}},
		},
		{
			name: "native version, zero epoch dropped, case-insensitive names",
			in: "package: base-files\nSTATUS: Install OK Installed\nPriority: Required\nVersion: 0:12.4+deb12u10\nArchitecture: amd64\n\n" +
				"Package: apache2\nStatus: deinstall ok config-files\nVersion: 2.4.62-1~deb12u2\nArchitecture: amd64\nPriority: weird\n",
			want: []debResult{
				{St: debStanza{line: 1, name: "base-files", arch: "amd64", version: "12.4+deb12u10", priority: "required",
					want: "install", eflag: "ok", status: "installed"}},
				{St: debStanza{line: 7, name: "apache2", arch: "amd64", version: "2.4.62-1~deb12u2", revision: "1~deb12u2",
					priority: "weird", want: "deinstall", eflag: "ok", status: "config-files"}},
			},
		},
		{
			name: "colon in upstream version keeps a zero epoch; no architecture",
			in:   "Package: odd\nStatus: hold reinstreq half-configured\nVersion: 0:1:2-3\n",
			want: []debResult{{St: debStanza{line: 1, name: "odd", arch: "<none>", version: "0:1:2-3", revision: "3",
				priority: "unknown", want: "hold", eflag: "reinstreq", status: "half-configured"}}},
		},
		{
			name: "no status means not installed; half-installed needs no version",
			in:   "Package: gone\nVersion: 1.0\n\nPackage: half\nStatus: install reinstreq half-installed\n",
			want: []debResult{
				{St: debStanza{line: 1, name: "gone", arch: "<none>", version: "1.0", priority: "unknown", want: "unknown", eflag: "ok", status: "not-installed"}},
				{St: debStanza{line: 4, name: "half", arch: "<none>", version: "<none>", priority: "unknown", want: "install", eflag: "reinstreq", status: "half-installed"}},
			},
		},
		{
			name: "blank lines, CRLF and whitespace-only separators",
			in:   "\n\nPackage: a\r\nStatus: install ok installed\r\nVersion: 1-1\r\nArchitecture: all\r\n \t\nPackage: b\nStatus: install ok installed\nVersion: 2\nArchitecture: all",
			want: []debResult{
				{St: debStanza{line: 3, name: "a", arch: "all", version: "1-1", revision: "1", priority: "unknown", want: "install", eflag: "ok", status: "installed"}},
				{St: debStanza{line: 8, name: "b", arch: "all", version: "2", priority: "unknown", want: "install", eflag: "ok", status: "installed"}},
			},
		},
		{
			name: "malformed stanzas are reported and skipped",
			in: "Package: nocolon\nStatus: install ok installed\nVersion 1.0-1\n\n" +
				" leading continuation\nPackage: x\n\n" +
				"Status: install ok installed\nVersion: 1\n\n" +
				"Package: dup\nVersion: 1\nVersion: 2\n\n" +
				"Package: badstatus\nStatus: install ok\nVersion: 1\n\n" +
				"Package: badword\nStatus: install fine installed\nVersion: 1\n\n" +
				"Package: noversion\nStatus: install ok installed\n\n" +
				"Package: badepoch\nStatus: install ok installed\nVersion: x:1.0\n\n" +
				"Package: emptyrev\nStatus: install ok installed\nVersion: 1.0-\n\n" +
				"Package: good\nStatus: install ok installed\nVersion: 3\nArchitecture: amd64\n",
			want: []debResult{
				{St: debStanza{line: 1}, Err: `malformed stanza: line 3 is not a "Field: value" line`},
				{St: debStanza{line: 5}, Err: "malformed stanza: continuation line 5 without a field"},
				{St: debStanza{line: 8}, Err: "malformed stanza: no Package field"},
				{St: debStanza{line: 11}, Err: "malformed stanza: duplicate Version field at line 13"},
				{St: debStanza{line: 15}, Err: `malformed stanza: badstatus: Status "install ok" is not three words`},
				{St: debStanza{line: 19}, Err: `malformed stanza: badword: unknown Status "install fine installed"`},
				{St: debStanza{line: 23}, Err: "malformed stanza: noversion: no Version field"},
				{St: debStanza{line: 26}, Err: `malformed stanza: badepoch: version "x:1.0" has a bad epoch`},
				{St: debStanza{line: 30}, Err: `malformed stanza: emptyrev: version "1.0-" has an empty revision`},
				{St: debStanza{line: 34, name: "good", arch: "amd64", version: "3", priority: "unknown", want: "install", eflag: "ok", status: "installed"}},
			},
		},
		{
			name: "very long used line",
			in:   "Package: long\nStatus: install ok installed\nVersion: 1\nMaintainer: " + strings.Repeat("m", pkgLineMax+10) + "\n\nPackage: next\nStatus: install ok installed\nVersion: 1\n",
			want: []debResult{
				{St: debStanza{line: 1}, Err: "malformed stanza: line 4 longer than 65536 bytes"},
				{St: debStanza{line: 6, name: "next", arch: "<none>", version: "1", priority: "unknown", want: "install", eflag: "ok", status: "installed"}},
			},
		},
		{
			name: "very long unused line is fine",
			in:   "Package: long\nStatus: install ok installed\nVersion: 1\nDescription: " + strings.Repeat("d", pkgLineMax*3) + "\n",
			want: []debResult{{St: debStanza{line: 1, name: "long", arch: "<none>", version: "1", priority: "unknown", want: "install", eflag: "ok", status: "installed"}}},
		},
		{name: "empty", in: "", want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseDebStatusAll(t, c.in)
			if diff := cmp.Diff(got, c.want, cmp.AllowUnexported(debStanza{})); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestDebVersion(t *testing.T) {
	cases := []struct {
		in, version, revision string
		bad                   bool
	}{
		{in: "1.0", version: "1.0"},
		{in: "1.0-1", version: "1.0-1", revision: "1"},
		{in: "1.0-1-2", version: "1.0-1-2", revision: "2"},
		{in: "2:9.0.1378-2+deb12u2", version: "2:9.0.1378-2+deb12u2", revision: "2+deb12u2"},
		{in: "0:1.0-1", version: "1.0-1", revision: "1"},
		{in: "0:1:0-1", version: "0:1:0-1", revision: "1"},
		{in: "", bad: true},
		{in: ":1.0", bad: true},
		{in: "1:", bad: true},
		{in: "-1", bad: true},
		{in: "1.0 1", bad: true},
		{in: "99999999999:1", bad: true},
	}
	for _, c := range cases {
		v, r, err := debVersion(c.in)
		if (err != nil) != c.bad || v != c.version || r != c.revision {
			t.Errorf("debVersion(%q) = %q, %q, %v; want %q, %q, bad=%v", c.in, v, r, err, c.version, c.revision, c.bad)
		}
	}
}

func FuzzParseDebStatus(f *testing.F) {
	f.Add("Package: a\nStatus: install ok installed\nVersion: 1:2-3\nArchitecture: amd64\nDescription: x\n y\n\nPackage: b\n")
	f.Add("Package: x\n continuation\nVersion 1\n\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		_ = parseDebStatus(strings.NewReader(in), func(st debStanza, err error) bool {
			if err == nil && st.name == "" {
				t.Fatalf("stanza without a name and without an error: %+v", st)
			}
			return true
		})
	})
}
