package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/osaudit/osaudit/agent"
)

// runDaemon is `osaudit daemon`: osqueryd's flags (and --flagfile), then
// the watcher and worker.
func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	expanded, err := agent.ExpandFlagfiles(args)
	if err != nil {
		fmt.Fprintln(stderr, "osaudit daemon:", err)
		return 2
	}
	fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := agent.DaemonFlags(fs)
	if err := fs.Parse(expanded); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "osaudit daemon: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	err = agent.RunDaemon(ctx, agent.DaemonConfig{Options: opts, FlagSet: fs, Args: append([]string{"daemon"}, expanded...), Stdout: stdout, Stderr: stderr})
	if err != nil {
		fmt.Fprintln(stderr, "osaudit daemon:", err)
		return 1
	}
	return 0
}
