package agent

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Options are the daemon's settings, under osquery's flag names.
type Options struct {
	ConfigPath          string
	ConfigRefresh       uint64
	LoggerPath          string
	LoggerPlugin        string
	DatabasePath        string
	Pidfile             string
	HostIdentifier      string
	SpecifiedIdentifier string
	Root                string

	PackDelimiter           string
	SplayPercent            uint64
	DefaultInterval         uint64
	Epoch                   uint64
	PackRefreshInterval     uint64
	QueryTimeout            uint64
	LoggerEventType         bool
	LoggerSnapshotEventType bool
	LoggerNumerics          bool
	DecorationsTopLevel     bool
	DisableDecorators       bool
	BufferedLogMax          uint64
	LoggerRotate            bool
	LoggerRotateSize        uint64
	LoggerRotateMaxFiles    uint64
	LoggerMinStatus         int
	LoggerStderr            bool
	Verbose                 bool

	DisableEvents            bool
	EventsExpiry             uint64
	EventsMax                uint64
	EventsOptimize           bool
	DisableAudit             bool
	AuditAllowProcessEvents  bool
	AuditAllowSockets        bool
	AuditAllowUserEvents     bool
	AuditAllowConfig         bool
	EnableFileEvents         bool
	HardwareDisabledTypes    string
	DisableWatchdog          bool
	WatchdogLevel            int
	WatchdogMemoryLimit      uint64
	WatchdogUtilizationLimit uint64
	WatchdogLatencyLimit     uint64
	WatchdogDelay            uint64
	DisableDatabase          bool
	Ephemeral                bool

	// Remote (TLS) plugins, as osquery names their flags.
	ConfigPlugin                string
	ConfigAcceleratedRefresh    uint64
	TLSHostname                 string
	TLSServerCerts              string
	TLSClientCert               string
	TLSClientKey                string
	EnrollSecretPath            string
	EnrollSecretEnv             string
	EnrollTLSEndpoint           string
	ConfigTLSEndpoint           string
	LoggerTLSEndpoint           string
	LoggerTLSPeriod             uint64
	LoggerTLSMaxLines           uint64
	LoggerTLSMaxLinesize        uint64
	LoggerTLSCompress           bool
	LoggerTLSBackoffMax         uint64
	DisableDistributed          bool
	DistributedPlugin           string
	DistributedInterval         uint64
	DistributedTLSReadEndpoint  string
	DistributedTLSWriteEndpoint string
	DistributedDenylistDuration uint64
	TLSEnrollMaxAttempts        uint64
	TLSEnrollMaxInterval        uint64
}

// cliOnly are flags osquery ignores (with a warning) when a config's
// options set them: they only take effect on the command line.
var cliOnly = map[string]bool{
	"config_path": true, "config_plugin": true, "config_refresh": true, "config_accelerated_refresh": true,
	"config_tls_endpoint": true, "config_tls_max_attempts": true, "config_check": true, "config_dump": true,
	"logger_path": true, "logger_plugin": true, "logger_stderr": true, "database_path": true, "pidfile": true,
	"flagfile": true, "disable_watchdog": true, "watchdog_level": true, "watchdog_memory_limit": true,
	"watchdog_utilization_limit": true, "watchdog_latency_limit": true, "watchdog_delay": true,
	"tls_hostname": true, "tls_server_certs": true, "tls_client_cert": true, "tls_client_key": true,
	"enroll_secret_path": true, "enroll_secret_env": true, "enroll_tls_endpoint": true, "enroll_always": true,
	"disable_enrollment": true, "carver_start_endpoint": true, "carver_continue_endpoint": true,
	"disable_carver": true, "root": true, "daemonize": true, "force": true, "alarm_timeout": true,
	"tls_enroll_max_attempts": true, "tls_enroll_max_interval": true,
}

