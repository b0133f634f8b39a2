package tables

import (
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("block_devices", func() *table.Table {
		return &table.Table{
			Name:        "block_devices",
			Description: "Block (buffered access) device file nodes: disks, ramdisks, and DMG containers.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name", table.Index),
				table.TextColumn("parent"),
				table.TextColumn("vendor"),
				table.TextColumn("model"),
				table.TextColumn("serial"),
				table.BigIntColumn("size"),
				table.IntegerColumn("block_size"),
				table.TextColumn("uuid").WithCollate("nocase"),
				table.TextColumn("type"),
				table.TextColumn("label"),
			},
			Generate: genBlockDevices,
		}
	})
}

// blockDevice is one entry of /sys/class/block as osquery's sysfs block
// device enumeration sees it.
type blockDevice struct {
	name, parent          string // "/dev/sda1", "/dev/sda"
	sysPath               string // resolved /sys/devices/... directory
	vendor, model, serial string
	size, blockSize       string // sysfs text; "" when absent
	uuid, fsType, label   string // the filesystem probe (udev's blkid)
	state                 uint8  // 0 new, 1 in progress, 2 done
}

// blockDeviceAttrs are read in this order: the first wwid or serial and the
// first vendor found win, as in osquery.
var blockDeviceAttrs = []string{"device/model", "device/wwid", "device/vendor", "device/device/vendor", "device/serial", "size", "queue/logical_block_size"}

// genBlockDevices lists /sys/class/block as osquery does since it stopped
// using libudev: each entry's sysfs directory gives the size, logical block
// size, and, for whole disks, the model, serial (wwid first) and vendor,
// which partitions and stacked devices inherit from their parent. The
// parent is the enclosing disk, or the first entry of slaves/ for a device
// mapper or md device. The filesystem uuid, type and label come from the
// udev database (/run/udev/data/b<maj>:<min>), which holds what libblkid
// found; osquery runs libblkid itself, which needs root. A name constraint
// limits the rows.
func genBlockDevices(q *table.Query, yield func(table.Row) bool) error {
	probe := q.Used("uuid", "type", "label")
	devs, want := enumerateBlockDevs(q)
	for _, name := range sortedBlockDevNames(devs) {
		if want != nil && !want[name] {
			continue
		}
		d := devs[name]
		blockDevMetadata(q, devs, d, probe, 0)
		r := q.NewRow()
		r.Set("name", table.Text(d.name))
		r.Set("parent", table.Text(d.parent))
		r.Set("vendor", table.Text(d.vendor))
		r.Set("model", table.Text(d.model))
		r.Set("serial", table.Text(d.serial))
		r.Set("size", blockDevInt(d.size))
		r.Set("block_size", blockDevInt(d.blockSize))
		r.Set("uuid", table.Text(d.uuid))
		r.Set("type", table.Text(d.fsType))
		r.Set("label", table.Text(d.label))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

func blockDevInt(s string) table.Value {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return table.Int(v)
	}
	return table.Null
}

func sortedBlockDevNames(devs map[string]*blockDevice) []string {
	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// enumerateBlockDevs reads the names, sysfs directories and parents of all
// block devices, and the name constraint as a set (nil when unconstrained).
func enumerateBlockDevs(q *table.Query) (map[string]*blockDevice, map[string]bool) {
	var want map[string]bool
	if q.Constrained("name") {
		want = map[string]bool{}
		for _, n := range q.EqualTexts("name") {
			want[n] = true
		}
	}
	root := q.Root()
	entries, err := root.ReadDir("/sys/class/block")
	if err != nil {
		q.Warn("cannot list block devices", "err", err)
		return nil, want
	}
	devs := map[string]*blockDevice{}
	for _, e := range entries {
		link := "/sys/class/block/" + e.Name()
		if e.Type()&fs.ModeSymlink == 0 {
			continue // not a device link
		}
		sysPath, ok := storageRealpath(root, link)
		if !ok {
			continue
		}
		if _, err := root.Stat(sysPath + "/uevent"); err != nil {
			continue
		}
		d := &blockDevice{name: "/dev/" + path.Base(sysPath), sysPath: sysPath}
		parent := path.Base(path.Dir(sysPath))
		if parent == "block" {
			parent = ""
			if slaves, err := root.ReadDir(sysPath + "/slaves"); err == nil && len(slaves) > 0 {
				parent = slaves[0].Name()
			}
		}
		if parent != "" {
			d.parent = "/dev/" + parent
		}
		devs[d.name] = d
	}
	return devs, want
}

// blockDevMetadata reads a device's sysfs attributes, after its parent's so
// that it inherits the parent's model, serial and vendor, and its
// filesystem probe when probe is set.
func blockDevMetadata(q *table.Query, devs map[string]*blockDevice, d *blockDevice, probe bool, depth int) {
	if d.state != 0 {
		return
	}
	d.state = 1
	root := q.Root()
	for _, a := range blockDeviceAttrs {
		b, err := root.ReadFileLimit(d.sysPath+"/"+a, 64<<10)
		if err != nil || len(b) == 0 {
			continue
		}
		v := strings.Trim(string(b), "\n\t ")
		switch a {
		case "device/model":
			d.model = v
		case "device/wwid", "device/serial":
			if d.serial == "" {
				d.serial = v
			}
		case "device/vendor", "device/device/vendor":
			if d.vendor == "" {
				d.vendor = v
			}
		case "size":
			d.size = v
		case "queue/logical_block_size":
			d.blockSize = v
		}
	}
	if p, ok := devs[d.parent]; ok && depth < 32 {
		blockDevMetadata(q, devs, p, probe, depth+1)
		d.model, d.serial, d.vendor = p.model, p.serial, p.vendor
	}
	if probe {
		if dev, ok := storageSysAttr(root, d.sysPath+"/dev"); ok {
			if props, ok := udevDBProps(root, "b"+dev); ok {
				d.uuid = udevPropDecoded(props, "ID_FS_UUID")
				d.fsType = props["ID_FS_TYPE"]
				d.label = udevPropDecoded(props, "ID_FS_LABEL")
			}
		}
	}
	d.state = 2
}

// udevPropDecoded returns a udev property from its raw "_ENC" form
// ("USB\x20STICK"), which is what libblkid reports, falling back to the
// plain form, where udev replaced unsafe characters with "_".
func udevPropDecoded(props map[string]string, key string) string {
	if enc, ok := props[key+"_ENC"]; ok {
		return udevDecodeEnc(enc)
	}
	return props[key]
}

// udevDecodeEnc decodes udev's \xNN escapes.
func udevDecodeEnc(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
