package tables_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/hostfs"
)

func storageQuery(t *testing.T, root *hostfs.Root, q string) [][]any {
	t.Helper()
	e, err := engine.New(root, engine.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, rows, err := e.QueryAll(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

// TestStorageNameConstraints checks the name index of block_devices and
// disk_encryption: a stacked device keeps what it inherits from parents
// that the constraint leaves out (osquery #7889 was about this).
func TestStorageNameConstraints(t *testing.T) {
	root := fixtureRoot("debian12")
	tests := []struct {
		query string
		want  [][]any
	}{
		{"SELECT name, parent, model, type FROM block_devices WHERE name = '/dev/dm-1'",
			[][]any{{"/dev/dm-1", "/dev/dm-0", "Samsung SSD 870", "ext4"}}},
		{"SELECT name FROM block_devices WHERE name IN ('/dev/sdb1', '/dev/nope') ",
			[][]any{{"/dev/sdb1"}}},
		{"SELECT name, encrypted, type, encryption_status FROM disk_encryption WHERE name = '/dev/dm-2'",
			[][]any{{"/dev/dm-2", int64(1), "aes-xts-plain64", "encrypted"}}},
		{"SELECT name, encrypted FROM disk_encryption WHERE name = '/dev/sda3'",
			[][]any{{"/dev/sda3", int64(0)}}},
		{"SELECT count(*) FROM disk_encryption WHERE name = '/dev/nope'",
			[][]any{{int64(0)}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, storageQuery(t, root, tt.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.query, diff)
		}
	}
}

// TestUSBDevicesWithoutUdev checks the sysfs fallback for a device udev
// has no record of.
func TestUSBDevicesWithoutUdev(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "sys/devices/pci0000:00/0000:00:14.0/usb1/1-2")
	files := map[string]string{
		"uevent":       "MAJOR=189\nMINOR=5\nDEVNAME=bus/usb/001/006\nDEVTYPE=usb_device\nPRODUCT=1050/407/571\nTYPE=0/0/0\nBUSNUM=001\nDEVNUM=006\n",
		"idVendor":     "1050\n",
		"idProduct":    "0407\n",
		"bcdDevice":    "0571\n",
		"manufacturer": "Yubico\n",
		"product":      "YubiKey OTP+FIDO+CCID\n",
		"removable":    "removable\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(dev, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dev, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "sys/bus/usb/devices"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../devices/pci0000:00/0000:00:14.0/usb1/1-2", filepath.Join(dir, "sys/bus/usb/devices/1-2")); err != nil {
		t.Fatal(err)
	}
	got := storageQuery(t, hostfs.Dir(dir), "SELECT * FROM usb_devices")
	want := [][]any{{int64(1), int64(6), "Yubico", "1050", "0571", "YubiKey OTP+FIDO+CCID", "0407", "", "0", "0", "0", int64(1)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMountsColumnPruning checks that a query without block or inode
// columns does not need the statfs fact.
func TestMountsColumnPruning(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "proc/mounts"), []byte("/dev/vda / ext4 rw 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var kernel []string
	root := hostfs.Dir(dir, hostfs.WithTrace(func(op, p string) {
		if op == "kernel" {
			kernel = append(kernel, p)
		}
	}))
	if diff := cmp.Diff([][]any{{"/dev/vda", "/", "ext4"}}, storageQuery(t, root, "SELECT device, path, type FROM mounts")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(kernel) != 0 {
		t.Errorf("read kernel facts %v for columns that do not need them", kernel)
	}
	// Without the fact, the counts are 0 as when statfs fails.
	got := storageQuery(t, root, "SELECT blocks_size, blocks, inodes FROM mounts")
	if diff := cmp.Diff([][]any{{int64(0), int64(0), int64(0)}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestACPITablesUnreadable checks osquery's row for a table it cannot
// read: size -1 and no md5.
func TestACPITablesUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	tabs := filepath.Join(dir, "sys/firmware/acpi/tables")
	if err := os.MkdirAll(filepath.Join(tabs, "dynamic"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tabs, "DSDT"), []byte("DSDT"), 0o000); err != nil {
		t.Fatal(err)
	}
	got := storageQuery(t, hostfs.Dir(dir), "SELECT name, size, md5 FROM acpi_tables")
	if diff := cmp.Diff([][]any{{"DSDT", int64(-1), nil}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
