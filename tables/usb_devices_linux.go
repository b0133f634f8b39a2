package tables

import (
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("usb_devices", func() *table.Table {
		return &table.Table{
			Name:        "usb_devices",
			Description: "USB devices that are actively plugged into the host system.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("usb_address"),
				table.IntegerColumn("usb_port"),
				table.TextColumn("vendor"),
				table.TextColumn("vendor_id").WithCollate("nocase"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("model"),
				table.TextColumn("model_id").WithCollate("nocase"),
				table.TextColumn("serial"),
				table.TextColumn("class"),
				table.TextColumn("subclass"),
				table.TextColumn("protocol"),
				table.IntegerColumn("removable"),
			},
			Generate: genUSBDevices,
		}
	})
}

// genUSBDevices lists the devices of the usb bus (/sys/bus/usb/devices) that
// have a bus and device number, which leaves out the interfaces, as osquery
// does with libudev. Like libudev, it merges each device's uevent (BUSNUM,
// DEVNUM, TYPE=class/subclass/protocol) with udev's database record
// (/run/udev/data/c189:N), whose ID_VENDOR_ID, ID_MODEL_ID, ID_REVISION,
// ID_SERIAL_SHORT and hwdb names (ID_VENDOR_FROM_DATABASE,
// ID_MODEL_FROM_DATABASE, else ID_MODEL) fill the columns. Where udev has no
// record (a container, no udevd), osquery leaves those columns empty;
// osaudit falls back to the sysfs attributes udev copies them from:
// idVendor, idProduct, bcdDevice, serial, manufacturer and product.
func genUSBDevices(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	entries, err := root.ReadDir("/sys/bus/usb/devices")
	if err != nil {
		q.Warn("cannot list USB devices", "err", err)
		return nil
	}
	for _, e := range entries {
		if q.Context().Err() != nil {
			return nil
		}
		sysPath, ok := storageRealpath(root, "/sys/bus/usb/devices/"+e.Name())
		if !ok {
			continue
		}
		props, hasDB := udevDeviceProps(root, sysPath)
		if props["BUSNUM"] == "" || props["DEVNUM"] == "" {
			continue
		}
		attr := func(name string) string {
			v, _ := storageSysAttr(root, sysPath+"/"+name)
			return v
		}
		r := q.NewRow()
		r.Set("usb_address", usbDevicesInt(props["BUSNUM"]))
		r.Set("usb_port", usbDevicesInt(props["DEVNUM"]))
		vendor, model := props["ID_VENDOR_FROM_DATABASE"], props["ID_MODEL_FROM_DATABASE"]
		if model == "" {
			model = props["ID_MODEL"]
		}
		vendorID, modelID := props["ID_VENDOR_ID"], props["ID_MODEL_ID"]
		version, serial := props["ID_REVISION"], props["ID_SERIAL_SHORT"]
		if !hasDB {
			vendorID, modelID, version = attr("idVendor"), attr("idProduct"), attr("bcdDevice")
			serial, vendor, model = attr("serial"), attr("manufacturer"), attr("product")
		}
		r.Set("vendor", table.Text(vendor))
		r.Set("model", table.Text(model))
		r.Set("vendor_id", table.Text(vendorID))
		r.Set("model_id", table.Text(modelID))
		r.Set("version", table.Text(version))
		r.Set("serial", table.Text(serial))
		class, subclass, protocol := "", "", ""
		if f := strings.Split(props["TYPE"], "/"); len(f) == 3 {
			class, subclass, protocol = f[0], f[1], f[2]
		}
		r.Set("class", table.Text(class))
		r.Set("subclass", table.Text(subclass))
		r.Set("protocol", table.Text(protocol))
		// osquery: -1 when the kernel says "unknown", else 1 (also for
		// "fixed", and when the attribute is missing).
		if attr("removable") == "unknown" {
			r.Set("removable", table.Int(-1))
		} else {
			r.Set("removable", table.Int(1))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// usbDevicesInt reads BUSNUM/DEVNUM ("001") as osquery's INTEGER column
// does; NULL when not a number.
func usbDevicesInt(s string) table.Value {
	if v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return table.Int(v)
	}
	return table.Null
}
