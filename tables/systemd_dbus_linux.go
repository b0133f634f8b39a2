package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// systemdBusTimeout bounds the whole conversation with the system bus.
const systemdBusTimeout = 30 * time.Second

// systemdPropertyBatch is how many units' property calls are in flight at
// once; the system bus limits a connection's pending replies (128 by
// default).
const systemdPropertyBatch = 16

// systemdBusAddress is the system bus: $DBUS_SYSTEM_BUS_ADDRESS, or the
// standard socket.
func systemdBusAddress() string {
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return "unix:path=/run/dbus/system_bus_socket"
}

// readSystemdUnitsDBus asks systemd over the system bus for its units, as
// osquery does, and returns them as the JSON document systemdUnit
// describes. It runs on the live host only (Root.Kernel).
func readSystemdUnitsDBus(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, systemdBusTimeout)
	defer cancel()
	addr := systemdBusAddress()
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("system bus %s: %w", addr, err)
	}
	defer conn.Close()

	var listed []struct {
		ID, Description, LoadState, ActiveState, SubState, Following string
		Path                                                         dbus.ObjectPath
		JobID                                                        uint32
		JobType                                                      string
		JobPath                                                      dbus.ObjectPath
	}
	manager := conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	if err := manager.CallWithContext(ctx, "org.freedesktop.systemd1.Manager.ListUnits", 0).Store(&listed); err != nil {
		return nil, fmt.Errorf("systemd ListUnits: %w", err)
	}
	units := make([]systemdUnit, len(listed))
	for i, l := range listed {
		units[i] = systemdUnit{
			ID: l.ID, Description: l.Description, LoadState: l.LoadState, ActiveState: l.ActiveState,
			SubState: l.SubState, Following: l.Following, ObjectPath: string(l.Path),
			JobID: l.JobID, JobType: l.JobType, JobPath: string(l.JobPath),
		}
	}
	props := []struct {
		iface, name string
		dst         func(u *systemdUnit) **string
	}{
		{"org.freedesktop.systemd1.Unit", "FragmentPath", func(u *systemdUnit) **string { return &u.FragmentPath }},
		{"org.freedesktop.systemd1.Unit", "SourcePath", func(u *systemdUnit) **string { return &u.SourcePath }},
		{"org.freedesktop.systemd1.Service", "User", func(u *systemdUnit) **string { return &u.User }},
		{"org.freedesktop.systemd1.Unit", "UnitFileState", func(u *systemdUnit) **string { return &u.UnitFileState }},
	}
	for start := 0; start < len(units); start += systemdPropertyBatch {
		end := min(start+systemdPropertyBatch, len(units))
		type pending struct {
			call *dbus.Call
			dst  **string
		}
		var calls []pending
		for i := start; i < end; i++ {
			obj := conn.Object("org.freedesktop.systemd1", dbus.ObjectPath(units[i].ObjectPath))
			for _, p := range props {
				c := obj.GoWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, make(chan *dbus.Call, 1), p.iface, p.name)
				calls = append(calls, pending{c, p.dst(&units[i])})
			}
		}
		for _, c := range calls {
			select {
			case <-c.call.Done:
			case <-ctx.Done():
				return nil, fmt.Errorf("systemd unit properties: %w", ctx.Err())
			}
			var v dbus.Variant
			if c.call.Err != nil || c.call.Store(&v) != nil {
				continue
			}
			if s, ok := v.Value().(string); ok {
				*c.dst = &s
			}
		}
	}
	return json.Marshal(units)
}
