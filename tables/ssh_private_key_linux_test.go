package tables

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sshTestPEM(typ string, der []byte, headers map[string]string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

// sshTestString is an SSH wire string.
func sshTestString(b []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	return append(out, b...)
}

// sshTestOpenSSHKey builds an OpenSSH-format private key file whose public key
// blob is pub; the private section is filler, as only the clear part is
// read.
func sshTestOpenSSHKey(cipher string, pub []byte) []byte {
	var d []byte
	d = append(d, "openssh-key-v1\x00"...)
	d = append(d, sshTestString([]byte(cipher))...)
	kdf := "none"
	if cipher != "none" {
		kdf = "bcrypt"
	}
	d = append(d, sshTestString([]byte(kdf))...)
	d = append(d, sshTestString(nil)...)
	d = binary.BigEndian.AppendUint32(d, 1)
	d = append(d, sshTestString(pub)...)
	d = append(d, sshTestString(make([]byte, 64))...)
	b64 := base64.StdEncoding.EncodeToString(d)
	var lines []string
	for len(b64) > 70 {
		lines = append(lines, b64[:70])
		b64 = b64[70:]
	}
	lines = append(lines, b64)
	return []byte(openSSHKeyHeader + "\n" + strings.Join(lines, "\n") + "\n-----END OPENSSH PRIVATE KEY-----\n")
}

func sshTestRSAPub(nBytes int, leadingZero bool) []byte {
	n := make([]byte, nBytes)
	n[0] = 0xc1
	if leadingZero {
		n = append([]byte{0}, n...)
	}
	return append(append(sshTestString([]byte("ssh-rsa")), sshTestString([]byte{1, 0, 1})...), sshTestString(n)...)
}

func TestParseSSHPrivateKey(t *testing.T) {
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1536, err := rsa.GenerateKey(rand.Reader, 1536)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sec1, _ := x509.MarshalECPrivateKey(p521)
	cert := sshTestPEM("CERTIFICATE", []byte{0x30, 0}, nil)

	tests := []struct {
		name string
		in   []byte
		want sshKeyInfo
		ok   bool
	}{
		{"pkcs1 rsa", sshTestPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa2048), nil),
			sshKeyInfo{Type: "rsa", Length: 2048, Bits: 112}, true},
		{"pkcs8 rsa odd size", sshTestPEM("PRIVATE KEY", pkcs8(rsa1536), nil),
			sshKeyInfo{Type: "rsa", Length: 1536, Bits: 96}, true},
		{"pkcs8 ec p256", sshTestPEM("PRIVATE KEY", pkcs8(p256), nil),
			sshKeyInfo{Type: "ec", Group: "prime256v1", Length: 256, Bits: 128}, true},
		{"sec1 ec p521 after a certificate", append(cert, sshTestPEM("EC PRIVATE KEY", sec1, nil)...),
			sshKeyInfo{Type: "ec", Group: "secp521r1", Length: 521, Bits: 256}, true},
		{"pkcs8 ed25519", sshTestPEM("PRIVATE KEY", pkcs8(ed), nil),
			sshKeyInfo{Length: 253, Bits: 128}, true},
		{"pkcs8 x25519", sshTestPEM("PRIVATE KEY", pkcs8(x25519), nil),
			sshKeyInfo{Length: 253, Bits: 128}, true},
		{"leading text", append([]byte("key for prod:\n"), sshTestPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa2048), nil)...),
			sshKeyInfo{Type: "rsa", Length: 2048, Bits: 112}, true},
		{"encrypted pem", sshTestPEM("RSA PRIVATE KEY", []byte("ciphertext"), map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}),
			sshKeyInfo{Encrypted: true, Length: -1, Bits: -1}, true},
		{"encrypted pkcs8", sshTestPEM("ENCRYPTED PRIVATE KEY", []byte("ciphertext"), nil),
			sshKeyInfo{Encrypted: true, Length: -1, Bits: -1}, true},
		{"openssh ed25519", sshTestOpenSSHKey("none", append(sshTestString([]byte("ssh-ed25519")), sshTestString(make([]byte, 32))...)),
			sshKeyInfo{Type: "ed25519", Length: 256, Bits: 128}, true},
		{"openssh encrypted ecdsa", sshTestOpenSSHKey("aes256-ctr", append(sshTestString([]byte("ecdsa-sha2-nistp384")), sshTestString([]byte("nistp384"))...)),
			sshKeyInfo{Encrypted: true, Type: "ecdsa-p384", Length: 384, Bits: 192}, true},
		{"openssh rsa 4096", sshTestOpenSSHKey("none", sshTestRSAPub(512, true)),
			sshKeyInfo{Type: "rsa", Length: 4096, Bits: 128}, true},
		{"openssh rsa 1000", sshTestOpenSSHKey("none", sshTestRSAPub(125, false)),
			sshKeyInfo{Type: "rsa", Length: 1000, Bits: 64}, true},
		// Like osquery, the modulus is read without bounding it by the
		// public blob: here it is the 64-byte private section that follows.
		{"openssh rsa without modulus", sshTestOpenSSHKey("none", append(sshTestString([]byte("ssh-rsa")), sshTestString([]byte{1, 0, 1})...)),
			sshKeyInfo{Type: "rsa", Length: 504, Bits: 64}, true},
		{"openssh rsa cut short", sshTestOpenSSHKey("none", binary.BigEndian.AppendUint32(append(sshTestString([]byte("ssh-rsa")), sshTestString([]byte{1, 0, 1})...), 5000)),
			sshKeyInfo{Type: "rsa", Length: -1, Bits: -1}, true},
		{"openssh dsa", sshTestOpenSSHKey("none", append(sshTestString([]byte("ssh-dss")), sshTestString(append([]byte{0}, make([]byte, 128)...))...)),
			sshKeyInfo{Type: "dsa", Length: 1024, Bits: 80}, true},
		{"openssh security key", sshTestOpenSSHKey("none", append(sshTestString([]byte("sk-ssh-ed25519@openssh.com")), sshTestString(make([]byte, 32))...)),
			sshKeyInfo{Type: "sk-ssh-ed25519@openssh.com", Length: -1, Bits: -1}, true},
		{"openssh truncated", []byte(openSSHKeyHeader + "\n" + openSSHClearPrefix + "\n-----END OPENSSH PRIVATE KEY-----\n"),
			sshKeyInfo{Length: -1, Bits: -1}, true},
		{"openssh crlf", []byte(strings.ReplaceAll(string(sshTestOpenSSHKey("none", append(sshTestString([]byte("ssh-ed25519")), sshTestString(make([]byte, 32))...))), "\n", "\r\n")),
			sshKeyInfo{Encrypted: true, Type: "ed25519", Length: 256, Bits: 128}, true},
		{"openssh header only", []byte(openSSHKeyHeader),
			sshKeyInfo{Encrypted: true, Length: -1, Bits: -1}, true},
		{"corrupt pem", sshTestPEM("RSA PRIVATE KEY", []byte("not der"), nil), sshKeyInfo{}, false},
		{"public key", []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA alice@host\n"), sshKeyInfo{}, false},
		{"pem public key", sshTestPEM("PUBLIC KEY", []byte{0x30, 0}, nil), sshKeyInfo{}, false},
		{"empty", nil, sshKeyInfo{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseSSHPrivateKey(tt.in)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("(-got +want):\n%s", diff)
			}
		})
	}
}

