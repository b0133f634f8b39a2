package osquery

import (
	"crypto/sha1"
	"strconv"
	"strings"
)

// CompatVersion is the osquery release whose behaviour osaudit follows. Pack
// and query "version" conditions compare against it: a pack written for
// osquery 1.4.5 runs, one that needs osquery 6 does not.
const CompatVersion = "5.23.1"

// PlatformMatches applies osquery's platform rule to a query or pack
// platform string for a host running goos: "" "any" and "all" match every
// host; otherwise the string matches by substring ("linux", "ubuntu" and
// "centos" mean Linux, "posix" Linux and macOS, "darwin", "windows",
// "freebsd"), and a comma list matches if any item does.
func PlatformMatches(platform, goos string) bool {
	p := strings.ToLower(strings.TrimSpace(platform))
	if p == "" || strings.Contains(p, "any") || strings.Contains(p, "all") {
		return true
	}
	switch goos {
	case "linux":
		return strings.Contains(p, "linux") || strings.Contains(p, "posix") || strings.Contains(p, "ubuntu") || strings.Contains(p, "centos")
	case "darwin":
		return strings.Contains(p, "darwin") || strings.Contains(p, "posix")
	case "windows":
		return strings.Contains(p, "windows")
	case "freebsd":
		return strings.Contains(p, "freebsd") || strings.Contains(p, "posix")
	}
	return false
}

// HostShard is osquery's shard of a host: the first byte of SHA-1 of the
// hostname, scaled to 0..100.
func HostShard(hostname string) int {
	sum := sha1.Sum([]byte(hostname))
	return int(sum[0]) * 100 / 255
}

// ShardMatches reports whether a query with shard N (1..100, 0 for none)
// runs on a host.
func ShardMatches(shard int, hostname string) bool {
	return shard <= 0 || shard >= HostShard(hostname)
}

// VersionAtLeast reports whether version have is at least want, comparing
// dotted numeric parts; "" wants nothing.
func VersionAtLeast(have, want string) bool {
	if strings.TrimSpace(want) == "" {
		return true
	}
	hp, wp := versionParts(have), versionParts(want)
	for i := 0; i < max(len(hp), len(wp)); i++ {
		var h, w int
		if i < len(hp) {
			h = hp[i]
		}
		if i < len(wp) {
			w = wp[i]
		}
		if h != w {
			return h > w
		}
	}
	return true
}

func versionParts(v string) []int {
	v, _, _ = strings.Cut(strings.TrimSpace(v), "-")
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

// PackQueryName is the scheduled name of a pack's query:
// pack<delim><pack><delim><query>.
func PackQueryName(delim, pack, query string) string {
	return "pack" + delim + pack + delim + query
}
