package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/osaudit/osaudit/agent"
	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/shell"
	"github.com/osaudit/osaudit/table"
)

// queryConfig holds the flags of `osaudit shell` and `osaudit query`.
type queryConfig struct {
	root         string
	timeout      uint64
	verbose      bool
	json, csv    bool
	line, list   bool
	header       bool
	separator    string
	nullValue    string
	queryFlag    string
	shellOnly    map[string]bool
	fs           *flag.FlagSet
	positionals  []string
	modeExplicit bool
}

func newQueryFlags(name string, stderr io.Writer) *queryConfig {
	c := &queryConfig{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := c.fs
	fs.SetOutput(stderr)
	fs.StringVar(&c.root, "root", "", "Query the host tree at this directory (proc/, sys/, etc/...) instead of this machine")
	fs.Uint64Var(&c.timeout, "query_timeout", 10, "Seconds a query may run before it is stopped (0: no limit)")
	fs.BoolVar(&c.verbose, "verbose", false, "Enable verbose informational messages")
	fs.BoolVar(&c.json, "json", false, "Set output mode to 'json'")
	fs.BoolVar(&c.csv, "csv", false, "Set output mode to 'csv'")
	fs.BoolVar(&c.line, "line", false, "Set output mode to 'line'")
	fs.BoolVar(&c.list, "list", false, "Set output mode to 'list'")
	fs.BoolVar(&c.header, "header", true, "Toggle column headers true/false")
	fs.StringVar(&c.separator, "separator", "|", "Set output field separator")
	fs.StringVar(&c.nullValue, "nullvalue", "", "Set string for NULL values")
	fs.StringVar(&c.queryFlag, "query", "", "Execute a single SQL query and exit")
	c.shellOnly = map[string]bool{"json": true, "csv": true, "line": true, "list": true, "header": true, "separator": true, "nullvalue": true, "query": true}
	return c
}

// parse reads flags anywhere among the arguments, as osqueryi does.
func (c *queryConfig) parse(args []string) error {
	for {
		if err := c.fs.Parse(args); err != nil {
			return err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			return nil
		}
		c.positionals = append(c.positionals, args[0])
		args = args[1:]
	}
}

func (c *queryConfig) mode() shell.Mode {
	switch {
	case c.json:
		return shell.ModeJSON
	case c.csv:
		return shell.ModeCSV
	case c.line:
		return shell.ModeLine
	case c.list:
		return shell.ModeList
	}
	return shell.ModePretty
}

// open builds the engine for the configured root, over the given tables
// (nil: all).
func (c *queryConfig) open(stderr io.Writer, tables []*table.Table) (*engine.Engine, error) {
	root := hostfs.Live()
	if c.root != "" {
		fi, err := os.Stat(c.root)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("--root %s: not a directory", c.root)
		}
		root = hostfs.Dir(c.root)
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	timeout := time.Duration(c.timeout) * time.Second
	if c.timeout == 0 {
		timeout = -1
	}
	rt := agent.NewRuntime(root, c.fs)
	rt.ShellOnly = c.shellOnly
	rt.ConfigValid = true
	return engine.New(root, engine.Options{Timeout: timeout, Logger: log, Runtime: rt, MaxConns: 2, Tables: tables, HintAllTables: true})
}

func (c *queryConfig) newShell(e *engine.Engine, stdout, stderr io.Writer) *shell.Shell {
	sh := shell.New(e, stdout, stderr)
	sh.Mode = c.mode()
	sh.Opts = shell.Options{Headers: c.header, Separator: c.separator, NullValue: c.nullValue}
	return sh
}

// runQuery is `osaudit query`: one statement, rows on stdout, an error on
// stderr and exit status 1.
func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newQueryFlags("query", stderr)
	if err := c.parse(args); err != nil {
		return 2
	}
	sql := strings.TrimSpace(strings.Join(append([]string{c.queryFlag}, c.positionals...), " "))
	if sql == "" {
		fmt.Fprintln(stderr, "usage: osaudit query [--json|--csv|--line|--list] [--root DIR] \"SQL\"")
		return 2
	}
	// One statement: the engine needs only the tables it names.
	e, err := c.open(stderr, engine.TablesIn(sql))
	if err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	defer e.Close()
	stmts, rest := engine.Split(sql)
	if strings.TrimSpace(rest) != "" {
		stmts = append(stmts, strings.TrimSpace(rest))
	}
	if len(stmts) != 1 {
		fmt.Fprintf(stderr, "Error: osaudit query runs one statement; got %d (use osaudit shell for a script)\n", len(stmts))
		return 1
	}
	if err := c.newShell(e, stdout, stderr).Exec(ctx, stmts[0]); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

// runShell is `osaudit shell`: interactive on a terminal; with SQL in the
// arguments, --query or piped stdin, it runs that and exits.
func runShell(ctx context.Context, args []string, stdin io.ReadCloser, stdout, stderr io.Writer) int {
	c := newQueryFlags("shell", stderr)
	if err := c.parse(args); err != nil {
		return 2
	}
	e, err := c.open(stderr, nil)
	if err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	defer e.Close()
	sh := c.newShell(e, stdout, stderr)
	sql := strings.TrimSpace(strings.Join(append([]string{c.queryFlag}, c.positionals...), " "))
	var runErr error
	switch {
	case sql != "":
		runErr = sh.RunScript(ctx, strings.NewReader(sql))
	case isTerminal(stdin):
		runErr = sh.Interactive(ctx, stdin)
	default:
		runErr = sh.RunScript(ctx, stdin)
	}
	if runErr != nil {
		if !errors.Is(runErr, io.EOF) && runErr.Error() != "some statements failed" {
			fmt.Fprintln(stderr, "Error:", runErr)
		}
		return 1
	}
	return 0
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
