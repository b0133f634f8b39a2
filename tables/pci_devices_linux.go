package tables

import (
	"bufio"
	"io"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("pci_devices", func() *table.Table {
		return &table.Table{
			Name:        "pci_devices",
			Description: "PCI devices active on the host system.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("pci_slot"),
				table.TextColumn("pci_class"),
				table.TextColumn("driver"),
				table.TextColumn("vendor"),
				table.TextColumn("vendor_id").WithCollate("nocase"),
				table.TextColumn("model"),
				table.TextColumn("model_id").WithCollate("nocase"),
				table.TextColumn("pci_class_id").WithCollate("nocase"),
				table.TextColumn("pci_subclass_id").WithCollate("nocase"),
				table.TextColumn("pci_subclass"),
				table.TextColumn("subsystem_vendor_id").WithCollate("nocase"),
				table.TextColumn("subsystem_vendor"),
				table.TextColumn("subsystem_model_id").WithCollate("nocase"),
				table.TextColumn("subsystem_model"),
			},
			Generate: genPCIDevices,
		}
	})
}

// pciIDsPaths are where osquery looks for the PCI ID database.
var pciIDsPaths = []string{"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"}

// pciIDsMaxSize bounds the pci.ids read (the real file is about 1.4 MB).
const pciIDsMaxSize = 16 << 20

