package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// devCredentialsFile is where serve --dev writes what a developer needs.
const devCredentialsFile = "dev-credentials.json"

// devCustomer is the customer dev mode creates.
const devCustomer = "default"

// devCredentials is dev-credentials.json.
type devCredentials struct {
	ServerURL     string `json:"server_url"`
	AdminEmail    string `json:"admin_email"`
	AdminPassword string `json:"admin_password"`
	APIToken      string `json:"api_token"`
	EnrollSecret  string `json:"enroll_secret"`
	CACert        string `json:"ca_cert"`
	Customer      string `json:"customer"`
}

// devBootstrap makes sure the dev customer, its enroll secret, an admin and
// a provider API token exist, reusing those of an earlier run when they
// are still valid, and writes dev-credentials.json.
func devBootstrap(ctx context.Context, st osaudit.Store, dir, url, caCert string) (*devCredentials, error) {
	path := filepath.Join(dir, devCredentialsFile)
	var c devCredentials
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &c) == nil && devValid(ctx, st, &c) {
		c.ServerURL, c.CACert = url, caCert
		if cust, err := st.CustomerByName(ctx, devCustomer); err == nil {
			if err := devQuickstartPack(ctx, st, cust.ID); err != nil {
				return nil, err
			}
		}
		return &c, writeCredentials(path, &c)
	}
	c = devCredentials{ServerURL: url, CACert: caCert, Customer: devCustomer}
	cust, err := st.CustomerByName(ctx, devCustomer)
	if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
		cust = &osaudit.Customer{Name: devCustomer}
		err = st.CreateCustomer(ctx, cust)
	}
	if err != nil {
		return nil, fmt.Errorf("dev customer: %w", err)
	}
	if err := devQuickstartPack(ctx, st, cust.ID); err != nil {
		return nil, err
	}
	c.EnrollSecret = manager.NewKey()
	if err := st.CreateEnrollSecret(ctx, &osaudit.EnrollSecret{CustomerID: cust.ID, Name: "dev", Hash: manager.HashKey(c.EnrollSecret)}); err != nil {
		return nil, fmt.Errorf("dev enroll secret: %w", err)
	}
	c.AdminEmail = "admin@osaudit.local"
	if _, err := st.UserByEmail(ctx, c.AdminEmail); err == nil {
		// An earlier admin whose password is lost with the file: another one.
		c.AdminEmail = "admin-" + manager.NewKey()[:8] + "@osaudit.local"
	}
	c.AdminPassword = manager.NewKey()[:24]
	hash, err := manager.HashPassword(c.AdminPassword)
	if err != nil {
		return nil, err
	}
	admin := &osaudit.User{Email: c.AdminEmail, Name: "Administrator", PasswordHash: hash, Role: osaudit.RoleProviderAdmin}
	if err := st.CreateUser(ctx, admin); err != nil {
		return nil, fmt.Errorf("dev admin: %w", err)
	}
	c.APIToken = manager.NewKey()
	tok := &osaudit.APIToken{Name: "dev", Hash: manager.HashKey(c.APIToken), Role: osaudit.RoleProviderAdmin, UserID: admin.ID}
	if err := st.CreateToken(ctx, tok); err != nil {
		return nil, fmt.Errorf("dev token: %w", err)
	}
	return &c, writeCredentials(path, &c)
}

// devQuickstartPack gives the dev customer a pack of short-interval
// queries, so that the dev agent's results flow within a minute.
func devQuickstartPack(ctx context.Context, st osaudit.Store, customerID int64) error {
	if _, err := st.PackByName(ctx, customerID, "quickstart"); err == nil {
		return nil
	}
	p := &osaudit.Pack{
		CustomerID:  customerID,
		Name:        "quickstart",
		Description: "Dev mode: a few audit queries every minute, so that results show at once",
		Queries: []osaudit.PackQuery{
			{Name: "processes_not_on_disk", SQL: "SELECT pid, name, path, cmdline FROM processes WHERE on_disk = 0;", Interval: 60,
				Description: "Processes whose binary is gone", Techniques: []string{"T1070.004", "T1620"}},
			{Name: "listening_ports", SQL: "SELECT DISTINCT p.name, l.port, l.protocol, l.address FROM listening_ports l LEFT JOIN processes p USING (pid) WHERE l.port <> 0;", Interval: 60,
				Description: "Open ports and who listens", Techniques: []string{"T1571"}},
			{Name: "users", SQL: "SELECT uid, username, shell, directory FROM users;", Interval: 60,
				Description: "Local accounts", Techniques: []string{"T1136.001"}},
			{Name: "os_version", SQL: "SELECT name, version, platform, arch FROM os_version;", Interval: 60, Snapshot: true,
				Description: "Operating system"},
		},
		Targets: osaudit.PackTargets{CustomerIDs: []int64{customerID}},
	}
	if err := st.SavePack(ctx, p); err != nil {
		return fmt.Errorf("dev quickstart pack: %w", err)
	}
	return nil
}

// devValid reports whether an earlier run's credentials still work.
func devValid(ctx context.Context, st osaudit.Store, c *devCredentials) bool {
	if c.APIToken == "" || c.EnrollSecret == "" || c.AdminEmail == "" {
		return false
	}
	if _, err := st.TokenByHash(ctx, manager.HashKey(c.APIToken)); err != nil {
		return false
	}
	if _, err := st.EnrollSecretByHash(ctx, manager.HashKey(c.EnrollSecret)); err != nil {
		return false
	}
	u, err := st.UserByEmail(ctx, c.AdminEmail)
	return err == nil && manager.CheckPassword(u.PasswordHash, c.AdminPassword)
}

func writeCredentials(path string, c *devCredentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(b, '\n'), 0o600); err != nil {
		return errors.Join(errors.New("writing dev credentials"), err)
	}
	return nil
}