// DaemonFlags registers the daemon's flags on fs with osquery's names and
// defaults and returns the options they fill.
func DaemonFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.ConfigPath, "config_path", "/etc/osquery/osquery.conf", "Path to JSON config file")
	fs.Uint64Var(&o.ConfigRefresh, "config_refresh", 0, "Optional interval in seconds to re-read configuration")
	fs.StringVar(&o.LoggerPath, "logger_path", "/var/log/osquery/", "Directory path for ERROR/WARN/INFO and results logging")
	fs.StringVar(&o.LoggerPlugin, "logger_plugin", "filesystem", "Logger plugin name (comma list: filesystem, stdout)")
	fs.StringVar(&o.DatabasePath, "database_path", "/var/osquery/osquery.db", "If using a disk-based backing store, specify a path")
	fs.StringVar(&o.Pidfile, "pidfile", "/var/run/osqueryd.pidfile", "Path to the daemon pidfile mutex")
	fs.StringVar(&o.HostIdentifier, "host_identifier", "hostname", "Field used to identify the host running osquery (hostname, uuid, instance, ephemeral, specified)")
	fs.StringVar(&o.SpecifiedIdentifier, "specified_identifier", "", "Field used to specify the host_identifier when set to \"specified\"")
	fs.StringVar(&o.Root, "root", "", "Query the host tree at this directory instead of this machine (testing)")
	fs.StringVar(&o.PackDelimiter, "pack_delimiter", "_", "Delimiter for pack and query names")
	fs.Uint64Var(&o.SplayPercent, "schedule_splay_percent", 10, "Percent to splay config times")
	fs.Uint64Var(&o.DefaultInterval, "schedule_default_interval", 3600, "Query interval to use if none is provided")
	fs.Uint64Var(&o.Epoch, "schedule_epoch", 0, "Epoch for scheduled queries")
	fs.Uint64Var(&o.PackRefreshInterval, "pack_refresh_interval", 3600, "Cache expiration for a packs discovery queries")
	fs.Uint64Var(&o.QueryTimeout, "query_timeout", 10, "Seconds a query may run before it is stopped (0: no limit)")
	fs.BoolVar(&o.LoggerEventType, "logger_event_type", true, "Log scheduled results as events")
	fs.BoolVar(&o.LoggerSnapshotEventType, "logger_snapshot_event_type", false, "Log scheduled snapshot results as events")
	fs.BoolVar(&o.LoggerNumerics, "logger_numerics", false, "Use numeric JSON syntax for numeric values")
	fs.BoolVar(&o.DecorationsTopLevel, "decorations_top_level", false, "Add decorators as top level JSON object members")
	fs.BoolVar(&o.DisableDecorators, "disable_decorators", false, "Disable log result decoration")
	fs.Uint64Var(&o.BufferedLogMax, "buffered_log_max", 1000000, "Maximum number of logs in the buffer before the oldest are dropped (0: no limit)")
	fs.BoolVar(&o.LoggerRotate, "logger_rotate", false, "Rotate the results and snapshots logs")
	fs.Uint64Var(&o.LoggerRotateSize, "logger_rotate_size", 25*1024*1024, "Size in bytes at which a log is rotated")
	fs.Uint64Var(&o.LoggerRotateMaxFiles, "logger_rotate_max_files", 25, "Number of rotated files to keep")
	fs.IntVar(&o.LoggerMinStatus, "logger_min_status", 0, "Minimum level for status log recording")
	fs.BoolVar(&o.LoggerStderr, "logger_stderr", true, "Write status logs to stderr")
	fs.BoolVar(&o.Verbose, "verbose", false, "Enable verbose informational messages")
	fs.BoolVar(&o.DisableEvents, "disable_events", false, "Disable osquery publish/subscribe system")
	fs.Uint64Var(&o.EventsExpiry, "events_expiry", 3600, "Timeout to expire event subscriber results")
	fs.Uint64Var(&o.EventsMax, "events_max", 50000, "Maximum number of events per type to buffer")
	fs.BoolVar(&o.EventsOptimize, "events_optimize", true, "Optimize subscriber select queries (scheduler only)")
	fs.BoolVar(&o.DisableAudit, "disable_audit", true, "Disable receiving events from the audit subsystem")
	fs.BoolVar(&o.AuditAllowProcessEvents, "audit_allow_process_events", true, "Allow the audit publisher to install process-related rules")
	fs.BoolVar(&o.AuditAllowSockets, "audit_allow_sockets", false, "Allow the audit publisher to install socket-related rules")
	fs.BoolVar(&o.AuditAllowUserEvents, "audit_allow_user_events", true, "Allow the audit publisher to install user-related rules")
	fs.BoolVar(&o.AuditAllowConfig, "audit_allow_config", false, "Allow the audit publisher to change auditing configuration")
	fs.BoolVar(&o.EnableFileEvents, "enable_file_events", false, "Enables the file_events publisher")
	fs.StringVar(&o.HardwareDisabledTypes, "hardware_disabled_types", "partition", "List of disabled hardware event types")
	fs.BoolVar(&o.DisableWatchdog, "disable_watchdog", false, "Disable userland watchdog process")
	fs.IntVar(&o.WatchdogLevel, "watchdog_level", 0, "Performance limit level (0=normal, 1=restrictive, -1=off)")
	fs.Uint64Var(&o.WatchdogMemoryLimit, "watchdog_memory_limit", 0, "Override watchdog profile memory limit (e.g., 300, for 300MB)")
	fs.Uint64Var(&o.WatchdogUtilizationLimit, "watchdog_utilization_limit", 0, "Override watchdog profile CPU utilization limit")
	fs.Uint64Var(&o.WatchdogLatencyLimit, "watchdog_latency_limit", 0, "Override watchdog profile CPU utilization latency limit")
	fs.Uint64Var(&o.WatchdogDelay, "watchdog_delay", 60, "Initial delay in seconds before watchdog starts")
	fs.BoolVar(&o.DisableDatabase, "disable_database", false, "Disable the persistent storage (every start is a first run)")
	fs.BoolVar(&o.Ephemeral, "ephemeral", false, "Skip pidfile and database state checks")
	fs.StringVar(&o.ConfigPlugin, "config_plugin", "filesystem", "Config plugin name (filesystem or tls)")
	fs.Uint64Var(&o.ConfigAcceleratedRefresh, "config_accelerated_refresh", 300, "Interval to wait if reading a configuration fails")
	fs.StringVar(&o.TLSHostname, "tls_hostname", "", "TLS/HTTPS hostname for Config, Logger, and Enroll plugins")
	fs.StringVar(&o.TLSServerCerts, "tls_server_certs", "", "Optional path to a TLS server PEM certificate(s) bundle")
	fs.StringVar(&o.TLSClientCert, "tls_client_cert", "", "Optional path to a TLS client-auth PEM certificate")
	fs.StringVar(&o.TLSClientKey, "tls_client_key", "", "Optional path to a TLS client-auth PEM private key")
	fs.StringVar(&o.EnrollSecretPath, "enroll_secret_path", "", "Path to an optional client enrollment-auth secret")
	fs.StringVar(&o.EnrollSecretEnv, "enroll_secret_env", "", "Name of environment variable holding enrollment-auth secret")
	fs.StringVar(&o.EnrollTLSEndpoint, "enroll_tls_endpoint", "", "TLS/HTTPS endpoint for client enrollment")
	fs.StringVar(&o.ConfigTLSEndpoint, "config_tls_endpoint", "", "TLS/HTTPS endpoint for config retrieval")
	fs.StringVar(&o.LoggerTLSEndpoint, "logger_tls_endpoint", "", "TLS/HTTPS endpoint for results logging")
	fs.Uint64Var(&o.LoggerTLSPeriod, "logger_tls_period", 4, "Seconds between flushing logs over TLS/HTTPS")
	fs.Uint64Var(&o.LoggerTLSMaxLines, "logger_tls_max_lines", 1024, "Max number of logs to send per period")
	fs.Uint64Var(&o.LoggerTLSMaxLinesize, "logger_tls_max_linesize", 1024*1024, "Max size in bytes allowed per log line")
	fs.BoolVar(&o.LoggerTLSCompress, "logger_tls_compress", false, "GZip compress TLS/HTTPS request body")
	fs.Uint64Var(&o.LoggerTLSBackoffMax, "logger_tls_backoff_max", 3600, "Max seconds of backoff when sending logs fails (0: no backoff)")
	fs.BoolVar(&o.DisableDistributed, "disable_distributed", true, "Disable distributed queries (default true)")
	fs.StringVar(&o.DistributedPlugin, "distributed_plugin", "tls", "Distributed plugin name")
	fs.Uint64Var(&o.DistributedInterval, "distributed_interval", 60, "Seconds between polling for new queries (default 60)")
	fs.StringVar(&o.DistributedTLSReadEndpoint, "distributed_tls_read_endpoint", "", "TLS/HTTPS endpoint for distributed query retrieval")
	fs.StringVar(&o.DistributedTLSWriteEndpoint, "distributed_tls_write_endpoint", "", "TLS/HTTPS endpoint for distributed query results")
	fs.Uint64Var(&o.DistributedDenylistDuration, "distributed_denylist_duration", 86400, "Seconds to denylist distributed queries (default 1 day)")
	fs.Uint64Var(&o.TLSEnrollMaxAttempts, "tls_enroll_max_attempts", 12, "Number of attempts to retry a TLS enroll request (0: forever)")
	fs.Uint64Var(&o.TLSEnrollMaxInterval, "tls_enroll_max_interval", 600, "Maximum wait time in seconds between enroll retries")
	return o
}