func TestIFCSecurityBits(t *testing.T) {
	// OpenSSL 3's RSA_security_bits for these modulus sizes.
	want := map[int64]uint16{
		0: 0, 7: 0, 512: 56, 768: 72, 1024: 80, 1536: 96, 2047: 112, 2048: 112, 2560: 120,
		3000: 128, 3072: 128, 4096: 152, 5000: 160, 7680: 192, 8192: 200, 10000: 216,
		15360: 256, 16384: 272, 687737: 1200,
	}
	for n, w := range want {
		if got := ifcSecurityBits(n); got != w {
			t.Errorf("ifcSecurityBits(%d) = %d, want %d", n, got, w)
		}
	}
	prev := uint16(0)
	for n := int64(8); n < 40000; n++ {
		got := ifcSecurityBits(n)
		if got < prev {
			t.Fatalf("ifcSecurityBits decreases at %d: %d < %d", n, got, prev)
		}
		prev = got
	}
}

func TestSSHKeyBNSecurityBits(t *testing.T) {
	tests := []struct{ l, n, want int64 }{
		{1024, 160, 80}, {2048, 224, 112}, {2048, 256, 112}, {3072, 256, 128}, {1024, 140, 0}, {512, 160, 0},
	}
	for _, tt := range tests {
		if got := sshKeyBNSecurityBits(tt.l, tt.n); got != tt.want {
			t.Errorf("sshKeyBNSecurityBits(%d, %d) = %d, want %d", tt.l, tt.n, got, tt.want)
		}
	}
}

func FuzzParseSSHPrivateKey(f *testing.F) {
	f.Add(sshTestOpenSSHKey("none", append(sshTestString([]byte("ssh-rsa")), sshTestString([]byte{1})...)))
	f.Add(sshTestPEM("RSA PRIVATE KEY", []byte{0x30, 3, 2, 1, 0}, nil))
	f.Add(sshTestPEM("PRIVATE KEY", []byte{0x30, 0x05, 0x02, 0x01, 0x00, 0x30, 0x00}, nil))
	f.Add([]byte(openSSHKeyHeader + "\nAAAA\n-----END"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, ok := parseSSHPrivateKey(b)
		if !ok {
			return
		}
		if info.Length < -1 || info.Bits < -1 {
			t.Fatalf("bad info %+v", info)
		}
	})
}