// genPCIDevices lists /sys/bus/pci/devices as osquery does with libudev:
// the uevent gives the slot, driver, class (PCI_CLASS) and ids (PCI_ID,
// PCI_SUBSYS_ID); udev's database (/run/udev/data/+pci:<slot>) gives the
// hwdb class, subclass, vendor and model names; pci.ids, when present,
// gives newer vendor, model and subsystem names. osquery returns no rows at
// all without a pci.ids file; osaudit warns and keeps the udev names.
func genPCIDevices(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	entries, err := root.ReadDir("/sys/bus/pci/devices")
	if err != nil {
		q.Warn("cannot list PCI devices", "err", err)
		return nil
	}
	db := pciIDsDB{}
	if q.Used("vendor", "model", "subsystem_vendor", "subsystem_model") {
		found := false
		for _, p := range pciIDsPaths {
			f, err := root.Open(p)
			if err != nil {
				continue
			}
			db = parsePCIIDs(io.LimitReader(f, pciIDsMaxSize))
			f.Close()
			found = true
			break
		}
		if !found {
			q.Warn("no pci.ids database; names come from udev only", "paths", strings.Join(pciIDsPaths, " "))
		}
	}
	for _, e := range entries {
		if q.Context().Err() != nil {
			return nil
		}
		sysPath, ok := storageRealpath(root, "/sys/bus/pci/devices/"+e.Name())
		if !ok {
			continue
		}
		props, _ := udevDeviceProps(root, sysPath)
		r := q.NewRow()
		r.Set("pci_slot", table.Text(props["PCI_SLOT_NAME"]))
		r.Set("pci_class", table.Text(props["ID_PCI_CLASS_FROM_DATABASE"]))
		r.Set("pci_subclass", table.Text(props["ID_PCI_SUBCLASS_FROM_DATABASE"]))
		r.Set("driver", table.Text(props["DRIVER"]))
		r.Set("vendor", table.Text(props["ID_VENDOR_FROM_DATABASE"]))
		r.Set("model", table.Text(props["ID_MODEL_FROM_DATABASE"]))
		pciDevicesIDs(r, props["PCI_ID"], props["PCI_SUBSYS_ID"], db)
		if class, sub, ok := pciClassIDs(props["PCI_CLASS"]); ok {
			r.Set("pci_class_id", table.Text(class))
			r.Set("pci_subclass_id", table.Text(sub))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// pciDevicesIDs fills the id columns and the pci.ids names. A malformed
// PCI_ID gives ids "0" (osquery's legacy value); a malformed PCI_SUBSYS_ID
// leaves the subsystem columns NULL.
func pciDevicesIDs(r table.Row, pciID, subsysID string, db pciIDsDB) {
	vendor, model, ok := pciSplitIDs(pciID)
	if !ok {
		r.Set("vendor_id", table.Text("0"))
		r.Set("model_id", table.Text("0"))
		return
	}
	r.Set("vendor_id", table.Text("0x"+vendor))
	r.Set("model_id", table.Text("0x"+model))
	if v, ok := db[vendor]; ok {
		r.Set("vendor", table.Text(v.name))
		if m, ok := v.models[model]; ok {
			r.Set("model", table.Text(m.name))
		}
	}
	subVendor, subModel, ok := pciSplitIDs(subsysID)
	if !ok {
		return
	}
	r.Set("subsystem_vendor_id", table.Text("0x"+subVendor))
	r.Set("subsystem_model_id", table.Text("0x"+subModel))
	if v, ok := db[subVendor]; ok {
		r.Set("subsystem_vendor", table.Text(v.name))
	}
	if v, ok := db[vendor]; ok {
		if m, ok := v.models[model]; ok {
			if s, ok := m.subsystems[subVendor+" "+subModel]; ok {
				r.Set("subsystem_model", table.Text(s))
			}
		}
	}
}

// pciSplitIDs splits "8086:1237" into lower-case vendor and model ids; it
// fails unless there is exactly one colon with text after it.
func pciSplitIDs(s string) (vendor, model string, ok bool) {
	s = strings.ToLower(s)
	vendor, model, ok = strings.Cut(s, ":")
	if !ok || model == "" || strings.Contains(model, ":") {
		return "", "", false
	}
	return vendor, model, true
}

// pciClassIDs splits PCI_CLASS (class, subclass, programming interface in
// hex, without leading zeros: "30000", "C0330") as osquery does.
func pciClassIDs(s string) (class, subclass string, ok bool) {
	s = strings.ToLower(s)
	switch len(s) {
	case 5:
		return "0x0" + s[:1], "0x" + s[1:3], true
	case 6:
		return "0x" + s[:2], "0x" + s[2:4], true
	}
	return "", "", false
}

// pciIDsDB is the vendor part of pci.ids: vendor id to name and models.
type pciIDsDB map[string]*pciIDsVendor

type pciIDsVendor struct {
	name   string
	models map[string]*pciIDsModel
}

type pciIDsModel struct {
	name       string
	subsystems map[string]string // "1af4 1100" -> name
}

// parsePCIIDs reads pci.ids as osquery's PciDB does: "vvvv  name" vendor
// lines, "\tdddd  name" device lines and "\t\tssss ssss  name" subsystem
// lines, each attached to the latest line above it; "#" starts a comment;
// the first definition of an id wins; parsing stops at vendor "ffff", where
// the device class section begins. Lines that are too short or out of place
// are skipped.
func parsePCIIDs(r io.Reader) pciIDsDB {
	db := pciIDsDB{}
	var vendor *pciIDsVendor
	var model *pciIDsModel
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, " \t\r\n\v\f")
		switch strings.IndexAny(line, "0123456789abcdef") {
		case 0:
			if len(line) < 7 {
				continue
			}
			id := line[:4]
			if _, dup := db[id]; dup {
				continue // osquery keeps the first and does not switch vendor
			}
			if id == "ffff" {
				return db
			}
			vendor = &pciIDsVendor{name: line[6:], models: map[string]*pciIDsModel{}}
			db[id] = vendor
		case 1:
			if len(line) < 8 || vendor == nil {
				continue
			}
			id := line[1:5]
			if _, dup := vendor.models[id]; dup {
				continue
			}
			model = &pciIDsModel{name: line[7:], subsystems: map[string]string{}}
			vendor.models[id] = model
		case 2:
			if len(line) < 12 || model == nil {
				continue
			}
			key := line[2:11]
			if _, dup := model.subsystems[key]; !dup {
				model.subsystems[key] = strings.TrimSpace(line[11:])
			}
		}
	}
	return db
}