// ApplyOptions sets the flags a config's "options" name, as osquery does:
// CLI-only flags and unknown names are ignored with a warning each.
func ApplyOptions(fs *flag.FlagSet, options map[string]string) (warnings []string) {
	for name, value := range options {
		if strings.HasPrefix(name, "custom_") {
			continue
		}
		if cliOnly[name] {
			warnings = append(warnings, fmt.Sprintf("config option %s is a CLI-only flag and is ignored", name))
			continue
		}
		if fs.Lookup(name) == nil {
			warnings = append(warnings, fmt.Sprintf("Cannot set unknown or invalid flag: %s", name))
			continue
		}
		if err := fs.Set(name, value); err != nil {
			warnings = append(warnings, fmt.Sprintf("config option %s=%q: %v", name, value, err))
		}
	}
	return warnings
}

// ReadFlagfile returns the flags in an osquery flagfile: one --flag=value
// per line, blank lines and # comments ignored.
func ReadFlagfile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseFlagfile(f)
}

func parseFlagfile(r io.Reader) ([]string, error) {
	var args []string
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "-") {
			return nil, fmt.Errorf("line %d: %q is not a flag", n, line)
		}
		args = append(args, line)
	}
	return args, sc.Err()
}

// ExpandFlagfiles replaces --flagfile=PATH (or --flagfile PATH) in args with
// the flags the file holds; flags given on the command line after it win.
func ExpandFlagfiles(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var path string
		switch {
		case strings.HasPrefix(a, "--flagfile=") || strings.HasPrefix(a, "-flagfile="):
			path = a[strings.Index(a, "=")+1:]
		case a == "--flagfile" || a == "-flagfile":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--flagfile needs a path")
			}
			i++
			path = args[i]
		default:
			out = append(out, a)
			continue
		}
		flags, err := ReadFlagfile(path)
		if err != nil {
			return nil, fmt.Errorf("flagfile %s: %w", path, err)
		}
		out = append(out, flags...)
	}
	return out, nil
}

func seconds(n uint64) time.Duration { return time.Duration(n) * time.Second }
