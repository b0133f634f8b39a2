package tables

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
)

// storageMaxLinks is the symlink budget of storageRealpath, as the kernel's
// (40).
const storageMaxLinks = 40

// storageRealpath is realpath(3) through the host root: every symlink in p
// is resolved (absolute targets from the host's "/"), "." and ".." are
// folded, and every component must exist. A relative p is taken from "/".
func storageRealpath(root *hostfs.Root, p string) (string, bool) {
	rest := strings.Split(p, "/")
	resolved := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, c)
		fi, err := root.Lstat(next)
		if err != nil {
			return "", false
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			links++
			if links > storageMaxLinks {
				return "", false
			}
			target, err := root.Readlink(next)
			if err != nil {
				return "", false
			}
			if strings.HasPrefix(target, "/") {
				resolved = "/"
			}
			rest = append(strings.Split(target, "/"), rest...)
			continue
		}
		if !fi.IsDir() && storageMoreComponents(rest) {
			return "", false // ENOTDIR
		}
		resolved = next
	}
	return resolved, true
}

func storageMoreComponents(rest []string) bool {
	for _, c := range rest {
		if c != "" && c != "." {
			return true
		}
	}
	return false
}

// storageSysAttr reads a small sysfs attribute and trims the newline,
// tabs and spaces around it; ok is false when it cannot be read.
func storageSysAttr(root *hostfs.Root, p string) (string, bool) {
	b, err := root.ReadFileLimit(p, 64<<10)
	if err != nil {
		return "", false
	}
	return strings.Trim(string(b), "\n\t "), true
}

// udevDBProps returns the properties udev stored for a device in
// /run/udev/data/<id> ("b8:0" for a block device, "c189:1" for a character
// device, "+pci:0000:00:02.0" for others); ok is false when udev has no
// record (no udev, or a container).
func udevDBProps(root *hostfs.Root, id string) (map[string]string, bool) {
	if id == "" || strings.Contains(id, "/") {
		return nil, false
	}
	f, err := root.Open("/run/udev/data/" + id)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	return parseUdevDBProps(f), true
}

// parseUdevDBProps reads the "E:KEY=VALUE" property lines of a udev
// database record; other records (S: symlinks, G: tags, I: init time...)
// and malformed lines are ignored.
func parseUdevDBProps(r io.Reader) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("E:"))
		if !ok {
			continue
		}
		k, v, ok := bytes.Cut(rest, []byte{'='})
		if !ok || len(k) == 0 {
			continue
		}
		props[string(k)] = string(v)
	}
	return props
}

// parseSysUevent reads a sysfs uevent file ("KEY=VALUE" lines).
func parseSysUevent(b []byte) map[string]string {
	props := map[string]string{}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{'='})
		if !ok || len(k) == 0 {
			continue
		}
		props[string(k)] = string(v)
	}
	return props
}

// udevDeviceProps merges what libudev reports as a device's properties:
// the kernel's uevent file under sysPath, then udev's database record,
// named from the uevent's MAJOR/MINOR or the device's subsystem as udev
// names it. hasDB reports whether udev had a record.
func udevDeviceProps(root *hostfs.Root, sysPath string) (props map[string]string, hasDB bool) {
	b, err := root.ReadFileLimit(sysPath+"/uevent", 64<<10)
	if err != nil {
		return map[string]string{}, false
	}
	props = parseSysUevent(b)
	db, ok := udevDBProps(root, udevDBID(root, sysPath, props))
	for k, v := range db {
		props[k] = v
	}
	return props, ok
}

// udevDBID names a device's udev database record: b<maj>:<min> or
// c<maj>:<min> for a device node, +<subsystem>:<sysname> otherwise.
func udevDBID(root *hostfs.Root, sysPath string, uevent map[string]string) string {
	subsystem := ""
	if target, err := root.Readlink(sysPath + "/subsystem"); err == nil {
		subsystem = path.Base(target)
	}
	if major, minor := uevent["MAJOR"], uevent["MINOR"]; major != "" && minor != "" {
		if subsystem == "block" {
			return "b" + major + ":" + minor
		}
		return "c" + major + ":" + minor
	}
	if subsystem == "" {
		return ""
	}
	return "+" + subsystem + ":" + path.Base(sysPath)
}
