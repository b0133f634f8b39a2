package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseGroupNamesForSuid(t *testing.T) {
	in := strings.Join([]string{
		"root:x:0:",
		"shadow:x:42:",
		"# a comment",
		"",
		"+nisgroup",
		"staff:x:50:alice,bob",
		"dup:x:50:",            // a second name for gid 50: the first wins
		"broken:x:notanumber:", // skipped
		"neg:x:-1:",            // skipped
		"short:x",              // skipped
		":x:7:",                // no name: skipped
		"crlf:x:60:\r",
		"nomembers:x:70",
	}, "\n")
	got, err := parseGroupNamesForSuid(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{0: "root", 42: "shadow", 50: "staff", 60: "crlf", 70: "nomembers"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSuidBinPermissions(t *testing.T) {
	for mode, want := range map[uint32]string{0o100755: "", 0o104755: "S", 0o102755: "G", 0o106755: "SG", 0o4000: "S"} {
		if got := suidBinPermissions(mode); got != want {
			t.Errorf("suidBinPermissions(%o) = %q, want %q", mode, got, want)
		}
	}
	names := map[int64]string{0: "root"}
	if got := suidBinName(names, 0); got != "root" {
		t.Errorf("got %q", got)
	}
	if got := suidBinName(names, 4242); got != "4242" {
		t.Errorf("unnamed id: got %q, want the number", got)
	}
}

func FuzzParseGroupNamesForSuid(f *testing.F) {
	f.Add("root:x:0:\nstaff:x:50:alice\n")
	f.Add(":::\n\n#\n+\nx:y:99999999999999999999:\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseGroupNamesForSuid(strings.NewReader(s))
		if err != nil {
			return
		}
		for gid, name := range got {
			if gid < 0 || name == "" || strings.Contains(name, ":") {
				t.Fatalf("bad entry %d=%q", gid, name)
			}
		}
	})
}
