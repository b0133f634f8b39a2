package tables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/osaudit/osaudit/internal/sqlitefile"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("rpm_packages", func() *table.Table {
		return &table.Table{
			Name:        "rpm_packages",
			Description: "RPM packages that are currently installed on the host system.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("name", table.Index, table.Optimized),
				table.TextColumn("version", table.Index).WithCollate("version_rhel"),
				table.TextColumn("release", table.Index),
				table.TextColumn("source"),
				table.BigIntColumn("size"),
				table.TextColumn("sha1").WithCollate("nocase"),
				table.TextColumn("arch", table.Index),
				table.IntegerColumn("epoch", table.Index),
				table.IntegerColumn("install_time"),
				table.TextColumn("vendor"),
				table.TextColumn("package_group"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genRPMPackages,
		}
	})
}

// rpmDBDirs are where rpm keeps its database: /var/lib/rpm (RHEL, Rocky,
// CentOS, Amazon Linux) and /usr/lib/sysimage/rpm (Fedora 36 and later,
// openSUSE), often with a symlink from one to the other.
var rpmDBDirs = []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm"}

// RPM header tags the table reads.
const (
	rpmTagSHA1Header  = 269
	rpmTagName        = 1000
	rpmTagVersion     = 1001
	rpmTagRelease     = 1002
	rpmTagEpoch       = 1003
	rpmTagInstallTime = 1008
	rpmTagSize        = 1009
	rpmTagVendor      = 1011
	rpmTagGroup       = 1016
	rpmTagArch        = 1022
	rpmTagSourceRPM   = 1044
)

// genRPMPackages lists the packages of the rpm database. Like osquery,
// which asks librpm for them, it reads the headers rpm stores; it reads
// the SQLite database of rpm 4.16 and later (rpmdb.sqlite, with its
// write-ahead log) itself. Berkeley DB (Packages) and NDB (Packages.db)
// databases are reported as unsupported. An equality on name is looked up
// in rpm's Name index, as librpm does for osquery.
func genRPMPackages(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	for _, dir := range rpmDBDirs {
		db := path.Join(dir, "rpmdb.sqlite")
		if pkgIsFile(root, db) {
			genRPMSQLite(q, db, yield)
			return nil
		}
		for _, legacy := range []string{"Packages", "Packages.db"} {
			if p := path.Join(dir, legacy); pkgIsFile(root, p) {
				q.Warn("unsupported rpmdb format (only rpm's SQLite database is read)", "file", p)
				return nil
			}
		}
	}
	q.Warn("no rpm database", "dirs", rpmDBDirs)
	return nil
}

