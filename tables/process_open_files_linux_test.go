package tables

import "testing"

func TestIsFileDescriptorLink(t *testing.T) {
	tests := map[string]bool{
		"/dev/null":                true,
		"/tmp/.evil.log (deleted)": true,
		"/memfd:payload (deleted)": true,
		"/tmp/pipe:x":              true, // osquery hides it; only the kernel's prefixes are tested
		"net:[4026531840]":         true,
		"socket:[17230]":           false,
		"pipe:[21880]":             false,
		"anon_inode:[eventpoll]":   false,
		"anon_inode:inotify":       false,
	}
	for in, want := range tests {
		if got := isFileDescriptorLink(in); got != want {
			t.Errorf("isFileDescriptorLink(%q) = %v, want %v", in, got, want)
		}
	}
}
