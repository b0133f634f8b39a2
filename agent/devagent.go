package agent

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
)

// DevAgent returns the in-process agent that `osaudit-server serve --dev`
// runs on this machine: a daemon enrolled over real TLS on loopback, with
// the manager's config, results going to the manager (and to files under
// dataDir/agent), and live queries polled every 2 seconds.
func DevAgent(dataDir string, stderr io.Writer) func(ctx context.Context, serverURL, caCertPath, enrollSecret string) error {
	return func(ctx context.Context, serverURL, caCertPath, enrollSecret string) error {
		u, err := url.Parse(serverURL)
		if err != nil {
			return fmt.Errorf("dev agent: %w", err)
		}
		dir := filepath.Join(dataDir, "agent")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		secret := filepath.Join(dir, "enroll_secret")
		if err := os.WriteFile(secret, []byte(enrollSecret), 0o600); err != nil {
			return err
		}
		fs := flag.NewFlagSet("dev-agent", flag.ContinueOnError)
		opts := DaemonFlags(fs)
		args := []string{
			"--tls_hostname=" + u.Host,
			"--tls_server_certs=" + caCertPath,
			"--enroll_secret_path=" + secret,
			"--enroll_tls_endpoint=/api/v1/osquery/enroll",
			"--config_plugin=tls",
			"--config_tls_endpoint=/api/v1/osquery/config",
			"--config_refresh=30",
			"--logger_plugin=filesystem,tls",
			"--logger_tls_endpoint=/api/v1/osquery/log",
			"--logger_tls_period=2",
			"--disable_distributed=false",
			"--distributed_tls_read_endpoint=/api/v1/osquery/distributed/read",
			"--distributed_tls_write_endpoint=/api/v1/osquery/distributed/write",
			"--distributed_interval=2",
			"--host_identifier=hostname",
			"--logger_path=" + filepath.Join(dir, "logs"),
			"--database_path=" + filepath.Join(dir, "db"),
			"--disable_watchdog",
			"--logger_stderr=false",
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		d := NewDaemon(opts, fs, Deps{Stderr: stderr, Stdout: io.Discard})
		if err := d.Start(ctx); err != nil {
			d.Close(context.Background())
			return fmt.Errorf("dev agent: %w", err)
		}
		err = d.Run(ctx, nil)
		if cerr := d.Close(context.Background()); err == nil {
			err = cerr
		}
		return err
	}
}
