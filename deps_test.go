package osaudit_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/osaudit/osaudit"

// deps lists the packages pkg links, with `go list -deps`.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func isStd(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }

// TestLayering enforces the dependency rules of docs/design.md.
func TestLayering(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, p := range deps(t, module) {
		if !isStd(p) && p != module {
			t.Errorf("the root package imports %s; it may import only the standard library", p)
		}
	}
	sqlOrHTTP := []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", "net/http"}
	for _, pkg := range []string{"table", "tables", "hostfs", "diff"} {
		if !exists(t, module+"/"+pkg) {
			continue
		}
		for _, p := range deps(t, module+"/"+pkg) {
			for _, bad := range sqlOrHTTP {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("%s links %s; tables and their helpers import no SQL driver and no HTTP", pkg, p)
				}
			}
		}
	}
	serverOnly := []string{"/web", "/sqlite", "/postgres", "/sink"}
	for _, p := range deps(t, module+"/cmd/osaudit") {
		for _, bad := range serverOnly {
			if p == module+bad || strings.HasPrefix(p, module+bad+"/") {
				t.Errorf("the agent links %s; it must not link the server's web, stores or sinks", p)
			}
		}
	}
	for _, sink := range listPackages(t, module+"/sink/...") {
		for _, p := range deps(t, sink) {
			for _, bad := range []string{"/web", "/sqlite", "/postgres"} {
				if p == module+bad || strings.HasPrefix(p, module+bad+"/") {
					t.Errorf("sink %s links %s; sinks never import the web or a store", sink, p)
				}
			}
		}
	}
}

func exists(t *testing.T, pkg string) bool {
	return exec.Command("go", "list", pkg).Run() == nil
}

func listPackages(t *testing.T, pattern string) []string {
	out, err := exec.Command("go", "list", pattern).Output()
	if err != nil {
		return nil // no such packages yet
	}
	return strings.Fields(string(out))
}
