// Package ctl is osauditctl: commands that manage an osaudit-server over
// its REST API (login, apply, get, query, secrets, tokens), with their
// flags, configuration file and output formats.
package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/osaudit/osaudit/client"
)

const usage = `osauditctl manages an osaudit-server through its REST API.

Usage:
  osauditctl login [--server URL] [--token TOKEN] [--ca FILE | --insecure]
  osauditctl apply -f FILE [--customer NAME]    (FILE: YAML or JSON documents, or an osquery config or pack; - for stdin)
  osauditctl get hosts|packs|queries|labels|customers|secrets|tokens [--customer NAME] [filters]
  osauditctl query (--hosts H1,H2 | --labels L1,L2) [--timeout 60s] [--customer NAME] "SQL"
  osauditctl secrets list|create|rotate|revoke [--customer NAME] [--name NAME] [ID]
  osauditctl tokens list|create|delete [--name NAME --role ROLE --customer NAME] [ID]
  osauditctl delete hosts|packs|queries|labels|customers NAME-OR-ID... [--customer NAME]

Global flags (before or after the command):
  --server URL     the server (env OSAUDIT_SERVER; else the config file)
  --token TOKEN    an API token (env OSAUDIT_TOKEN; else the config file)
  --ca FILE        trust the server certificate signed by this PEM CA (env OSAUDIT_CA)
  --insecure       do not verify the server certificate
  -o table|json    output format (default table; json prints objects, and rows as JSON lines)
  --config FILE    the config file (default %s)
`

// Env is what a run of osauditctl reads and writes: arguments aside, its
// streams, environment and config directory.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// ConfigDir is where the config file lives (os.UserConfigDir()/osaudit
	// when empty).
	ConfigDir string
}

// globals are the flags every command takes.
type globals struct {
	server, token, ca, output, config string
	insecure, help                    bool
}

// valueFlags are the global flags that take a value.
var valueFlags = map[string]func(*globals) *string{
	"server": func(g *globals) *string { return &g.server },
	"token":  func(g *globals) *string { return &g.token },
	"ca":     func(g *globals) *string { return &g.ca },
	"o":      func(g *globals) *string { return &g.output },
	"output": func(g *globals) *string { return &g.output },
	"config": func(g *globals) *string { return &g.config },
}

// splitGlobals takes the global flags out of args, wherever they are; the
// rest is the command and its own arguments. "--" ends flag parsing.
func splitGlobals(args []string) (globals, []string, error) {
	var g globals
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case valueFlags[name] != nil:
			if !hasValue {
				if i+1 >= len(args) {
					return g, nil, fmt.Errorf("flag %s needs a value", a)
				}
				i++
				value = args[i]
			}
			*valueFlags[name](&g) = value
		case name == "insecure":
			g.insecure = !hasValue || value == "true" || value == "1"
		case name == "h" || name == "help":
			g.help = true
		default:
			rest = append(rest, a)
		}
	}
	switch g.output {
	case "":
		g.output = "table"
	case "table", "json":
	default:
		return g, nil, fmt.Errorf("-o %s: want table or json", g.output)
	}
	return g, rest, nil
}

// cmd is one run's state.
type cmd struct {
	env    Env
	g      globals
	conf   Config
	stdout io.Writer
	stderr io.Writer
}

// errUsage is a usage error already explained to the user.
var errUsage = errors.New("usage")

// Main runs osauditctl with args (without the program name) and returns
// the exit code: 0 on success, 1 on errors, 2 on usage errors.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	g, rest, err := splitGlobals(args)
	if err != nil {
		fmt.Fprintln(env.Stderr, "osauditctl:", err)
		return 2
	}
	c := &cmd{env: env, g: g, stdout: env.Stdout, stderr: env.Stderr}
	if g.config == "" {
		dir := env.ConfigDir
		if dir == "" {
			if d, err := os.UserConfigDir(); err == nil {
				dir = filepath.Join(d, "osaudit")
			}
		}
		if dir != "" {
			g.config = filepath.Join(dir, "config.json")
		}
		c.g.config = g.config
	}
	if len(rest) == 0 || g.help && len(rest) == 0 {
		fmt.Fprintf(env.Stderr, usage, g.config)
		if g.help {
			return 0
		}
		return 2
	}
	if rest[0] == "help" {
		fmt.Fprintf(env.Stdout, usage, g.config)
		return 0
	}
	if c.conf, err = loadConfig(g.config); err != nil {
		fmt.Fprintln(env.Stderr, "osauditctl:", err)
		return 1
	}
	name, args := rest[0], rest[1:]
	if g.help {
		args = append(args, "-h")
	}
	var run func(context.Context, []string) error
	switch name {
	case "login":
		run = c.login
	case "apply":
		run = c.apply
	case "get":
		run = c.get
	case "query":
		run = c.query
	case "secrets":
		run = c.secrets
	case "tokens":
		run = c.tokens
	case "delete":
		run = c.delete
	default:
		fmt.Fprintf(env.Stderr, "osauditctl: unknown command %q\n", name)
		fmt.Fprintf(env.Stderr, usage, g.config)
		return 2
	}
	switch err := run(ctx, args); {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintf(env.Stderr, "osauditctl %s: %v\n", name, err)
		return 1
	}
}

// flags returns a flag set for a command that prints its errors to
// stderr.
func (c *cmd) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: osauditctl %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and positional arguments in any order.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usageErr prints a usage problem and returns errUsage.
func (c *cmd) usageErr(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(c.stderr, "osauditctl %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// settings are the server, token and TLS options in force: flags, then
// the environment, then the config file.
func (c *cmd) settings() (server, token string, t client.TLS) {
	pick := func(flagValue, envName, confValue string) string {
		if flagValue != "" {
			return flagValue
		}
		if v := c.env.Getenv(envName); v != "" {
			return v
		}
		return confValue
	}
	server = pick(c.g.server, "OSAUDIT_SERVER", c.conf.Server)
	token = pick(c.g.token, "OSAUDIT_TOKEN", c.conf.Token)
	t.CAFile = pick(c.g.ca, "OSAUDIT_CA", c.conf.CA)
	t.Insecure = c.g.insecure || c.env.Getenv("OSAUDIT_INSECURE") == "1" || c.env.Getenv("OSAUDIT_INSECURE") == "true" ||
		c.g.ca == "" && c.env.Getenv("OSAUDIT_CA") == "" && c.conf.Insecure
	if t.Insecure {
		t.CAFile = ""
	}
	return server, token, t
}

// client returns a client for the server in force.
func (c *cmd) client() (*client.Client, error) {
	server, token, t := c.settings()
	if token == "" {
		return nil, errors.New("no token: give --token or OSAUDIT_TOKEN, or run osauditctl login")
	}
	return client.New(server, token, t)
}
