package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKernelCmdline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want kernelCmdline
		ok   bool
	}{
		{"debian", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=6f1c ro  quiet\n",
			kernelCmdline{arguments: "ro quiet", path: "/boot/vmlinuz-6.1.0-18-amd64", device: "UUID=6f1c", hasPath: true, hasDevice: true}, true},
		{"no image", "console=ttyS0 root=/dev/vda1", kernelCmdline{arguments: "console=ttyS0", device: "/dev/vda1", hasDevice: true}, true},
		{"repeated root, last wins", "root=/dev/a root=/dev/b", kernelCmdline{device: "/dev/b", hasDevice: true}, true},
		{"empty root", "root= quiet", kernelCmdline{arguments: "quiet", hasDevice: true}, true},
		{"empty", "", kernelCmdline{}, true},
		{"not utf8", "root=\xff", kernelCmdline{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseKernelCmdline([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(kernelCmdline{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKernelVersion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP\n", "6.1.0-18-amd64", true},
		{"Linux  version   5.15.0\n", "5.15.0", true},
		{"Linux version", "", false},
		{"Linux edition 6.1", "", false},
		{"", "", false},
		{"Linux version \xff", "", false},
	}
	for _, tt := range tests {
		got, ok := parseKernelVersion([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseKernelVersion(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKernelInfoFallsBackToOsrelease(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{"proc/sys/kernel/osrelease": "6.8.0-31-generic\n"})
	rows := sysQuery(t, sysRoot(dir), "SELECT * FROM kernel_info")
	want := []map[string]any{{"version": "6.8.0-31-generic", "arguments": nil, "path": nil, "device": nil}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseKernelCmdline(f *testing.F) {
	f.Add([]byte("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet"))
	f.Add([]byte("Linux version 6.1.0 (x)"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseKernelCmdline(b)
		parseKernelVersion(b)
	})
}
