package tables

import "testing"

func TestParseProcUptime(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"3600.52 7000.10\n", 3601, false},
		{"3600.00 7000.10\n", 3600, false},
		{"59.5", 60, false},
		{"12", 12, false},
		{"9223372036854775807.99", 9223372036854775807, false},
		{"", 0, true},
		{"abc 1", 0, true},
		{"-5.00", 0, true},
		{"5.x", 0, true},
	}
	for _, tt := range tests {
		got, err := parseProcUptime([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseProcUptime(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseProcUptime(f *testing.F) {
	f.Add([]byte("3600.52 7000.10\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseProcUptime(b); err == nil && n < 0 {
			t.Fatalf("negative uptime %d", n)
		}
	})
}
