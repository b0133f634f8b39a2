package tables

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("smbios_tables", func() *table.Table {
		return &table.Table{
			Name:        "smbios_tables",
			Description: "BIOS (DMI) structure common details and content. Not available on ARM architectures.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("number"),
				table.IntegerColumn("type"),
				table.TextColumn("description"),
				table.IntegerColumn("handle"),
				table.IntegerColumn("header_size"),
				table.IntegerColumn("size"),
				table.TextColumn("md5").WithCollate("nocase"),
			},
			Generate: genSMBIOSTables,
		}
	})
}

// smbiosDMIPath is the raw SMBIOS structure table the kernel exposes
// (readable by root only).
const smbiosDMIPath = "/sys/firmware/dmi/tables/DMI"

// smbiosDMIMax bounds the read; real tables are a few KiB (SMBIOS 3 allows
// up to 4 GiB in theory).
const smbiosDMIMax = 16 << 20

// smbiosTypeDescriptions is osquery's table of structure type names.
var smbiosTypeDescriptions = map[uint8]string{
	0: "BIOS Information", 1: "System Information", 2: "Base Board or Module Information",
	3: "System Enclosure or Chassis", 4: "Processor Information", 5: "Memory Controller Information",
	6: "Memory Module Information", 7: "Cache Information", 8: "Port Connector Information",
	9: "System Slots", 10: "On Board Devices Information", 11: "OEM Strings",
	12: "System Configuration Options", 13: "BIOS Language Information", 14: "Group Associations",
	15: "System Event Log", 16: "Physical Memory Array", 17: "Memory Device",
	18: "32-bit Memory Error Information", 19: "Memory Array Mapped Address", 20: "Memory Device Mapped Address",
	21: "Built-in Pointing Device", 22: "Portable Battery", 23: "System Reset",
	24: "Hardware Security", 25: "System Power Controls", 26: "Voltage Probe",
	27: "Cooling Device", 28: "Temperature Probe", 29: "Electrical Current Probe",
	30: "Out-of-Band Remote Access", 31: "Boot Integrity Services", 32: "System Boot Information",
	33: "64-bit Memory Error Information", 34: "Management Device", 35: "Management Device Component",
	36: "Management Device Threshold Data", 37: "Memory Channel", 38: "IPMI Device Information",
	39: "System Power Supply", 40: "Additional Information", 41: "Onboard Devices Extended Info",
	126: "Inactive", 127: "End-of-Table", 130: "Memory SPD Data",
	131: "OEM Processor Type", 132: "OEM Processor Bus Speed",
}

// smbiosStructure is one structure of the SMBIOS table.
type smbiosStructure struct {
	typ       uint8
	headerLen uint8 // the formatted area's length, as the header says
	handle    uint16
	raw       []byte // formatted area and strings, double NUL included
}

// genSMBIOSTables reports each structure of the raw SMBIOS table in
// /sys/firmware/dmi/tables/DMI, numbered in table order, with an MD5 of its
// bytes (formatted area and strings). osquery falls back to the EFI systab
// and /dev/mem when the sysfs node is unreadable; osaudit does not read
// physical memory.
func genSMBIOSTables(q *table.Query, yield func(table.Row) bool) error {
	data, err := readSMBIOSTable(q.Root())
	if err != nil {
		q.Warn("cannot read the SMBIOS table", "err", err)
		return nil
	}
	for i, s := range parseSMBIOSTables(data) {
		r := q.NewRow()
		r.Set("number", table.Int(int64(i)))
		r.Set("type", table.Int(int64(s.typ)))
		desc, ok := smbiosTypeDescriptions[s.typ]
		if !ok {
			desc = "Unknown"
		}
		r.Set("description", table.Text(desc))
		r.Set("handle", table.Int(int64(s.handle)))
		r.Set("header_size", table.Int(int64(s.headerLen)))
		r.Set("size", table.Int(int64(len(s.raw))))
		sum := md5.Sum(s.raw)
		r.Set("md5", table.Text(hex.EncodeToString(sum[:])))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// readSMBIOSTable reads the DMI table; a table over the limit is cut there.
func readSMBIOSTable(root *hostfs.Root) ([]byte, error) {
	b, err := root.ReadFileLimit(smbiosDMIPath, smbiosDMIMax)
	if errors.Is(err, hostfs.ErrTooLarge) {
		return b, nil
	}
	return b, err
}

// parseSMBIOSTables splits a raw SMBIOS table into structures as osquery's
// SMBIOSParser does: a 4-byte header (type, length, handle), the formatted
// area of that length, then strings up to a double NUL. It stops at a
// header that would run past the end, at an all-zero header (padding), or
// when fewer than 4 bytes remain; a structure whose strings never end takes
// what is left.
func parseSMBIOSTables(data []byte) []smbiosStructure {
	var out []smbiosStructure
	end := len(data)
	t := 0
	for t+4 <= end {
		typ, length := data[t], int(data[t+1])
		handle := binary.LittleEndian.Uint16(data[t+2 : t+4])
		if t+length > end {
			break
		}
		if length == 0 && handle == 0 {
			break
		}
		next := t + length
		for ; next+4 <= end; next++ {
			if data[next] == 0 && data[next+1] == 0 {
				next += 2
				break
			}
		}
		out = append(out, smbiosStructure{typ: typ, headerLen: uint8(length), handle: handle, raw: data[t:next]})
		t = next
	}
	return out
}
