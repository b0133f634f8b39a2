package tables

import "testing"

func TestParseProcLoadavg(t *testing.T) {
	tests := []struct {
		in      string
		want    [3]float64
		wantErr bool
	}{
		{"0.15 0.10 0.05 1/123 1400\n", [3]float64{0.15, 0.10, 0.05}, false},
		{"12.50 7.00 3.25", [3]float64{12.5, 7, 3.25}, false},
		{"0.15 0.10", [3]float64{}, true},
		{"0.15 x 0.05", [3]float64{}, true},
		{"NaN 1 1", [3]float64{}, true},
		{"", [3]float64{}, true},
	}
	for _, tt := range tests {
		got, err := parseProcLoadavg([]byte(tt.in))
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("parseProcLoadavg(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseProcLoadavg(f *testing.F) {
	f.Add([]byte("0.15 0.10 0.05 1/123 1400\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcLoadavg(b)
	})
}
