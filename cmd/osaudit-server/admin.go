package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/sqlite"
)

// openStore opens the data directory's database, applying migrations.
func openStore(ctx context.Context, dir string) (*sqlite.Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("--data_dir is required")
	}
	return sqlite.Open(ctx, filepath.Join(dir, "osaudit.db"), sqlite.Options{})
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data_dir", "", "data directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is up to date\n", filepath.Join(*dir, "osaudit.db"))
	return st.Close()
}

// scopeFlags are the --role and --customer of user and token creation.
type scopeFlags struct {
	role, customer string
}

func (s *scopeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&s.role, "role", string(osaudit.RoleProviderAdmin), "provider_admin, customer_admin or customer_viewer")
	fs.StringVar(&s.customer, "customer", "", "the customer of a customer role, by name")
}

func (s *scopeFlags) resolve(ctx context.Context, st osaudit.Store) (osaudit.Role, int64, error) {
	role := osaudit.Role(s.role)
	switch role {
	case osaudit.RoleProviderAdmin:
		if s.customer != "" {
			return "", 0, fmt.Errorf("a provider admin has no --customer")
		}
		return role, 0, nil
	case osaudit.RoleCustomerAdmin, osaudit.RoleCustomerViewer:
		if s.customer == "" {
			return "", 0, fmt.Errorf("--role %s needs --customer", role)
		}
		c, err := st.CustomerByName(ctx, s.customer)
		if err != nil {
			return "", 0, fmt.Errorf("customer %q: %w", s.customer, err)
		}
		return role, c.ID, nil
	}
	return "", 0, fmt.Errorf("unknown --role %q", s.role)
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: osaudit-server user create --data_dir DIR --email E [--password P] [--role R] [--customer NAME]")
		return errUsage
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data_dir", "", "data directory")
	email := fs.String("email", "", "the user's email address")
	name := fs.String("name", "", "the user's name")
	password := fs.String("password", "", "the password (default: a generated one, printed)")
	var scope scopeFlags
	scope.add(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("--email is required")
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	role, customerID, err := scope.resolve(ctx, st)
	if err != nil {
		return err
	}
	pw := *password
	if pw == "" {
		pw = manager.NewKey()[:24]
	}
	hash, err := manager.HashPassword(pw)
	if err != nil {
		return err
	}
	u := &osaudit.User{Email: *email, Name: *name, PasswordHash: hash, Role: role, CustomerID: customerID}
	if err := st.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %d %s (%s)\n", u.ID, u.Email, u.Role)
	if *password == "" {
		fmt.Fprintf(stdout, "password: %s\n", pw)
	}
	return nil
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "usage: osaudit-server token create --data_dir DIR --name N [--role R] [--customer NAME]")
		return errUsage
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data_dir", "", "data directory")
	name := fs.String("name", "", "what the token is for")
	var scope scopeFlags
	scope.add(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("--name is required")
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	role, customerID, err := scope.resolve(ctx, st)
	if err != nil {
		return err
	}
	token := manager.NewKey()
	t := &osaudit.APIToken{Name: *name, Hash: manager.HashKey(token), Role: role, CustomerID: customerID}
	if err := st.CreateToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", token)
	return nil
}
