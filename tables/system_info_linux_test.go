package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalHostFromHosts(t *testing.T) {
	hosts := []byte(`127.0.0.1	localhost
# 127.0.1.1 commented.example.org box
127.0.1.1	box.example.org box   # the host
::1     localhost ip6-localhost ip6-loopback
bad-line-without-names
10.0.0.5 other.example.org Other
`)
	tests := []struct {
		host, want string
		ok         bool
	}{
		{"box", "box.example.org", true},
		{"BOX", "box.example.org", true},
		{"box.example.org", "box.example.org", true},
		{"other", "other.example.org", true},
		{"ip6-localhost", "localhost", true},
		{"commented.example.org", "", false},
		{"missing", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := canonicalHostFromHosts(hosts, tt.host)
		if got != tt.want || ok != tt.ok {
			t.Errorf("canonicalHostFromHosts(%q) = %q, %v; want %q, %v", tt.host, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCleanHardwareUUID(t *testing.T) {
	tests := map[string]string{
		"8a3f5c2e-1b7d-4e9a-9c61-2f0d7b4e8a15\n": "8a3f5c2e-1b7d-4e9a-9c61-2f0d7b4e8a15",
		"  ABC-DEF \n\x00\x00":                   "ABC-DEF ", // trimmed before the NUL cut, as osquery
		"abc\x00def":                             "abc",
		"\n":                                     "",
		"\xff\xfe":                               "",
	}
	for in, want := range tests {
		if got := cleanHardwareUUID([]byte(in)); got != want {
			t.Errorf("cleanHardwareUUID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMachineIDAsUUID(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0123456789ABCDEF0123456789abcdef\n", "01234567-89ab-cdef-0123-456789abcdef", true},
		{"0123456789abcdef", "", false},
		{"0123456789abcdef0123456789abcdeg", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := machineIDAsUUID([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("machineIDAsUUID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

const sysCPUInfoTwoSockets = `processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 85
model name	: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz
microcode	: 0x2006e05
physical id	: 0
siblings	: 4
core id		: 0
cpu cores	: 2
flags		: fpu lm

processor	: 1
physical id	: 0
siblings	: 4
core id		: 1
cpu cores	: 2

processor	: 2
physical id	: 1
siblings	: 4
core id		: 0
cpu cores	: 2

processor	: 3
physical id	: 1
siblings	: 4
core id		: 0
cpu cores	: 2

`

func TestParseCPUInfoHead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want cpuInfoHead
	}{
		{"xeon", sysCPUInfoTwoSockets, cpuInfoHead{model: "85", microcode: "0x2006e05", modelName: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", hasModel: true, hasMicrocode: true, hasSiblings: true, siblings: 4}},
		{"empty", "", cpuInfoHead{}},
		{"stops at first block", "processor : 0\n\nmodel\t: 9\n", cpuInfoHead{}},
		{"two colons are not two pieces", "model\t: a:b\nmicrocode\t:\n", cpuInfoHead{}},
		{"bad siblings", "siblings\t: four\n", cpuInfoHead{}},
		{"model name is not model", "model name\t: X\n", cpuInfoHead{modelName: "X"}},
		{"not utf8", "model\t: \xff\n", cpuInfoHead{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCPUInfoHead([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(cpuInfoHead{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0-1\n", 2, true},
		{"0", 1, true},
		{"0-3,8,10-11", 7, true},
		{"", 0, false},
		{"3-1", 0, false},
		{"a-b", 0, false},
		{"0,,1", 0, false},
	}
	for _, tt := range tests {
		got, ok := countCPUList(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("countCPUList(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPhysicalCores(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		logical int64
		want    int64
	}{
		{"two sockets, one core shared", sysCPUInfoTwoSockets, 4, 3},
		{"no ids", "processor\t: 0\n", 8, 8},
		{"line without one colon", "processor\t: 0\nweird line\n", 8, 8},
		{"bad id", "physical id\t: x\ncore id\t: 0\n", 8, 8},
		{"empty", "", 2, 2},
	}
	for _, tt := range tests {
		if got := physicalCores([]byte(tt.in), tt.logical); got != tt.want {
			t.Errorf("%s: physicalCores = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestSystemInfoOnTree(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{
		"proc/sys/kernel/hostname":           "box\n",
		"etc/hosts":                          "127.0.1.1 box.example.org box\n",
		"proc/cpuinfo":                       sysCPUInfoTwoSockets,
		"proc/meminfo":                       "MemTotal:       16384 kB\n",
		"sys/devices/system/cpu/online":      "0-3\n",
		"sys/class/dmi/id/product_uuid":      "03000200-0400-0500-0006-000700080009\n",
		"etc/machine-id":                     "0123456789abcdef0123456789abcdef\n",
		"sys/class/dmi/id/sys_vendor":        "LENOVO\n",
		"sys/class/dmi/id/product_name":      "20L5CTO1WW\n",
		"sys/class/dmi/id/product_version":   "ThinkPad T480   \n",
		"sys/class/dmi/id/board_vendor":      "LENOVO\n",
		"sys/class/dmi/id/board_name":        "20L5CTO1WW\n",
		"sys/class/dmi/id/board_version":     "SDK0J40697 WIN\n",
		"sys/class/dmi/id/product_serial_xx": "ignored\n",
	})
	rows := sysQuery(t, sysRoot(dir), "SELECT * FROM system_info")
	want := []map[string]any{{
		"hostname": "box.example.org", "local_hostname": "box.example.org", "computer_name": "box",
		"uuid": "01234567-89ab-cdef-0123-456789abcdef", "cpu_type": nil, "cpu_subtype": "85",
		"cpu_brand": "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", "cpu_physical_cores": int64(3),
		"cpu_logical_cores": int64(4), "cpu_sockets": int64(1), "cpu_microcode": "0x2006e05",
		"physical_memory": int64(16384 * 1024), "hardware_vendor": "LENOVO", "hardware_model": "ThinkPad T480",
		"hardware_version": "20L5CTO1WW", "hardware_serial": nil, "board_vendor": "LENOVO",
		"board_model": "20L5CTO1WW", "board_version": "SDK0J40697 WIN", "board_serial": nil,
	}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("system_info (-want +got):\n%s", diff)
	}

	// Without DMI, hardware_model is "" as osquery reports it without
	// SMBIOS; without meminfo, physical_memory is -1.
	dir = sysWriteTree(t, map[string]string{"proc/sys/kernel/hostname": "h\n"})
	rows = sysQuery(t, sysRoot(dir), "SELECT hardware_model, hardware_vendor, physical_memory, uuid, cpu_logical_cores, cpu_subtype FROM system_info")
	want = []map[string]any{{"hardware_model": "", "hardware_vendor": nil, "physical_memory": int64(-1), "uuid": "", "cpu_logical_cores": int64(-1), "cpu_subtype": "0"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("bare system_info (-want +got):\n%s", diff)
	}
}

func FuzzParseCPUInfoHead(f *testing.F) {
	f.Add([]byte(sysCPUInfoTwoSockets))
	f.Add([]byte("siblings : 0\nmodel\t: :\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseCPUInfoHead(b)
		physicalCores(b, 4)
		countCPUList(string(b))
		canonicalHostFromHosts(b, "box")
		cleanHardwareUUID(b)
		machineIDAsUUID(b)
	})
}
