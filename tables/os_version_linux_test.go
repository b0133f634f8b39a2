package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want osVersion
	}{
		{"debian", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`, osVersion{"name": "Debian GNU/Linux", "_id": "12", "major": "12", "version": "12 (bookworm)", "codename": "bookworm", "platform": "debian"}},
		{"ubuntu", `NAME="Ubuntu"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
ID=ubuntu
ID_LIKE=debian
VERSION_ID="22.04"
UBUNTU_CODENAME=jammy
VERSION_CODENAME=jammy
`, osVersion{"name": "Ubuntu", "version": "22.04.3 LTS (Jammy Jellyfish)", "platform": "ubuntu", "platform_like": "debian", "_id": "22.04", "major": "22", "minor": "04", "codename": "jammy"}},
		{"version id with four parts", `VERSION_ID=1.2.3.4`, osVersion{"_id": "1.2.3.4", "major": "1", "minor": "2", "patch": "3.4"}},
		{"odd lines", "# comment\n\nNOEQUALS\nID=\n  ID = fedora  \nNAME=\"unterminated\nBUILD_ID='x'\nVERSION=\"\n",
			osVersion{"platform": "fedora", "name": "unterminate", "build": "'x'", "version": ""}},
		{"value with equals", `NAME="a=b"`, osVersion{"name": "a=b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := osVersion{}
			parseOSRelease([]byte(tt.in), got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyReleaseFile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		base osVersion
		want osVersion
	}{
		{"centos 6", "CentOS release 6.10 (Final)\n", osVersion{"platform": ""},
			osVersion{"name": "CentOS", "major": "6", "minor": "10", "patch": "0", "version": "CentOS release 6.10 (Final)", "build": "", "platform": "centos"}},
		{"rhel 7", "Red Hat Enterprise Linux Server release 7.9 (Maipo)", osVersion{"platform": "rhel"},
			osVersion{"name": "Red Hat Enterprise Linux Server", "major": "7", "minor": "9", "patch": "0", "version": "Red Hat Enterprise Linux Server release 7.9 (Maipo)", "build": "", "platform": "rhel"}},
		{"centos 7 with patch", "CentOS Linux release 7.9.2009 (Core)", osVersion{"platform": "rhel"},
			osVersion{"name": "CentOS Linux", "major": "7", "minor": "9", "patch": "2009", "version": "CentOS Linux release 7.9.2009 (Core)", "build": "", "platform": "rhel"}},
		{"no match", "garbage", osVersion{"platform": "rhel"}, osVersion{"version": "garbage", "build": "", "platform": "rhel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			applyReleaseFile(tt.in, tt.base)
			if diff := cmp.Diff(tt.want, tt.base); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOSVersionOnTree(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{
		"etc/os-release":     "NAME=\"Rocky Linux\"\nVERSION=\"8.9 (Green Obsidian)\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.9\"\n",
		"etc/redhat-release": "Rocky Linux release 8.9 (Green Obsidian)\n",
		".kernel/uname":      string(sysUnameBytes("Linux", "r", "4.18", "#1", "x86_64", "")),
	})
	rows := sysQuery(t, sysRoot(dir), "SELECT name, version, major, minor, patch, build, platform, platform_like, codename, arch, pid_with_namespace FROM os_version")
	want := []map[string]any{{
		"name": "Rocky Linux", "version": "Rocky Linux release 8.9 (Green Obsidian)", "major": int64(8), "minor": int64(9),
		"patch": int64(0), "build": "", "platform": "rhel", "platform_like": "rhel", "codename": nil, "arch": "x86_64",
		"pid_with_namespace": int64(0),
	}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Only uname: osquery's defaults.
	dir = sysWriteTree(t, map[string]string{".kernel/uname": string(sysUnameBytes("Linux", "r", "6", "#1", "aarch64", ""))})
	rows = sysQuery(t, sysRoot(dir), "SELECT name, major, minor, patch, platform, arch FROM os_version")
	want = []map[string]any{{"name": "Unknown", "major": int64(0), "minor": int64(0), "patch": int64(0), "platform": "posix", "arch": "aarch64"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	// "08" does not convert with base 0: NULL, as in osquery.
	dir = sysWriteTree(t, map[string]string{"etc/os-release": "VERSION_ID=\"20.08\"\n"})
	rows = sysQuery(t, sysRoot(dir), "SELECT major, minor FROM os_version")
	want = []map[string]any{{"major": int64(20), "minor": nil}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("octal minor (-want +got):\n%s", diff)
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("NAME=\"Debian\"\nVERSION_ID=\"12.1.2\"\nFOO_CODENAME=x\n"))
	f.Add([]byte("=\"\n\"="))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := osVersion{}
		parseOSRelease(b, v)
		applyReleaseFile(string(b), v)
	})
}
