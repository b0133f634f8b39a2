// Package osaudit holds the types shared across osaudit: the agent, the
// manager and the admin CLI. It imports only the standard library.
package osaudit

// Version is osaudit's version; release builds set it with
// -ldflags "-X github.com/osaudit/osaudit.Version=...".
var Version = "0.1.0-dev"

// Platform masks as osquery reports them in osquery_info.platform_mask and
// the enroll request's platform_type.
const (
	PlatformLinux   = 9
	PlatformWindows = 2
	PlatformDarwin  = 21
)
