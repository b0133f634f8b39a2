// Package agent is the osaudit agent's runtime: what the agent knows about
// itself (flags, identity, plugins) and, with the daemon, its schedule,
// results buffer and remote client.
package agent

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// Runtime describes a running agent to the osquery_* tables.
type Runtime struct {
	Start       time.Time
	FlagSet     *flag.FlagSet
	ShellOnly   map[string]bool // flags that only the shell reads
	HostUUID    func() string   // read when osquery_info is queried
	InstanceID  string
	ConfigHash  string
	ConfigValid bool
	Watcher     int64 // the watcher's pid, -1 without one
	Plugin      []table.Plugin
}

var _ table.Runtime = (*Runtime)(nil)

// NewRuntime returns the runtime of this process reading the host at root.
func NewRuntime(root *hostfs.Root, fs *flag.FlagSet) *Runtime {
	return &Runtime{
		Start:      time.Now(),
		FlagSet:    fs,
		ShellOnly:  map[string]bool{},
		HostUUID:   sync.OnceValue(func() string { return HostUUID(root) }),
		InstanceID: RandomUUID(),
		Watcher:    -1,
	}
}

// Info implements table.Runtime.
func (r *Runtime) Info() table.AgentInfo {
	mask := int64(osaudit.PlatformLinux)
	switch runtime.GOOS {
	case "windows":
		mask = osaudit.PlatformWindows
	case "darwin":
		mask = osaudit.PlatformDarwin
	}
	ext := "inactive"
	return table.AgentInfo{
		PID:           int64(os.Getpid()),
		UUID:          r.HostUUID(),
		InstanceID:    r.InstanceID,
		Version:       osaudit.Version,
		ConfigHash:    r.ConfigHash,
		ConfigValid:   r.ConfigValid,
		Extensions:    ext,
		BuildPlatform: runtime.GOOS,
		BuildDistro:   runtime.Version(),
		StartTime:     r.Start.Unix(),
		Watcher:       r.Watcher,
		PlatformMask:  mask,
	}
}

// Flags implements table.Runtime: every flag of the agent's flag set.
func (r *Runtime) Flags() []table.Flag {
	if r.FlagSet == nil {
		return nil
	}
	var out []table.Flag
	r.FlagSet.VisitAll(func(f *flag.Flag) {
		out = append(out, table.Flag{
			Name:        f.Name,
			Type:        flagType(f.Value),
			Description: f.Usage,
			Default:     f.DefValue,
			Value:       f.Value.String(),
			ShellOnly:   r.ShellOnly[f.Name],
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Plugins implements table.Runtime.
func (r *Runtime) Plugins() []table.Plugin { return r.Plugin }

// flagType names a flag's type as osquery does: bool, string, int32,
// uint64, double.
func flagType(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return "string"
	}
	switch reflect.TypeOf(g.Get()).Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int32:
		return "int32"
	case reflect.Int64:
		return "int64"
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "uint64"
	case reflect.Float32, reflect.Float64:
		return "double"
	}
	return "string"
}

// placeholderUUIDs are hardware UUIDs that firmware vendors ship on many
// machines; osquery rejects them as host identifiers.
var placeholderUUIDs = map[string]bool{
	"00000000-0000-0000-0000-000000000000": true,
	"03000200-0400-0500-0006-000700080009": true,
	"03020100-0504-0706-0809-0A0B0C0D0E0F": true,
	"10000000-0000-8000-0040-000000000000": true,
}

// HostUUID returns the host's hardware UUID from DMI, else one derived from
// /etc/machine-id, else "" (the daemon then generates and keeps one).
func HostUUID(root *hostfs.Root) string {
	if b, err := root.ReadFileLimit("/sys/class/dmi/id/product_uuid", 64); err == nil {
		u := strings.ToUpper(strings.TrimSpace(string(b)))
		if len(u) == 36 && !placeholderUUIDs[u] {
			return u
		}
	}
	if b, err := root.ReadFileLimit("/etc/machine-id", 64); err == nil {
		id := strings.TrimSpace(string(b))
		if len(id) == 32 {
			return strings.ToUpper(id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:32])
		}
	}
	return ""
}

// RandomUUID returns a random (version 4) UUID in upper case, as osquery
// writes its instance ids.
func RandomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
}
