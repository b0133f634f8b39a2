// Command osauditctl manages an osaudit-server through its REST API:
// login, apply, get, query, secrets and tokens (docs/api.md).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/osaudit/osaudit/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(ctl.Main(ctx, os.Args[1:], ctl.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
