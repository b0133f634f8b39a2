package engine

import (
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// osquery's version collations and the comparison behind version_compare,
// reimplemented from osquery 5's documented behaviour and tests:
//
//	version       generic dotted versions
//	version_arch  Arch Linux package versions (pacman)
//	version_dpkg  Debian package versions
//	version_rhel  RPM package versions
//
// They are osquery's heuristic, not ports of dpkg's, rpmvercmp's or pacman's
// own algorithms: a query ordered or filtered with them gives what it gives
// under osquery, including where that differs from the package manager (see
// compareVersions).

// versionFlavor selects the rules of one collation.
type versionFlavor struct {
	// epoch: a version with an epoch ("2:1.0") sorts after one without;
	// between two, the longer epoch is greater.
	epoch bool
	// delimPrecedence: delimiters compare to each other, ~ < - < ^ < . < :.
	delimPrecedence bool
	// compareRemaining: when one version is a prefix of the other, what
	// follows decides: a '~' makes the longer one smaller, a '^' larger, a
	// '-' (a package release) makes them equal.
	compareRemaining bool
	// remainderPrecedence: in that case, a difference found in the last
	// shared segment decides only if that segment did not end in a digit.
	remainderPrecedence bool
}

var (
	flavorGeneric = versionFlavor{}
	flavorArch    = versionFlavor{epoch: true, compareRemaining: true, remainderPrecedence: true}
	flavorDpkg    = versionFlavor{epoch: true, delimPrecedence: true}
	flavorRHEL    = versionFlavor{epoch: true, delimPrecedence: true, compareRemaining: true}
)

// versionCollations are the collations by name, and the version_compare
// flavors by upper-case name.
var versionCollations = []struct {
	name, flavorName string
	flavor           versionFlavor
}{
	{"version", "", flavorGeneric},
	{"version_arch", "ARCH", flavorArch},
	{"version_dpkg", "DPKG", flavorDpkg},
	{"version_rhel", "RHEL", flavorRHEL},
}

// registerCollations adds osquery's version collations to the driver and
// returns their names.
func registerCollations(d *sqlite.Driver) ([]string, error) {
	var names []string
	for _, c := range versionCollations {
		fl := c.flavor
		if err := d.RegisterCollationUtf8(c.name, func(l, r string) int {
			return compareVersions(l, r, fl)
		}); err != nil {
			return nil, fmt.Errorf("register collation %s: %w", c.name, err)
		}
		names = append(names, c.name)
	}
	return names, nil
}

// flavorByName finds a version_compare flavor: ARCH, DPKG or RHEL as osquery
// has them, or a collation name, in any case.
func flavorByName(name string) (versionFlavor, bool) {
	for _, c := range versionCollations {
		if (c.flavorName != "" && asciiEqualFold(name, c.flavorName)) || asciiEqualFold(name, c.name) {
			return c.flavor, true
		}
	}
	return versionFlavor{}, false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// delimiterRank is a version delimiter's precedence, 0 for any other byte.
func delimiterRank(c byte) int {
	switch c {
	case '~':
		return 1
	case '-':
		return 2
	case '^':
		return 3
	case '.':
		return 4
	case ':':
		return 5
	}
	return 0
}

// compareVersions orders two versions the way osquery's collations do and
// returns -1, 0 or 1. The versions are read byte by byte in segments split
// at the delimiters ~ - ^ . :
//
//   - The empty version is the smallest.
//   - With epochs (all but "version"), a version containing ':' is greater
//     than one without; if both have one, the one whose ':' comes later is
//     greater.
//   - Within a segment the first differing byte is remembered. At a
//     position where only one version has a delimiter, the other (its
//     segment goes on) is greater. Where both have one, the remembered
//     difference decides, then (dpkg, rhel) the delimiters' precedence.
//   - Versions of equal length that got this far are ordered by the
//     remembered difference.
//   - Otherwise one runs out first; see versionFlavor for how the
//     remainder decides. By default the remembered difference decides if
//     the longer one goes on with a delimiter, else the longer is greater.
//
// So "1.10" > "1.9" and "1.0" < "1.0.1" everywhere, but with dpkg
// "1.0~rc1" > "1.0" (dpkg itself says <) and letters sort by ASCII ("1.0a"
// < "1.0+" where dpkg says >). Bytes compare unsigned.
func compareVersions(l, r string, f versionFlavor) int {
	switch {
	case l == r:
		return 0
	case l == "":
		return -1
	case r == "":
		return 1
	}
	if f.epoch {
		le, re := strings.IndexByte(l, ':'), strings.IndexByte(r, ':')
		switch {
		case le >= 0 && re >= 0:
			if le != re {
				return sign(le - re)
			}
		case le >= 0:
			return 1
		case re >= 0:
			return -1
		}
	}
	diff := 0
	n := min(len(l), len(r))
	for i := 0; i < n; i++ {
		ld, rd := delimiterRank(l[i]), delimiterRank(r[i])
		switch {
		case ld == 0 && rd == 0:
			if diff == 0 {
				diff = int(l[i]) - int(r[i])
			}
			continue
		case ld == 0:
			return 1
		case rd == 0:
			return -1
		}
		if diff != 0 {
			return sign(diff)
		}
		if f.delimPrecedence && ld != rd {
			return sign(ld - rd)
		}
	}
	if len(l) == len(r) {
		return sign(diff)
	}
	return compareRemainder(l, r, n, diff, f)
}

// compareRemainder decides between versions that agree up to pos, where the
// shorter one ends.
func compareRemainder(l, r string, pos, diff int, f versionFlavor) int {
	if len(l) == pos {
		return -remainderOrder(r[pos], l[pos-1], diff*-1, f)
	}
	return remainderOrder(l[pos], r[pos-1], diff, f)
}

// remainderOrder orders the longer version (whose next byte is next) against
// the shorter (whose last byte is last); diff is the pending difference
// from the longer one's side.
func remainderOrder(next, last byte, diff int, f versionFlavor) int {
	if f.compareRemaining {
		switch next {
		case '~':
			return -1
		case '-':
			return 0
		case '^':
			return 1
		}
		if diff != 0 && (!f.remainderPrecedence || !isDigit(last)) {
			return sign(diff)
		}
	} else if diff != 0 && delimiterRank(next) > 0 {
		return sign(diff)
	}
	return 1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
