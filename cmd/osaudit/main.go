// Command osaudit is the osaudit agent: an interactive SQL shell over the
// host's tables (like osqueryi), one-shot queries, the table reference, and
// the daemon (like osqueryd).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/osaudit/osaudit"
	_ "github.com/osaudit/osaudit/tables"
)

const usage = `osaudit %s: SQL over the host's state, compatible with osquery.

Usage:
  osaudit shell  [flags] [SQL]   interactive shell (like osqueryi); SQL or stdin runs non-interactively
  osaudit query  [flags] SQL     run one statement and print its rows
  osaudit tables [--json]        list tables with their columns
  osaudit daemon [flags]         run scheduled queries and packs (like osqueryd); osquery's flags and --flagfile
  osaudit version                print the version

Common flags:
  --root DIR             query the host tree at DIR (proc/, sys/, etc/...) instead of this machine
  --query_timeout N      seconds before a query is stopped (default 10, 0: no limit)
  --json --csv --line --list   output format (default: pretty table)
  --verbose              log informational messages

Run 'osaudit <command> --help' for all flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one osaudit command and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, osaudit.Version)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "shell":
		return runShell(ctx, rest, stdin, stdout, stderr)
	case "query":
		return runQuery(ctx, rest, stdout, stderr)
	case "tables":
		return runTables(rest, stdout, stderr)
	case "daemon":
		return runDaemon(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "osaudit version %s\n", osaudit.Version)
		return 0
	case "help", "--help", "-h", "-help":
		fmt.Fprintf(stdout, usage, osaudit.Version)
		return 0
	}
	fmt.Fprintf(stderr, "osaudit: unknown command %q\n\n", cmd)
	fmt.Fprintf(stderr, usage, osaudit.Version)
	return 2
}
