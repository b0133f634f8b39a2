package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/osaudit/osaudit/client"
)

// Config is osauditctl's config file (os.UserConfigDir()/osaudit/config.json),
// written by login.
type Config struct {
	Server   string `json:"server"`
	Token    string `json:"token"`
	CA       string `json:"ca,omitempty"` // a PEM file
	Insecure bool   `json:"insecure,omitempty"`
}

func loadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// saveConfig writes the config file, readable by its owner only: it holds
// a token.
func saveConfig(path string, c Config) error {
	if path == "" {
		return errors.New("no config directory: give --config FILE")
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// me is the answer of GET /api/v1/me.
type me struct {
	TokenID    int64  `json:"token_id"`
	TokenName  string `json:"token_name"`
	Role       string `json:"role"`
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
}

// login checks the server and token (or exchanges an email and password
// for a token) and writes them to the config file.
func (c *cmd) login(ctx context.Context, args []string) error {
	fs := c.flags("login", "[--server URL] [--token TOKEN | --email EMAIL --password-stdin] [--ca FILE | --insecure]")
	email := fs.String("email", "", "sign in with this user's email and a password instead of a token")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return c.usageErr(fs, "unexpected argument %q", pos[0])
	}
	server, token, t := c.settings()
	if server == "" {
		return c.usageErr(fs, "give --server URL")
	}
	if *email != "" {
		if !*pwStdin {
			return c.usageErr(fs, "with --email, give the password on standard input with --password-stdin")
		}
		pw, err := io.ReadAll(io.LimitReader(c.env.Stdin, 4096))
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		cl, err := client.New(server, "", t)
		if err != nil {
			return err
		}
		var out struct {
			Token string `json:"token"`
		}
		err = cl.Do(ctx, "POST", "/api/v1/sessions", nil, map[string]string{"email": *email, "password": strings.TrimRight(string(pw), "\r\n")}, &out)
		if client.ErrorCode(err) == "not_found" {
			return errors.New("this server does not offer password sign-in; use --token")
		}
		if err != nil {
			return err
		}
		token = out.Token
	}
	if token == "" {
		return c.usageErr(fs, "give --token TOKEN (or --email)")
	}
	cl, err := client.New(server, token, t)
	if err != nil {
		return err
	}
	var who me
	if err := cl.Do(ctx, "GET", "/api/v1/me", nil, nil, &who); err != nil {
		return fmt.Errorf("check the token: %w", err)
	}
	conf := Config{Server: cl.Server(), Token: token, Insecure: t.Insecure}
	if t.CAFile != "" {
		if conf.CA, err = filepath.Abs(t.CAFile); err != nil {
			return err
		}
	}
	if err := saveConfig(c.g.config, conf); err != nil {
		return err
	}
	scope := "the provider"
	if who.Customer != "" {
		scope = "customer " + who.Customer
	}
	fmt.Fprintf(c.stdout, "Logged in to %s as %s (%s); settings saved in %s\n", cl.Server(), scope, who.Role, c.g.config)
	return nil
}
