package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEtcGroup(t *testing.T) {
	in := strings.Join([]string{
		"root:x:0:",
		"# a comment",
		"",
		"adm:x:4:syslog,alice",
		"+nisgroup::::",
		"-excluded",
		"nomembers:x:50",
		"badgid:x:abc:alice",
		"toolarge:x:4294967296:",
		"empty:x::",
		":x:60:",
		"docker:x:998:alice,,bob\r",
		"short:x",
		"colon:x:70:a:b",
	}, "\n")
	got, err := parseEtcGroup(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []etcGroupEntry{
		{Name: "root", Password: "x", GID: 0},
		{Name: "adm", Password: "x", GID: 4, Members: []string{"syslog", "alice"}},
		{Name: "nomembers", Password: "x", GID: 50},
		{Name: "docker", Password: "x", GID: 998, Members: []string{"alice", "bob"}},
		{Name: "colon", Password: "x", GID: 70, Members: []string{"a:b"}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("parseEtcGroup (-got +want):\n%s", diff)
	}
}

func TestUserGroupList(t *testing.T) {
	groups := []etcGroupEntry{
		{Name: "alice", GID: 1000, Members: []string{"alice"}},
		{Name: "adm", GID: 4, Members: []string{"alice"}},
		{Name: "sudo", GID: 27, Members: []string{"bob", "alice"}},
		{Name: "other", GID: 30, Members: []string{"alicia"}},
	}
	got := userGroupList(passwdEntry{Name: "alice", UID: 1000, GID: 1000}, groups)
	if diff := cmp.Diff(got, []int64{1000, 4, 27}); diff != "" {
		t.Errorf("userGroupList (-got +want):\n%s", diff)
	}
}

func FuzzParseEtcGroup(f *testing.F) {
	f.Add("root:x:0:\nadm:x:4:a,b\n")
	f.Add("+::\n:x::\nbad")
	f.Fuzz(func(t *testing.T, s string) {
		entries, _ := parseEtcGroup(strings.NewReader(s))
		for _, e := range entries {
			if e.GID < 0 || e.GID > 1<<32-1 || e.Name == "" {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
