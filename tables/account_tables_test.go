package tables_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

// acctQueryStrings runs q and renders each row as "v1|v2|...", in result order.
func acctQueryStrings(t *testing.T, e *engine.Engine, q string) []string {
	t.Helper()
	_, rows, err := e.QueryAll(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, r := range rows {
		var parts []string
		for _, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if v == nil {
				v = "NULL"
			}
			parts = append(parts, fmt.Sprint(v))
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// TestAccountTablesConstraints checks the account and per-user tables on the
// fixture host with the constraints they push down: other users than the
// current one (alice, 1000) need a uid constraint, as in osquery.
func TestAccountTablesConstraints(t *testing.T) {
	e, err := engine.New(fixtureRoot("debian12"), engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tests := []struct {
		query string
		want  []string
	}{
		{"SELECT uid, username, shell FROM users WHERE username = 'bob'", []string{"1001|bob|/bin/zsh"}},
		{"SELECT username FROM users WHERE uid = 1001", []string{"bob"}},
		{"SELECT username FROM users WHERE uid IN (0, 104) ORDER BY uid", []string{"root", "sshd"}},
		{"SELECT count(*) FROM users WHERE uid = 'root'", []string{"0"}},
		{"SELECT username, include_remote FROM users WHERE uid = 0 AND include_remote = 1", []string{"root|1"}},
		{"SELECT groupname FROM groups WHERE gid = 998", []string{"docker"}},
		{"SELECT gid FROM user_groups WHERE uid = 1001 ORDER BY gid", []string{"998", "1001"}},
		{"SELECT password_status, hash_alg FROM shadow WHERE username = 'bob'", []string{"locked|NULL"}},
		{"SELECT count(*) FROM shell_history", []string{"12"}},
		{"SELECT time, command FROM shell_history WHERE uid = 1001", []string{
			"1768463050|cd ~/projects", "1768463055|python3 -m http.server 8080", "1768463100|for f in *.log; do\\",
			"0|gzip $f\\", "0|done", "0|echo not-extended", "1768463200|ssh bastion"}},
		{"SELECT u.username, count(*) FROM users u JOIN shell_history h USING (uid) GROUP BY u.username ORDER BY 1", []string{
			"alice|12", "bob|7", "root|4"}},
		{"SELECT options, algorithm, comment FROM authorized_keys WHERE uid = 1001", []string{"no-port-forwarding,no-pty|ssh-ed25519|alice@workstation"}},
		{"SELECT count(*) FROM authorized_keys WHERE uid = 0", []string{"1"}},
		{"SELECT key FROM known_hosts WHERE uid = 1001", []string{
			"git.internal.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJ3u4Fu3RRbqVRgTi4bR2t1a0emPMnFDCFVo9q86CjN"}},
		{"SELECT path, encrypted, key_type, key_length, key_security_bits FROM user_ssh_keys WHERE uid IN (0, 1001) ORDER BY uid", []string{
			"/root/.ssh/id_ecdsa|0|ecdsa-p384|384|192", "/home/bob/.ssh/id_ed25519|1|ed25519|256|128"}},
		{"SELECT key_type FROM user_ssh_keys WHERE path = '/home/alice/.ssh/id_rsa'", []string{"rsa"}},
		{"SELECT count(*) FROM user_ssh_keys WHERE path = '/home/alice/.ssh/old/id_ed25519_2019'", []string{"0"}},
		{"SELECT uid, block, option FROM ssh_configs WHERE uid = 1001", []string{
			"1001|host *|serveraliveinterval 30", "1001|host *|controlmaster auto", "1001|host *|controlpath ~/.ssh/cm-%r@%h:%p"}},
		{"SELECT uid, count(*) FROM ssh_configs WHERE uid IN (0, 1001) GROUP BY uid", []string{"0|4", "1001|3"}},
		{"SELECT count(*) FROM users CROSS JOIN ssh_configs USING (uid)", []string{"18"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(acctQueryStrings(t, e, tt.query), tt.want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", tt.query, diff)
		}
	}
}

// TestUserSSHKeysPathReadsOneFile checks that a path constraint reads only
// that file.
func TestUserSSHKeysPathReadsOneFile(t *testing.T) {
	var mu sync.Mutex
	var opened []string
	root := fixtureRoot("debian12", hostfs.WithTrace(func(op, p string) {
		mu.Lock()
		defer mu.Unlock()
		if op == "open" && strings.Contains(p, "/.ssh/") {
			opened = append(opened, p)
		}
	}))
	e, err := engine.New(root, engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	acctQueryStrings(t, e, "SELECT * FROM user_ssh_keys WHERE path = '/home/alice/.ssh/id_ecdsa'")
	if diff := cmp.Diff(opened, []string{"/home/alice/.ssh/id_ecdsa"}); diff != "" {
		t.Errorf("files opened (-got +want):\n%s", diff)
	}
}

// TestSudoersIncludeLoop checks that a sudoers file including itself stops
// at sudo's nesting limit, with one row per level as in osquery.
func TestSudoersIncludeLoop(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "sudoers"), []byte("root ALL=(ALL) ALL\n#include sudoers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(hostfs.Dir(dir), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := acctQueryStrings(t, e, "SELECT header, count(*) FROM sudoers GROUP BY header ORDER BY header")
	if diff := cmp.Diff(got, []string{"#include|128", "root|128"}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}

// TestSudoersIncludeBranching checks that include directories that include
// themselves from several files stop at the file budget.
func TestSudoersIncludeBranching(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "etc", "sudoers.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	loop := []byte("@includedir /etc/sudoers.d\n")
	for _, f := range []string{filepath.Join(dir, "etc", "sudoers"), filepath.Join(d, "a"), filepath.Join(d, "b")} {
		if err := os.WriteFile(f, loop, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := engine.New(hostfs.Dir(dir), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := acctQueryStrings(t, e, "SELECT count(*) FROM sudoers")
	if diff := cmp.Diff(got, []string{"4096"}); diff != "" {
		t.Errorf("(-got +want):\n%s", diff)
	}
}
