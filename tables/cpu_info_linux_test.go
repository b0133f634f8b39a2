package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCPUSockets(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []cpuSocket
		wantErr bool
	}{
		{"two sockets", sysCPUInfoTwoSockets, []cpuSocket{
			{deviceID: "0", model: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", manufacturer: "GenuineIntel", cores: "2", siblings: "4", addressWidth: "64", processor: "0"},
			{deviceID: "1", cores: "2", siblings: "4", processor: "2"},
		}, false},
		{"32-bit and MHz", "processor\t: 0\nphysical id\t: 0\nflags\t\t: fpu vme lmx\ncpu MHz\t\t: 1795.312\n\n",
			[]cpuSocket{{deviceID: "0", addressWidth: "32", mhz: "1795.312", processor: "0"}}, false},
		{"no physical id (aarch64)", "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n\n", nil, false},
		{"unterminated last block", "processor\t: 0\nphysical id\t: 0\n", nil, false},
		{"colon in value", "processor\t: 0\nmodel name\t: a:b\n\n", nil, true},
		{"line starting with colon", "processor\t: 0\n: x\n\n", nil, true},
		{"line without colon ends a block", "physical id\t: 7\ngarbage\nphysical id\t: 8\n\n", []cpuSocket{{deviceID: "7"}, {deviceID: "8"}}, false},
		{"not utf8", "physical id\t: \xff\n\n", nil, true},
		{"empty", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPUSockets([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(cpuSocket{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCPUInfoOnTree(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{
		"proc/cpuinfo": sysCPUInfoTwoSockets,
		"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3700000\n",
	})
	rows := sysQuery(t, sysRoot(dir), "SELECT * FROM cpu_info ORDER BY device_id")
	want := []map[string]any{
		{"device_id": "0", "model": "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", "manufacturer": "GenuineIntel", "processor_type": nil,
			"cpu_status": nil, "number_of_cores": "2", "logical_processors": int64(4), "address_width": "64",
			"current_clock_speed": nil, "max_clock_speed": int64(3700), "socket_designation": "0"},
		{"device_id": "1", "model": "", "manufacturer": "", "processor_type": nil,
			"cpu_status": nil, "number_of_cores": "2", "logical_processors": int64(4), "address_width": "",
			"current_clock_speed": nil, "max_clock_speed": nil, "socket_designation": "1"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseCPUSockets(f *testing.F) {
	f.Add([]byte(sysCPUInfoTwoSockets))
	f.Add([]byte("a:b:c\n\n:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseCPUSockets(b)
	})
}
