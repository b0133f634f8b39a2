package events

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// udevMessage builds a message as udevd sends it to its multicast group.
func udevMessage(props ...string) []byte {
	body := []byte(strings.Join(props, "\x00") + "\x00")
	h := make([]byte, 40)
	copy(h, "libudev\x00")
	binary.BigEndian.PutUint32(h[8:], udevMagic)
	ne := binary.NativeEndian
	ne.PutUint32(h[12:], 40)
	ne.PutUint32(h[16:], 40)
	ne.PutUint32(h[20:], uint32(len(body)))
	return append(h, body...)
}

func kernelUevent(head string, props ...string) []byte {
	return []byte(head + "\x00" + strings.Join(props, "\x00") + "\x00")
}

func TestParseUevent(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    map[string]string
		wantErr bool
	}{
		{
			name: "udevd",
			in:   udevMessage("ACTION=add", "DEVNAME=/dev/sdb", "DEVTYPE=disk", "ID_VENDOR_ID=0781", "EMPTY="),
			want: map[string]string{"ACTION": "add", "DEVNAME": "/dev/sdb", "DEVTYPE": "disk", "ID_VENDOR_ID": "0781", "EMPTY": ""},
		},
		{
			name: "kernel",
			in:   kernelUevent("change@/devices/virtual/block/loop0", "ACTION=change", "DEVPATH=/devices/virtual/block/loop0", "SUBSYSTEM=block", "DEVNAME=loop0", "DEVTYPE=disk", "junk", "=x"),
			want: map[string]string{"ACTION": "change", "DEVPATH": "/devices/virtual/block/loop0", "SUBSYSTEM": "block", "DEVNAME": "loop0", "DEVTYPE": "disk"},
		},
		{name: "no action", in: kernelUevent("add@/x", "DEVNAME=a"), wantErr: true},
		{name: "not a uevent", in: []byte("hello\x00ACTION=add"), wantErr: true},
		{name: "empty", in: nil, wantErr: true},
		{name: "short udev header", in: []byte("libudev\x00\xfe\xed"), wantErr: true},
		{name: "bad magic", in: func() []byte { b := udevMessage("ACTION=add"); b[8] = 0; return b }(), wantErr: true},
		{name: "properties past the end", in: func() []byte {
			b := udevMessage("ACTION=add")
			binary.NativeEndian.PutUint32(b[20:], 1<<31)
			return b
		}(), wantErr: true},
		{name: "properties inside the header", in: func() []byte {
			b := udevMessage("ACTION=add")
			binary.NativeEndian.PutUint32(b[16:], 8)
			return b
		}(), wantErr: true},
		{name: "too many properties", in: []byte("add@/x\x00ACTION=add\x00" + manyProps(maxUeventProperties+1)), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseUevent(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("properties (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func manyProps(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("K" + itoa(int64(i)) + "=v\x00")
	}
	return b.String()
}

func TestHardwareEventRow(t *testing.T) {
	usb := map[string]string{
		"ACTION": "add", "DEVNAME": "/dev/bus/usb/001/004", "DEVTYPE": "usb_device", "DRIVER": "usb",
		"ID_MODEL_FROM_DATABASE": "Cruzer Blade", "ID_MODEL_ID": "5567", "ID_VENDOR_FROM_DATABASE": "SanDisk Corp.",
		"ID_VENDOR_ID": "0781", "ID_SERIAL_SHORT": "4C530001", "ID_REVISION": "0100",
	}
	tests := []struct {
		name     string
		props    map[string]string
		disabled []string
		want     string
	}{
		{
			name:  "udevd's USB device",
			props: usb,
			want:  "action=add path=/dev/bus/usb/001/004 type=usb_device driver=usb vendor=SanDisk Corp. vendor_id=0781 model=Cruzer Blade model_id=5567 serial=4C530001 revision=0100",
		},
		{
			name:  "a kernel block device: relative DEVNAME",
			props: map[string]string{"ACTION": "change", "DEVNAME": "loop0", "DEVTYPE": "disk", "SUBSYSTEM": "block"},
			want:  "action=change path=/dev/loop0 type=disk driver= vendor= vendor_id= model= model_id= serial= revision=",
		},
		{
			name:  "a kernel USB device: ids from PRODUCT",
			props: map[string]string{"ACTION": "add", "DEVNAME": "bus/usb/001/004", "DEVTYPE": "usb_device", "SUBSYSTEM": "usb", "PRODUCT": "781/5567/100"},
			want:  "action=add path=/dev/bus/usb/001/004 type=usb_device driver= vendor= vendor_id=0781 model= model_id=5567 serial= revision=0100",
		},
		{
			name:  "a kernel PCI device: ids from PCI_ID",
			props: map[string]string{"ACTION": "bind", "DEVNAME": "x", "DEVTYPE": "pci", "DRIVER": "e1000", "PCI_ID": "8086:100E"},
			want:  "action=bind path=/dev/x type=pci driver=e1000 vendor= vendor_id=8086 model= model_id=100e serial= revision=",
		},
		{name: "no type", props: map[string]string{"ACTION": "add", "DEVNAME": "/dev/x"}},
		{name: "neither node nor driver", props: map[string]string{"ACTION": "add", "DEVTYPE": "usb_interface"}},
		{name: "a driver but neither node nor model", props: map[string]string{"ACTION": "add", "DEVTYPE": "usb_interface", "DRIVER": "usbhid"}},
		{name: "a disabled type", props: map[string]string{"ACTION": "add", "DEVNAME": "/dev/sda1", "DEVTYPE": "partition"}, disabled: []string{"partition"}},
		{
			name:     "disabled types match whole names",
			props:    map[string]string{"ACTION": "add", "DEVNAME": "/dev/sda1", "DEVTYPE": "part"},
			disabled: []string{"partition"},
			want:     "action=add path=/dev/sda1 type=part driver= vendor= vendor_id= model= model_id= serial= revision=",
		},
		{
			name:  "bad PRODUCT",
			props: map[string]string{"ACTION": "add", "DEVNAME": "u", "DEVTYPE": "usb_device", "SUBSYSTEM": "usb", "PRODUCT": "zz/1/2"},
			want:  "action=add path=/dev/u type=usb_device driver= vendor= vendor_id= model= model_id= serial= revision=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := hardwareEventRow(tt.props, tt.disabled)
			got := ""
			if ok {
				got = show(r)
			}
			if got != tt.want {
				t.Errorf("row = %q\nwant  %q", got, tt.want)
			}
		})
	}
}

func FuzzParseUevent(f *testing.F) {
	f.Add(udevMessage("ACTION=add", "DEVNAME=/dev/sdb", "DEVTYPE=disk"))
	f.Add(kernelUevent("add@/devices/usb1", "ACTION=add", "DEVTYPE=usb_device", "SUBSYSTEM=usb", "PRODUCT=781/5567/100", "DEVNAME=bus/usb/001/004"))
	f.Add(kernelUevent("bind@/x", "ACTION=bind", "DEVTYPE=pci", "DRIVER=e1000", "PCI_ID=8086:100E"))
	f.Fuzz(func(t *testing.T, b []byte) {
		props, err := parseUevent(b)
		if err != nil {
			return
		}
		hardwareEventRow(props, []string{"partition"})
	})
}

// TestHardwareEventsLive listens to the live kernel and asks it to replay a
// block device's uevent (echo change > /sys/block/<dev>/uevent), which is
// harmless: udev re-applies its rules to the device.
func TestHardwareEventsLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: only root may write /sys/block/*/uevent to make the kernel send an event")
	}
	devs, _ := filepath.Glob("/sys/block/*/uevent")
	if len(devs) == 0 {
		t.Skip("no /sys/block/*/uevent on this host to trigger an event with")
	}
	trigger := devs[0]
	name := filepath.Base(filepath.Dir(trigger))
	var status statusLog
	m := New(Config{Root: hostfs.Live(), Status: status.add, EnableSubscribers: []string{tableHardwareEvents}})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, l := range status.all() {
		if strings.HasPrefix(l, "2 ") {
			t.Skipf("the udev publisher cannot run here: %s", l)
		}
	}
	if err := os.WriteFile(trigger, []byte("change"), 0); err != nil {
		t.Skipf("cannot trigger a uevent: %v", err)
	}
	cols := Columns(tableHardwareEvents)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found map[string]string
		m.Events(tableHardwareEvents, func(e table.Event) bool {
			r := map[string]string{}
			for i, c := range cols {
				r[c] = e.Values[i].String()
			}
			if r["action"] == "change" && r["path"] == "/dev/"+name {
				found = r
				return false
			}
			return true
		})
		if found != nil {
			if found["type"] != "disk" || found["eid"] == "" || found["time"] == "" {
				t.Errorf("row %v", found)
			}
			t.Logf("status: %q; row: %v", status.all(), found)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hardware_events row for the change of %s; status %q", name, status.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
