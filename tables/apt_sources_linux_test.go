package tables

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func aptCacheName(s aptSource) string { return s.listNames()[0] }

func TestParseAptSourceLine(t *testing.T) {
	// The cases of osquery's own apt_sources tests.
	cases := []struct{ in, baseURI, name, cache string }{
		{"deb [arch=amd64] https://pkg.osquery.io/deb bionic main", "https://pkg.osquery.io/deb", "pkg.osquery.io/deb bionic", "pkg.osquery.io_deb_dists_bionic"},
		{"      deb [arch=amd64] https://pkg.osquery.io/deb bionic main", "https://pkg.osquery.io/deb", "pkg.osquery.io/deb bionic", "pkg.osquery.io_deb_dists_bionic"},
		{"deb https://pkg.osquery.io apt/source/", "https://pkg.osquery.io", "pkg.osquery.io apt/source/", "pkg.osquery.io_apt_source"},
		{"deb https://pkg.osquery.io/// apt/source/", "https://pkg.osquery.io", "pkg.osquery.io apt/source/", "pkg.osquery.io_apt_source"},
		{"deb https://pkg.osquery.io deb main # this is a trailing comment", "https://pkg.osquery.io", "pkg.osquery.io deb", "pkg.osquery.io_dists_deb"},
		{"deb https://pkg.osquery.io deb", "https://pkg.osquery.io", "pkg.osquery.io deb", "pkg.osquery.io_dists_deb"},
		{"deb [arch=amd64 trusted=yes,no] https://pkg.osquery.io deb main", "https://pkg.osquery.io", "pkg.osquery.io deb", "pkg.osquery.io_dists_deb"},
		{"deb https://pkg.osquery.io deb main universe multiverse restricted", "https://pkg.osquery.io", "pkg.osquery.io deb", "pkg.osquery.io_dists_deb"},
		{"deb ftp://pkg.osquery.io deb main universe multiverse restricted", "ftp://pkg.osquery.io", "pkg.osquery.io deb", "pkg.osquery.io_dists_deb"},
		{"deb http://deb.debian.org/debian bookworm main\r", "http://deb.debian.org/debian", "deb.debian.org/debian bookworm", "deb.debian.org_debian_dists_bookworm"},
	}
	for _, c := range cases {
		s, ok := parseAptSourceLine(c.in)
		if !ok {
			t.Errorf("%q: not parsed", c.in)
			continue
		}
		if s.baseURI != c.baseURI || s.name != c.name || aptCacheName(s) != c.cache {
			t.Errorf("%q = %q, %q, %q; want %q, %q, %q", c.in, s.baseURI, s.name, aptCacheName(s), c.baseURI, c.name, c.cache)
		}
	}
	bad := []string{
		"debby [arch=amd64] https://pkg.osquery.io/bionic something main",
		"debby [arch=amd64] https://pkg.osquery.io/deb deb main",
		"# this is entirely a comment line",
		"   # comment https://pkg.osquery.io",
		"",
		"deb [arch=amd64] https:/pkg.osquery.io/deb deb main",
		"deb pkg.osquery.io",
		"deb [some=stuff more=stuff and=more] pkg.osquery.io",
		"deb [some=stuff more=stuff and=more] https://pkg.osquery.io",
		"deb [arch=amd64] https:// deb main",
		"deb https://pkg.osquery.io # deb main",
		"deb [option=1 options=2   ]",
		"deb [arch=amd64 trusted=yes,no https://pkg.osquery.io deb main",
		"deb-src http://deb.debian.org/debian bookworm main",
		"deb\thttp://deb.debian.org/debian bookworm main",
		"deb cdrom:[Debian GNU/Linux 12.11.0 _Bookworm_]/ bookworm contrib main",
	}
	for _, in := range bad {
		if s, ok := parseAptSourceLine(in); ok {
			t.Errorf("%q parsed as %+v; want it skipped", in, s)
		}
	}
}

