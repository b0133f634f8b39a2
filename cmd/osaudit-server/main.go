// Command osaudit-server is the osaudit manager: the osquery TLS remote
// API for agents, the REST API for osauditctl, an embedded SQLite store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/osaudit/osaudit"

	"github.com/osaudit/osaudit/agent"
	_ "github.com/osaudit/osaudit/tables" // the dev agent's tables
)

const usage = `osaudit-server %s: the osaudit manager (osquery TLS API, REST API, SQLite store).

Usage:
  osaudit-server serve [--listen ADDR] [--data_dir DIR] [--dev] [--tls_cert F --tls_key F]
  osaudit-server migrate --data_dir DIR
  osaudit-server user create --data_dir DIR --email E [--password P] [--role R] [--customer NAME]
  osaudit-server token create --data_dir DIR --name N [--role R] [--customer NAME]
  osaudit-server version

serve --dev starts with ./osaudit-dev, on 127.0.0.1:8443, with an admin, a
default customer and its enroll secret, written to DIR/dev-credentials.json.
Run 'osaudit-server <command> --help' for every flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, osaudit.Version)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = runServe(ctx, rest, stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, rest, stdout, stderr)
	case "user":
		err = runUser(ctx, rest, stdout, stderr)
	case "token":
		err = runToken(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "osaudit-server version %s\n", osaudit.Version)
	case "help", "--help", "-h", "-help":
		fmt.Fprintf(stdout, usage, osaudit.Version)
	default:
		fmt.Fprintf(stderr, "osaudit-server: unknown command %q\n", cmd)
		fmt.Fprintf(stderr, usage, osaudit.Version)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "osaudit-server: %v\n", err)
		return 1
	}
	return 0
}

// errUsage is a command line error already reported by the flag set.
var errUsage = errors.New("usage")

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg ServeConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Listen, "listen", "", "address to listen on (default :8443, with --dev 127.0.0.1:8443)")
	fs.StringVar(&cfg.DataDir, "data_dir", "", "directory of the database, certificate and key (default with --dev: ./osaudit-dev)")
	fs.BoolVar(&cfg.Dev, "dev", false, "development mode: create an admin, a default customer and an enroll secret, and run the in-process agent")
	fs.StringVar(&cfg.TLSCert, "tls_cert", "", "PEM certificate (chain) to serve; default: one generated in the data directory")
	fs.StringVar(&cfg.TLSKey, "tls_key", "", "PEM private key of --tls_cert")
	fs.DurationVar(&cfg.Retention, "results_retention", 30*24*time.Hour, "how long result and status rows are kept in the store (0: forever); forward them to a sink to keep them longer")
	logFormat := fs.String("log_format", "text", "log format: text or json")
	logLevel := fs.String("log_level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&cfg.Synchronous, "sqlite_synchronous", "FULL", "SQLite synchronous setting: FULL (a commit is durable when acknowledged) or NORMAL")
	devAgent := fs.Bool("dev_agent", true, "with --dev, run the in-process agent on this machine")
	fs.StringVar(&cfg.PprofListen, "pprof_listen", "", "loopback address for Go's /debug/pprof handlers (profiling; off when empty)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if cfg.DataDir == "" && !cfg.Dev {
		fmt.Fprintln(stderr, "serve: --data_dir is required (or --dev)")
		return errUsage
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	cfg.Logger = log
	cfg.Stdout = stdout
	setGCPercent(os.Getenv("GOGC"))
	// The dev agent is osaudit's own daemon, run in this process.
	if *devAgent {
		cfg.DevAgent = func(ctx context.Context, dataDir, serverURL, caCertPath, enrollSecret string) error {
			return agent.DevAgent(dataDir, stderr)(ctx, serverURL, caCertPath, enrollSecret)
		}
	}
	return Serve(ctx, cfg)
}

// serveGCPercent is the manager's GOGC unless the environment sets one.
// Its heap is mostly connection buffers that live as long as the agents'
// connections; collecting it half as often costs memory (1.3 GB instead
// of 0.9 GB at 20,000 agents) and saves a fifth of its CPU, and the
// collector's bursts were the load test's latency spikes (docs/performance.md).
const serveGCPercent = 200

func setGCPercent(env string) {
	if env == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log_level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log_format must be text or json, not %q", format)
}
