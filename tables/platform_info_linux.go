package tables

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("platform_info", func() *table.Table {
		return &table.Table{
			Name:        "platform_info",
			Description: "Information about EFI/UEFI/ROM and platform/boot. Not available on ARM architectures.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("vendor"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("date"),
				table.TextColumn("revision"),
				table.TextColumn("extra"),
				table.TextColumn("firmware_type"),
				table.TextColumn("address"),
				table.TextColumn("size"),
				table.IntegerColumn("volume_size"),
			},
			Generate: genPlatformInfo,
		}
	})
}

// biosInfo is the SMBIOS BIOS Information structure (type 0) as
// platform_info reports it.
type biosInfo struct {
	vendor, version, date, revision string
	address, size                   string
	hasRevision, hasAddress         bool
}

// genPlatformInfo reports the BIOS Information structure. osquery parses
// the whole SMBIOS table (/sys/firmware/dmi/tables/DMI, root only); osaudit
// reads the same structure from /sys/firmware/dmi/entries/0-0/raw (also
// root only) and, when that is unreadable, the kernel's world-readable
// copies of its strings in /sys/class/dmi/id/bios_*, leaving address and
// size NULL. osquery gives no row without root; osaudit still gives one.
// firmware_type is "uefi" when /sys/firmware/efi exists, else "bios", as
// osquery's getFirmwareKind decides.
func genPlatformInfo(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	bi, err := readBIOSInfo(root)
	if err != nil {
		q.Warn("no SMBIOS BIOS information", "err", err)
		return nil
	}
	r := q.NewRow()
	r.Set("vendor", table.Text(bi.vendor))
	r.Set("version", table.Text(bi.version))
	r.Set("date", table.Text(bi.date))
	if bi.hasRevision {
		r.Set("revision", table.Text(bi.revision))
	}
	if bi.hasAddress {
		r.Set("address", table.Text(bi.address))
		r.Set("size", table.Text(bi.size))
	}
	r.Set("volume_size", table.Int(0))
	r.Set("extra", table.Text(""))
	firmware := "bios"
	if fi, err := root.Stat("/sys/firmware/efi"); err == nil && fi.IsDir() {
		firmware = "uefi"
	}
	r.Set("firmware_type", table.Text(firmware))
	yield(r)
	return nil
}

var errNoBIOSInfo = errors.New("neither /sys/firmware/dmi/entries/0-0/raw nor /sys/class/dmi/id/bios_vendor is readable")

// readBIOSInfo reads the BIOS structure from the raw DMI entry, or its
// strings from /sys/class/dmi/id.
func readBIOSInfo(root *hostfs.Root) (biosInfo, error) {
	if raw, err := root.ReadFileLimit("/sys/firmware/dmi/entries/0-0/raw", 64<<10); err == nil {
		if bi, err := parseSMBIOSBIOS(raw); err == nil {
			return bi, nil
		}
	}
	const dir = "/sys/class/dmi/id/"
	vendor, err := sysReadAttr(root, dir+"bios_vendor")
	if err != nil {
		return biosInfo{}, errNoBIOSInfo
	}
	bi := biosInfo{vendor: sysTrimRight(vendor)}
	bi.version, _ = sysReadAttr(root, dir+"bios_version")
	bi.date, _ = sysReadAttr(root, dir+"bios_date")
	if rev, err := sysReadAttr(root, dir+"bios_release"); err == nil && rev != "" {
		bi.revision, bi.hasRevision = rev, true
	}
	return bi, nil
}

var errSMBIOSStruct = errors.New("malformed SMBIOS structure")

// parseSMBIOSBIOS decodes a raw SMBIOS type 0 structure (formatted area
// then its string set) as osquery's genPlatformInfo does.
func parseSMBIOSBIOS(b []byte) (biosInfo, error) {
	const maxOffset = 0x15
	if len(b) < 4 || b[0] != 0 {
		return biosInfo{}, fmt.Errorf("%w: not a BIOS structure", errSMBIOSStruct)
	}
	hdrLen := int(b[1])
	if hdrLen < 4 || hdrLen > len(b) || len(b) <= maxOffset {
		return biosInfo{}, fmt.Errorf("%w: length %d of %d bytes", errSMBIOSStruct, hdrLen, len(b))
	}
	text := b[hdrLen:]
	var bi biosInfo
	bi.vendor = smbiosString(text, b[0x04])
	bi.version = smbiosString(text, b[0x05])
	bi.date = smbiosString(text, b[0x08])
	addr := uint(b[0x07])<<8 + uint(b[0x06])
	a := strconv.FormatUint(uint64(addr), 16)
	for len(a) < 4 {
		a = "0" + a
	}
	bi.address = "0x" + a
	bi.size = strconv.FormatUint(uint64((uint(b[0x09])+1)<<6)*1024, 10)
	bi.hasAddress = true
	bi.revision = strconv.Itoa(int(b[0x14])) + "." + strconv.Itoa(int(b[0x15]))
	bi.hasRevision = true
	return bi, nil
}

// smbiosString returns string number index (1-based) of an SMBIOS string
// set, right-trimmed, as osquery's dmiString does; "" for index 0 or a
// string set that is not NUL-terminated or not UTF-8.
func smbiosString(text []byte, index byte) string {
	if index == 0 || len(text) == 0 || text[len(text)-1] != 0 {
		return ""
	}
	for i := byte(1); ; i++ {
		end := bytes.IndexByte(text, 0)
		if end < 0 {
			return ""
		}
		if i == index {
			s := text[:end]
			if !utf8.Valid(s) {
				return ""
			}
			return sysTrimRight(string(s))
		}
		text = text[end+1:]
		if len(text) == 0 {
			return ""
		}
	}
}