func TestParseAptDeb822(t *testing.T) {
	type src struct{ BaseURI, Name, Cache string }
	cases := []struct {
		name  string
		in    string
		want  []src
		errs  []error
		names []string
	}{
		{
			name: "osquery's cases",
			in: "Types: deb \nURIs: https://pkg.osquery.io/deb \nInvalidOption:\n# Commented Line\nSuites: noble \nComponents: main \n" +
				"Signed-By: /usr/share/keyrings/osquery-archive-keyring.gpg\n\n" +
				"Types:          deb \nURIs:          https://pkg.osquery.io/deb \nSuites: noble/other \n\n" +
				"Types: deb # commented line \nURIs: https://pkg.osquery.io//// \n# Entire commented line \nSuites: noble \nComponents: main # trailing comment \n\n" +
				"Types: deb \nURIs: ftp://pkg.osquery.io \nSuites: noble \n",
			want: []src{
				{"https://pkg.osquery.io/deb", "pkg.osquery.io/deb noble", "pkg.osquery.io_deb_dists_noble"},
				{"https://pkg.osquery.io/deb", "pkg.osquery.io/deb noble/other", "pkg.osquery.io_deb_noble_other"},
				{"https://pkg.osquery.io", "pkg.osquery.io noble", "pkg.osquery.io_dists_noble"},
				{"ftp://pkg.osquery.io", "pkg.osquery.io noble", "pkg.osquery.io_dists_noble"},
			},
		},
		{
			name: "several URIs and suites",
			in:   "Types: deb deb-src\nURIs: http://a.example/debian example.com http://b.example/debian/\nSuites: bookworm bookworm-updates\n",
			want: []src{
				{"http://a.example/debian", "a.example/debian bookworm", "a.example_debian_dists_bookworm"},
				{"http://a.example/debian", "a.example/debian bookworm-updates", "a.example_debian_dists_bookworm-updates"},
				{"http://b.example/debian", "b.example/debian bookworm", "b.example_debian_dists_bookworm"},
				{"http://b.example/debian", "b.example/debian bookworm-updates", "b.example_debian_dists_bookworm-updates"},
			},
		},
		{
			name: "skipped stanzas",
			in: "\n\nURIs: http://example.com\n\n" +
				"Suites: main\n\n" +
				"Types: deb-src\nURIs: http://example.com\nSuites: main\n\n" +
				"URIs: http://example.com\nSuites: main\nEnabled: no\n\n" +
				"URIs: http://example.com\nSuites: main\nEnabled: off\n\n" +
				"URIs: http://enabled.example\nSuites: main\nEnabled: yes\n",
			want: []src{{"http://enabled.example", "enabled.example main", "enabled.example_dists_main"}},
			errs: []error{errAptNoSuites, errAptNoURIs, errAptNotDeb},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sources, errs := parseAptDeb822(strings.NewReader(c.in))
			var got []src
			for _, s := range sources {
				got = append(got, src{s.baseURI, s.name, aptCacheName(s)})
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			if len(errs) != len(c.errs) {
				t.Fatalf("errors = %v, want %v", errs, c.errs)
			}
			for i := range errs {
				if !errors.Is(errs[i], c.errs[i]) {
					t.Errorf("error %d = %v, want %v", i, errs[i], c.errs[i])
				}
			}
		})
	}
}

func TestAptListNames(t *testing.T) {
	cases := []struct {
		line string
		want []string
	}{
		{"deb http://deb.debian.org/debian bookworm main", []string{"deb.debian.org_debian_dists_bookworm"}},
		{"deb https://deb.nodesource.com/node_20.x nodistro main", []string{"deb.nodesource.com_node_20.x_dists_nodistro", "deb.nodesource.com_node%5f20.x_dists_nodistro"}},
		{"deb https://user:secret@repo.example:8443/apt/ stable/ ", []string{"user:secret@repo.example:8443_apt_dists_stable_", "repo.example:8443_apt_stable"}},
		{"deb https://repo.example/apt/ / ", []string{"repo.example_apt"}},
		{"deb http://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu jammy main", []string{"ppa.launchpadcontent.net_deadsnakes_ppa_ubuntu_dists_jammy"}},
		{"deb http://mirror.example/~user/repo ./", []string{"mirror.example_~user_repo_dists_._", "mirror.example_%7euser_repo_."}},
	}
	for _, c := range cases {
		s, ok := parseAptSourceLine(c.line)
		if !ok {
			t.Fatalf("%q not parsed", c.line)
		}
		if diff := cmp.Diff(c.want, s.listNames()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.line, diff)
		}
	}
}

func TestParseAptRelease(t *testing.T) {
	in := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nLabel: Debian\nVersion: 12.11\nCodename: bookworm\n" +
		"Date: Sat, 17 May 2025 09:46:31 UTC\nArchitectures: all amd64\nComponents: main contrib\nVersion: 1:2\nOrigin:\n" +
		"SHA256:\n 3957f28d  738242 contrib/Contents-all\n-----BEGIN PGP SIGNATURE-----\nCodename: signed\n-----END PGP SIGNATURE-----\n"
	got, err := parseAptRelease(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Origin": "Debian", "Version": "12.11", "Codename": "bookworm", "Architectures": "all amd64", "Components": "main contrib"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPkgSplit(t *testing.T) {
	cases := []struct {
		in, delims string
		want       []string
	}{
		{"a b  c", " ", []string{"a", "b", "c"}},
		{" \t a ", " ", []string{"", "a"}}, // a tab-only piece survives as "", as in osquery
		{"Origin: Debian", ":", []string{"Origin", "Debian"}},
		{"Date: Sat, 17 May 2025 09:46:31 UTC", ":", []string{"Date", "Sat, 17 May 2025 09", "46", "31 UTC"}},
		{"", ":", nil},
	}
	for _, c := range cases {
		if got := pkgSplit(c.in, c.delims); !cmp.Equal(got, c.want) {
			t.Errorf("pkgSplit(%q, %q) = %q, want %q", c.in, c.delims, got, c.want)
		}
	}
}

func FuzzParseAptSources(f *testing.F) {
	f.Add("deb [arch=amd64] https://pkg.osquery.io/deb bionic main\ndeb https://x/ ./\n")
	f.Add("Types: deb\nURIs: http://a/ b\nSuites: s/x ./\n\nURIs: http://\nSuites: a")
	f.Fuzz(func(t *testing.T, in string) {
		list, _ := parseAptSourcesList(strings.NewReader(in))
		for _, s := range list {
			if len(s.listNames()) == 0 {
				t.Fatalf("source without a cache name: %+v", s)
			}
		}
		sources, _ := parseAptDeb822(strings.NewReader(in))
		for _, s := range sources {
			if len(s.listNames()) == 0 {
				t.Fatalf("source without a cache name: %+v", s)
			}
		}
		_, _ = parseAptRelease(strings.NewReader(in))
	})
}
