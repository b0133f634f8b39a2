package agent

import (
	"context"
	"strings"
)

// hostname is the host's name, trimmed, read every time so that a rename
// shows up, as in osquery.
func (d *Daemon) hostname() string {
	if !d.root.IsLive() {
		if b, err := d.root.ReadFileLimit("/proc/sys/kernel/hostname", 256); err == nil {
			if h := strings.TrimSpace(string(b)); h != "" {
				return h
			}
		}
	}
	h, err := d.deps.Hostname()
	if err != nil {
		return "localhost"
	}
	return strings.TrimSpace(h)
}

// hostIdentifier is --host_identifier's value for this host: hostname,
// uuid (the hardware UUID, or a generated one kept in the database when the
// firmware's is missing or a placeholder), instance (a UUID kept in the
// database), ephemeral (a UUID per process) or specified; anything else,
// or a failure, falls back to the hostname.
func (d *Daemon) hostIdentifier(ctx context.Context) string {
	switch d.opts.HostIdentifier {
	case "uuid":
		return d.hostUUID(ctx)
	case "instance":
		return d.instanceID(ctx)
	case "ephemeral":
		return d.ephemeralID()
	case "specified":
		if d.opts.SpecifiedIdentifier != "" {
			return d.opts.SpecifiedIdentifier
		}
	}
	return d.hostname()
}

// hostUUID returns the hardware UUID, or one generated once and stored.
func (d *Daemon) hostUUID(ctx context.Context) string {
	if u := HostUUID(d.root); u != "" {
		return u
	}
	return d.storedUUID(ctx, "host_uuid_v3")
}

func (d *Daemon) instanceID(ctx context.Context) string { return d.storedUUID(ctx, "instance_uuid_v1") }

func (d *Daemon) storedUUID(ctx context.Context, key string) string {
	if d.db != nil {
		if b, ok, _ := d.db.Get(ctx, key); ok && len(b) == 36 {
			return string(b)
		}
	}
	u := RandomUUID()
	if d.db != nil {
		d.db.Put(ctx, key, []byte(u))
	}
	return u
}

func (d *Daemon) ephemeralID() string { return d.ephemeral }
