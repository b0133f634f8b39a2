package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func yumDump(c yumConfig) []string {
	var out []string
	for _, s := range c.sections {
		line := "[" + s.name + "]"
		for i := range s.keys {
			line += " " + s.keys[i] + "=" + s.vals[i]
		}
		out = append(out, line)
	}
	return out
}

func TestParseYumConf(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		want     []string
		reposdir string
		problems int
	}{
		{name: "empty", in: ""},
		{
			// osquery's own test case.
			name: "osquery",
			in: "\n# Some comment\n\n[main]\ncachedir=/var/cache/yum\n# This should override the default\nreposdir=/etc/local/yum.repos.d\n\n" +
				"[personal]\nbaseurl=http://my.repo.url/1/v2/3\nenabled=1\nname=My personal repo\nreposdir=/ignored/path\nmirrorlist=http://url.to.mirror.list\n\n" +
				"[math]\nbaseurl=http://some.math.repo.url\nenabled=0\nname=Mathematic library repo\ngpgcheck=0\ngpgkey=ftp://repokeys/mykey\nmirrorlist=http://url.to.mirror.list\n",
			want: []string{
				"[main] cachedir=/var/cache/yum reposdir=/etc/local/yum.repos.d",
				"[personal] baseurl=http://my.repo.url/1/v2/3 enabled=1 name=My personal repo reposdir=/ignored/path mirrorlist=http://url.to.mirror.list",
				"[math] baseurl=http://some.math.repo.url enabled=0 name=Mathematic library repo gpgcheck=0 gpgkey=ftp://repokeys/mykey mirrorlist=http://url.to.mirror.list",
			},
			reposdir: "/etc/local/yum.repos.d",
		},
		{
			name: "spaces, inline semicolons, continuation lines, CRLF",
			in:   "  [ repo one ]  \r\n  name = A ; B  \r\ngpgkey=k1\r\n\tk2\r\n  k3\r\n; comment\r\nenabled=1\r\n",
			want: []string{"[repo one] name=A ; B gpgkey=k1 k2 k3 enabled=1"},
		},
		{
			name: "malformed lines are skipped",
			in: "orphan=1\n[a]\nno equals here\n=novalue\nx=1\nx=2\n[broken\ny=1\n[a]\nz=3\n[b]\nname=B\n" +
				strings.Repeat("q", pkgLineMax+1) + "\n",
			want:     []string{"[a] x=1 z=3", "[b] name=B"},
			problems: 8,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := parseYumConf(strings.NewReader(c.in))
			if diff := cmp.Diff(c.want, yumDump(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if rd, _ := got.reposdir(); rd != c.reposdir {
				t.Errorf("reposdir = %q, want %q", rd, c.reposdir)
			}
			if len(got.problems) != c.problems {
				t.Errorf("problems = %q, want %d", got.problems, c.problems)
			}
		})
	}
}

func TestYumReposDirs(t *testing.T) {
	got := yumReposDirs("/etc/yum.repos.d, /etc/yum/repos.d /opt/repos")
	want := []string{"/etc/yum.repos.d", "/etc/yum/repos.d", "/opt/repos"}
	if !cmp.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzParseYumConf(f *testing.F) {
	f.Add("[main]\nreposdir=/x\n[r]\nname=R\ngpgkey=a\n b\n")
	f.Add("[\n]\n=\n x\n[a]\n[a]\nk=v\nk=w\n")
	f.Fuzz(func(t *testing.T, in string) {
		c := parseYumConf(strings.NewReader(in))
		for _, s := range c.sections {
			if len(s.keys) != len(s.vals) {
				t.Fatalf("section %q: %d keys, %d values", s.name, len(s.keys), len(s.vals))
			}
		}
	})
}
