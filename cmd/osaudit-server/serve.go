package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	ohttp "github.com/osaudit/osaudit/http"
	"github.com/osaudit/osaudit/manager"
	"github.com/osaudit/osaudit/sqlite"
)

// ServeConfig is what serve runs with.
type ServeConfig struct {
	Listen  string // default ":8443"; with Dev, "127.0.0.1:8443"
	DataDir string // default with Dev: ./osaudit-dev
	Dev     bool
	TLSCert string // PEM files to serve; both empty: a certificate generated in DataDir
	TLSKey  string
	// Synchronous is the SQLite synchronous setting ("FULL" or "NORMAL").
	Synchronous string

	Logger *slog.Logger
	Stdout io.Writer // where the certificate fingerprint and dev credentials are printed

	// DevAgent, if set, runs the in-process agent in dev mode once the
	// server listens: it enrolls with enrollSecret at serverURL, trusting
	// the PEM at caCertPath, until ctx ends.
	DevAgent func(ctx context.Context, dataDir, serverURL, caCertPath, enrollSecret string) error

	// PprofListen, if set, serves /debug/pprof on this address, apart
	// from the API: profiles are for operators, never for agents.
	PprofListen string

	// Retention is how long results stay in the store (0: forever).
	Retention time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish (default 30 s).
	ShutdownTimeout time.Duration
	// ready, if set, is called with the server's URL once it listens
	// (tests).
	ready func(url string)
}

// Serve runs the manager until ctx ends, then stops accepting requests,
// lets in-flight ones finish, writes what is queued and closes the store.
func Serve(ctx context.Context, cfg ServeConfig) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.DataDir == "" && cfg.Dev {
		cfg.DataDir = "osaudit-dev"
	}
	if cfg.Listen == "" {
		cfg.Listen = ":8443"
		if cfg.Dev {
			cfg.Listen = "127.0.0.1:8443"
		}
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	cert, certPath, err := loadCertificate(dir, cfg.TLSCert, cfg.TLSKey, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.Stdout, "TLS certificate: %s\nSHA-256 fingerprint: %s\n", certPath, fingerprint(cert.Leaf))

	store, err := sqlite.Open(ctx, filepath.Join(dir, "osaudit.db"), sqlite.Options{Synchronous: cfg.Synchronous})
	if err != nil {
		return err
	}
	defer store.Close()

	m := &manager.Manager{Store: store, Logger: log.With("component", "manager"), Retention: cfg.Retention}
	if err := m.Open(ctx); err != nil {
		return err
	}
	if cfg.PprofListen != "" {
		pl, err := servePprof(cfg.PprofListen, log)
		if err != nil {
			return err
		}
		defer pl.Close()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	url := serverURL(ln.Addr())

	var creds *devCredentials
	if cfg.Dev {
		creds, err = devBootstrap(ctx, store, dir, url, certPath)
		if err != nil {
			ln.Close()
			return err
		}
		fmt.Fprintf(cfg.Stdout, "Development mode: credentials in %s\n  server_url %s\n  admin %s / %s\n  enroll_secret %s\n",
			filepath.Join(dir, devCredentialsFile), creds.ServerURL, creds.AdminEmail, creds.AdminPassword, creds.EnrollSecret)
	}

	hs := &ohttp.Server{Manager: m, Store: store, Logger: log.With("component", "http")}
	srv := &http.Server{
		Handler:           hs.Handler(),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a 10 MiB log body on a slow link
		IdleTimeout:       5 * time.Minute, // osquery keeps its TLS session for an hour
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug), // TLS handshake noise
	}
	// Open live-query streams end at shutdown instead of holding it up.
	srv.RegisterOnShutdown(hs.CloseStreams)

	runCtx, stopManager := context.WithCancel(context.WithoutCancel(ctx))
	managerDone := make(chan error, 1)
	go func() { managerDone <- m.Run(runCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.ServeTLS(ln, "", "") }()
	log.Info("listening", "url", url, "data_dir", dir)
	if cfg.ready != nil {
		cfg.ready(url)
	}

	agentCtx, stopAgent := context.WithCancel(ctx)
	agentDone := make(chan struct{})
	if cfg.Dev && cfg.DevAgent != nil {
		go func() {
			defer close(agentDone)
			if err := cfg.DevAgent(agentCtx, dir, url, certPath, creds.EnrollSecret); err != nil && agentCtx.Err() == nil {
				log.Error("dev agent stopped", "err", err)
			}
		}()
	} else {
		close(agentDone)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-serveDone:
	}
	log.Info("shutting down")
	stopAgent()
	<-agentDone
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("requests still running at shutdown", "err", err)
	}
	stopManager()
	if err := <-managerDone; err != nil {
		log.Error("manager", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	log.Info("stopped")
	return nil
}

// serverURL is how clients on this machine reach a listener: loopback for
// a wildcard address.
func serverURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port)
}