func genRPMSQLite(q *table.Query, dbPath string, yield func(table.Row) bool) {
	root := q.Root()
	f, err := root.Open(dbPath)
	if err != nil {
		q.Warn("cannot read the rpm database", "file", dbPath, "err", err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		q.Warn("cannot read the rpm database", "file", dbPath, "err", err)
		return
	}
	db, err := sqlitefile.Open(f, fi.Size())
	if err != nil {
		q.Warn("cannot read the rpm database", "file", dbPath, "err", err)
		return
	}
	if wal, err := root.Open(dbPath + "-wal"); err == nil {
		defer wal.Close()
		if wi, err := wal.Stat(); err == nil {
			if _, err := db.ApplyWAL(wal, wi.Size()); err != nil {
				q.Warn("cannot read the rpm database's write-ahead log", "file", dbPath+"-wal", "err", err)
			}
		}
	}
	pkgs, err := db.Table("Packages")
	if err != nil {
		q.Warn("cannot read the rpm database", "file", dbPath, "err", err)
		return
	}
	stopped := false
	emit := func(hnum int64, rec sqlitefile.Record, names []string) bool {
		if q.Context().Err() != nil {
			stopped = true
			return false
		}
		blob, err := rec.Column(1)
		if err != nil || (blob.Kind != sqlitefile.KindBlob && blob.Kind != sqlitefile.KindText) {
			q.Warn("skipping an rpm database row without a header", "hnum", hnum, "err", err)
			return true
		}
		h, err := parseRPMHeader(blob.Bytes)
		if err != nil {
			q.Warn("skipping a malformed rpm header", "hnum", hnum, "err", err)
			return true
		}
		if len(names) > 0 {
			name, _ := h.str(rpmTagName)
			if !slices.Contains(names, name) {
				return true
			}
		}
		if !yield(rpmPackageRow(q, h)) {
			stopped = true
			return false
		}
		return true
	}

	names := q.EqualTexts("name")
	if len(names) > 0 {
		if hnums, ok := rpmNameLookup(db, names); ok {
			for _, hnum := range hnums {
				_, err := db.Lookup(pkgs.Root, hnum, func(rec sqlitefile.Record) { emit(hnum, rec, names) })
				if err != nil {
					q.Warn("cannot read the rpm database", "file", dbPath, "err", err)
					return
				}
				if stopped {
					return
				}
			}
			return
		}
	}
	err = db.Scan(pkgs.Root, func(hnum int64, rec sqlitefile.Record) bool { return emit(hnum, rec, names) })
	if err != nil && !stopped {
		q.Warn("cannot read the whole rpm database", "file", dbPath, "err", err)
	}
}

// rpmNameLookup finds the header numbers of packages by name in rpm's Name
// index table (key, hnum, idx). ok is false when there is no usable index.
func rpmNameLookup(db *sqlitefile.File, names []string) (hnums []int64, ok bool) {
	idx, err := db.Table("Name")
	if err != nil {
		return nil, false
	}
	seen := map[int64]bool{}
	err = db.Scan(idx.Root, func(_ int64, rec sqlitefile.Record) bool {
		key, err1 := rec.Column(0)
		hnum, err2 := rec.Column(1)
		if err1 != nil || err2 != nil || hnum.Kind != sqlitefile.KindInt {
			return true
		}
		if slices.Contains(names, string(key.Bytes)) && !seen[hnum.Int] {
			seen[hnum.Int] = true
			hnums = append(hnums, hnum.Int)
		}
		return true
	})
	if err != nil {
		return nil, false
	}
	slices.Sort(hnums)
	return hnums, true
}

// rpmPackageRow builds a row as osquery's getRpmAttribute does: a string
// tag the header lacks is "", a number it lacks is NULL.
func rpmPackageRow(q *table.Query, h rpmHeader) table.Row {
	r := q.NewRow()
	for col, tag := range map[string]int32{
		"name": rpmTagName, "version": rpmTagVersion, "release": rpmTagRelease, "source": rpmTagSourceRPM,
		"sha1": rpmTagSHA1Header, "arch": rpmTagArch, "vendor": rpmTagVendor, "package_group": rpmTagGroup,
	} {
		s, _ := h.str(tag)
		r.Set(col, table.Text(s))
	}
	for col, tag := range map[string]int32{"size": rpmTagSize, "epoch": rpmTagEpoch, "install_time": rpmTagInstallTime} {
		if n, ok := h.num(tag); ok {
			r.Set(col, table.Uint(n))
		}
	}
	r.Set("pid_with_namespace", table.Int(0))
	return r
}

// RPM header data types.
const (
	rpmTypeNull = iota
	rpmTypeChar
	rpmTypeInt8
	rpmTypeInt16
	rpmTypeInt32
	rpmTypeInt64
	rpmTypeString
	rpmTypeBin
	rpmTypeStringArray
	rpmTypeI18NString
)

// Limits rpm itself puts on a header (hdrchkTags, hdrchkData).
const (
	rpmMaxTags = 0xffff
	rpmMaxData = 256 << 20
)

var errRPMHeader = errors.New("malformed rpm header")

// rpmHeader is a header blob as rpm stores it in its database: the index
// entry count and data length (32-bit big-endian), the index entries (tag,
// type, offset, count) and the data store they point into.
type rpmHeader struct {
	entries []byte // il entries of 16 bytes
	data    []byte
}

// parseRPMHeader checks the blob's framing as rpm does (at most 65535
// tags and 256 MB of data, and a size that matches); each entry is checked
// when read. The header refers to blob, which it does not copy.
func parseRPMHeader(blob []byte) (rpmHeader, error) {
	if len(blob) < 8 {
		return rpmHeader{}, fmt.Errorf("%w: %d bytes", errRPMHeader, len(blob))
	}
	il, dl := binary.BigEndian.Uint32(blob), binary.BigEndian.Uint32(blob[4:])
	if il < 1 || il > rpmMaxTags || dl > rpmMaxData {
		return rpmHeader{}, fmt.Errorf("%w: %d tags, %d data bytes", errRPMHeader, il, dl)
	}
	need := 8 + 16*uint64(il) + uint64(dl)
	if uint64(len(blob)) != need { // rpm checks the blob size exactly too
		return rpmHeader{}, fmt.Errorf("%w: %d bytes, framing says %d", errRPMHeader, len(blob), need)
	}
	return rpmHeader{entries: blob[8 : 8+16*il], data: blob[8+16*il : need]}, nil
}

// entry finds the first index entry of a tag.
func (h rpmHeader) entry(tag int32) (typ, off, count uint32, ok bool) {
	for e := h.entries; len(e) >= 16; e = e[16:] {
		if int32(binary.BigEndian.Uint32(e)) == tag {
			return binary.BigEndian.Uint32(e[4:]), binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:]), true
		}
	}
	return 0, 0, 0, false
}

// str returns a string tag: a STRING, or the first string of an
// I18NSTRING (the "C" locale's) or STRING_ARRAY.
func (h rpmHeader) str(tag int32) (string, bool) {
	typ, off, count, ok := h.entry(tag)
	if !ok || count == 0 || uint64(off) >= uint64(len(h.data)) {
		return "", false
	}
	switch typ {
	case rpmTypeString, rpmTypeStringArray, rpmTypeI18NString:
	default:
		return "", false
	}
	end := bytes.IndexByte(h.data[off:], 0)
	if end < 0 {
		return "", false
	}
	return string(h.data[off : int(off)+end]), true
}

// num returns the first value of a numeric tag, unsigned as librpm's
// rpmtdGetNumber gives it.
func (h rpmHeader) num(tag int32) (uint64, bool) {
	typ, off, count, ok := h.entry(tag)
	if !ok || count == 0 {
		return 0, false
	}
	size := map[uint32]uint32{rpmTypeChar: 1, rpmTypeInt8: 1, rpmTypeInt16: 2, rpmTypeInt32: 4, rpmTypeInt64: 8}[typ]
	if size == 0 || uint64(off)+uint64(size) > uint64(len(h.data)) {
		return 0, false
	}
	b := h.data[off : off+size]
	switch size {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), true
	}
	return binary.BigEndian.Uint64(b), true
}
