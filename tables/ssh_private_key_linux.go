package tables

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"strings"
)

// sshKeyInfo is what user_ssh_keys reports about a private key file. Length
// and SecurityBits are -1 when unknown.
type sshKeyInfo struct {
	Encrypted    bool
	Type, Group  string
	Length, Bits int64
}

// parseSSHPrivateKey recognizes a private key file as osquery does: first
// as OpenSSL would load it (PEM "RSA/DSA/EC PRIVATE KEY", PKCS#8 "PRIVATE
// KEY", encrypted PEM or "ENCRYPTED PRIVATE KEY"), then, if the file starts
// with the OpenSSH header, from the OpenSSH key format's clear-text public
// part. ok is false for a file that is no private key. An encrypted PEM key
// reports only that it is encrypted: its type is inside the ciphertext.
func parseSSHPrivateKey(b []byte) (info sshKeyInfo, ok bool) {
	info, encrypted, ok := sshKeyFromPEM(b)
	if ok {
		return info, true
	}
	unknown := sshKeyInfo{Length: -1, Bits: -1}
	if encrypted {
		unknown.Encrypted = true
		return unknown, true
	}
	if bytes.HasPrefix(b, []byte(openSSHKeyHeader)) {
		info = unknown
		info.Type = openSSHKeyType(b, &info.Length, &info.Bits)
		info.Encrypted = openSSHKeyEncrypted(b)
		return info, true
	}
	return sshKeyInfo{}, false
}

// sshKeyFromPEM looks through the PEM blocks of b for the first private
// key OpenSSL can decode, skipping blocks of other types and blocks that do
// not decode. It stops at an encrypted key (encrypted true), since osquery
// declines to give a passphrase.
func sshKeyFromPEM(b []byte) (info sshKeyInfo, encrypted, ok bool) {
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return sshKeyInfo{}, false, false
		}
		switch blk.Type {
		case "ENCRYPTED PRIVATE KEY":
			return sshKeyInfo{}, true, false
		case "RSA PRIVATE KEY", "DSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY":
			if strings.Contains(blk.Headers["Proc-Type"], "ENCRYPTED") {
				return sshKeyInfo{}, true, false
			}
		default:
			continue
		}
		var good bool
		switch blk.Type {
		case "RSA PRIVATE KEY":
			info, good = sshKeyPKCS1Info(blk.Bytes, "rsa")
		case "DSA PRIVATE KEY":
			info, good = sshKeyDSAKeyInfo(blk.Bytes)
		case "EC PRIVATE KEY":
			info, good = sshKeySEC1Info(blk.Bytes, nil)
		case "PRIVATE KEY":
			info, good = sshKeyPKCS8Info(blk.Bytes)
		}
		if good {
			return info, false, true
		}
	}
}

// Algorithm identifiers of PKCS#8 keys.
var (
	sshKeyOIDRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	sshKeyOIDRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	sshKeyOIDECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	sshKeyOIDDSA           = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	sshKeyOIDX25519        = asn1.ObjectIdentifier{1, 3, 101, 110}
	sshKeyOIDX448          = asn1.ObjectIdentifier{1, 3, 101, 111}
	sshKeyOIDEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	sshKeyOIDEd448         = asn1.ObjectIdentifier{1, 3, 101, 113}
)

// sshKeyCurve is a named curve as OpenSSL reports it: its group name and the
// bit length of its order.
type sshKeyCurve struct {
	oid  asn1.ObjectIdentifier
	name string
	bits int64
}

var sshKeyCurves = []sshKeyCurve{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, "prime256v1", 256},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, "secp384r1", 384},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, "secp521r1", 521},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 33}, "secp224r1", 224},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 1}, "prime192v1", 192},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 10}, "secp256k1", 256},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, "brainpoolP256r1", 256},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, "brainpoolP384r1", 384},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, "brainpoolP512r1", 512},
}

// sshKeyPKCS8Info decodes a PKCS#8 PrivateKeyInfo.
func sshKeyPKCS8Info(der []byte) (sshKeyInfo, bool) {
	var k struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if _, err := asn1.Unmarshal(der, &k); err != nil {
		return sshKeyInfo{}, false
	}
	switch alg := k.Algo.Algorithm; {
	case alg.Equal(sshKeyOIDRSAEncryption):
		return sshKeyPKCS1Info(k.PrivateKey, "rsa")
	case alg.Equal(sshKeyOIDRSAPSS):
		// OpenSSL's EVP_PKEY_RSA_PSS, which osquery does not name.
		return sshKeyPKCS1Info(k.PrivateKey, "")
	case alg.Equal(sshKeyOIDECPublicKey):
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(k.Algo.Parameters.FullBytes, &curve); err != nil {
			return sshKeyInfo{}, false
		}
		return sshKeySEC1Info(k.PrivateKey, curve)
	case alg.Equal(sshKeyOIDDSA):
		var params struct{ P, Q, G *big.Int }
		var x *big.Int
		if _, err := asn1.Unmarshal(k.Algo.Parameters.FullBytes, &params); err != nil {
			return sshKeyInfo{}, false
		}
		if _, err := asn1.Unmarshal(k.PrivateKey, &x); err != nil {
			return sshKeyInfo{}, false
		}
		return sshKeyDSAInfo(params.P, params.Q), true
	case alg.Equal(sshKeyOIDEd25519), alg.Equal(sshKeyOIDX25519):
		// osquery names no type for these; OpenSSL gives 253 bits.
		return sshKeyECXInfo(k.PrivateKey, 32, 253, 128)
	case alg.Equal(sshKeyOIDEd448):
		return sshKeyECXInfo(k.PrivateKey, 57, 456, 224)
	case alg.Equal(sshKeyOIDX448):
		return sshKeyECXInfo(k.PrivateKey, 56, 448, 224)
	}
	return sshKeyInfo{}, false
}

// sshKeyECXInfo checks an Ed25519/X25519/Ed448/X448 private key, an OCTET
// STRING of the curve's key size.
func sshKeyECXInfo(der []byte, size int, bits, security int64) (sshKeyInfo, bool) {
	var priv []byte
	if rest, err := asn1.Unmarshal(der, &priv); err != nil || len(rest) > 0 || len(priv) != size {
		return sshKeyInfo{}, false
	}
	return sshKeyInfo{Length: bits, Bits: security}, true
}

// sshKeyPKCS1Info decodes an RSAPrivateKey (PKCS#1).
func sshKeyPKCS1Info(der []byte, name string) (sshKeyInfo, bool) {
	var k struct {
		Version                     int
		N, E, D, P, Q, Dp, Dq, Qinv *big.Int
		OtherPrimes                 []asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(der, &k); err != nil || k.N.Sign() <= 0 {
		return sshKeyInfo{}, false
	}
	bits := int64(k.N.BitLen())
	sec := int64(ifcSecurityBits(bits))
	if k.Version == 1 { // multi-prime
		extra := int64(len(k.OtherPrimes))
		if extra <= 0 || extra+2 > sshKeyRSAPrimeCap(bits) {
			sec = 0
		}
	}
	return sshKeyInfo{Type: name, Length: bits, Bits: sec}, true
}

// sshKeyRSAPrimeCap is OpenSSL's ossl_rsa_multip_cap: how many primes a
// modulus of that size may have.
func sshKeyRSAPrimeCap(bits int64) int64 {
	switch {
	case bits < 1024:
		return 2
	case bits < 4096:
		return 3
	case bits < 8192:
		return 4
	}
	return 5
}

// sshKeySEC1Info decodes an ECPrivateKey (SEC 1); curve comes from the
// PKCS#8 algorithm parameters when the key does not name it.
func sshKeySEC1Info(der []byte, curve asn1.ObjectIdentifier) (sshKeyInfo, bool) {
	var k struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	if _, err := asn1.Unmarshal(der, &k); err != nil {
		return sshKeyInfo{}, false
	}
	if len(k.Curve) > 0 {
		curve = k.Curve
	}
	for _, c := range sshKeyCurves {
		if c.oid.Equal(curve) {
			return sshKeyInfo{Type: "ec", Group: c.name, Length: c.bits, Bits: sshKeyECSecurityBits(c.bits)}, true
		}
	}
	return sshKeyInfo{}, false
}

// sshKeyECSecurityBits is OpenSSL's security strength of an EC key by the bit
// length of the group order.
func sshKeyECSecurityBits(order int64) int64 {
	switch {
	case order >= 512:
		return 256
	case order >= 384:
		return 192
	case order >= 256:
		return 128
	case order >= 224:
		return 112
	case order >= 160:
		return 80
	}
	return order / 2
}

// sshKeyDSAKeyInfo decodes OpenSSL's traditional DSAPrivateKey:
// SEQUENCE { version, p, q, g, y, x }.
func sshKeyDSAKeyInfo(der []byte) (sshKeyInfo, bool) {
	var k struct {
		Version       int
		P, Q, G, Y, X *big.Int
	}
	if _, err := asn1.Unmarshal(der, &k); err != nil {
		return sshKeyInfo{}, false
	}
	return sshKeyDSAInfo(k.P, k.Q), true
}

func sshKeyDSAInfo(p, q *big.Int) sshKeyInfo {
	l, n := int64(p.BitLen()), int64(q.BitLen())
	return sshKeyInfo{Type: "dsa", Length: l, Bits: sshKeyBNSecurityBits(l, n)}
}

// sshKeyBNSecurityBits is OpenSSL's BN_security_bits for a finite-field key with
// an L-bit modulus and an N-bit subgroup.
func sshKeyBNSecurityBits(l, n int64) int64 {
	var sec int64
	switch {
	case l >= 15360:
		sec = 256
	case l >= 7680:
		sec = 192
	case l >= 3072:
		sec = 128
	case l >= 2048:
		sec = 112
	case l >= 1024:
		sec = 80
	default:
		return 0
	}
	if n/2 < 80 {
		return 0
	}
	return min(sec, n/2)
}

// ifcSecurityBits is OpenSSL 3's estimate of the security strength of an
// RSA modulus of n bits (NIST SP 800-56B rev 2 appendix D), computed in the
// same 18-bit fixed-point arithmetic so that every size gives OpenSSL's
// number.
func ifcSecurityBits(n int64) uint16 {
	switch n {
	case 2048:
		return 112
	case 3072:
		return 128
	case 4096:
		return 152
	case 6144:
		return 176
	case 7680:
		return 192
	case 8192:
		return 200
	case 15360:
		return 256
	}
	if n >= 687737 {
		return 1200
	}
	if n < 8 {
		return 0
	}
	var limit uint16 = 1200
	if n <= 7680 {
		limit = 192
	} else if n <= 15360 {
		limit = 256
	}
	const (
		log2  = 0x02c5c8 // scale * ln(2)
		c1923 = 0x07b126 // scale * 1.923
		c4690 = 0x12c28f // scale * 4.690
	)
	x := uint64(n) * log2
	lx := uint64(ifcFixedLn(x))
	y := uint16((ifcFixedMul(c1923, ifcFixedCbrt(ifcFixedMul(ifcFixedMul(x, lx), lx))) - c4690) / log2)
	y = (y + 4) &^ 7
	return min(y, limit)
}

// ifcFixedScale is the fixed-point unit of ifcSecurityBits.
const ifcFixedScale = 1 << 18

func ifcFixedMul(a, b uint64) uint64 { return a * b / ifcFixedScale }

// ifcFixedCbrt is the cube root of a scaled number (shifting nth-root).
func ifcFixedCbrt(x uint64) uint64 {
	var r uint64
	for s := 63; s >= 0; s -= 3 {
		r <<= 1
		b := 3*r*(r+1) + 1
		if x>>uint(s) >= b {
			x -= b << uint(s)
			r++
		}
	}
	return r * (1 << 12)
}

// ifcFixedLn is the natural logarithm of a scaled number greater than one.
func ifcFixedLn(v uint64) uint32 {
	const log2e = 0x05c551 // scale * log2(e)
	var r uint32
	for v >= 2*ifcFixedScale {
		v >>= 1
		r += ifcFixedScale
	}
	for i := uint32(ifcFixedScale / 2); i != 0; i /= 2 {
		v = ifcFixedMul(v, v)
		if v >= 2*ifcFixedScale {
			v >>= 1
			r += i
		}
	}
	return uint32(uint64(r) * ifcFixedScale / log2e)
}

// openSSHKeyHeader starts a key in OpenSSH's own format (PROTOCOL.key).
const openSSHKeyHeader = "-----BEGIN OPENSSH PRIVATE KEY-----"

// openSSHClearPrefix is the base64 of "openssh-key-v1\0" followed by the
// cipher name "none": the start of every unencrypted OpenSSH key.
const openSSHClearPrefix = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"

// openSSHKeyEncrypted is osquery's test: the base64 right after the header
// line does not start with the unencrypted prefix.
func openSSHKeyEncrypted(b []byte) bool {
	start := len(openSSHKeyHeader) + 1
	if start > len(b) {
		return true
	}
	end := min(start+len(openSSHClearPrefix), len(b))
	return string(b[start:end]) != openSSHClearPrefix
}

// openSSHKeyType reads the key type from the clear-text public key of an
// OpenSSH-format private key, as osquery does, and sets length and
// security bits for the types it knows: "ed25519", "rsa", "dsa",
// "ecdsa-p256", "ecdsa-p384", "ecdsa-p521"; another type is returned as
// its SSH name with length and bits left alone; "" when the key cannot be
// read that far.
func openSSHKeyType(b []byte, length, bits *int64) string {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return ""
	}
	start := nl + 1
	end := bytes.Index(b, []byte("-----END"))
	if end < 0 || end <= start {
		return ""
	}
	clean := make([]byte, 0, end-start)
	for _, c := range b[start:end] {
		if c != '\n' && c != '\r' && c != ' ' {
			clean = append(clean, c)
		}
	}
	d, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		if d, err = base64.RawStdEncoding.DecodeString(string(clean)); err != nil {
			return ""
		}
	}
	if len(d) < 50 {
		return ""
	}
	rd := sshKeyReader{d: d, pos: 15} // past "openssh-key-v1\0"
	for range 3 {                     // cipher name, kdf name, kdf options
		n, ok := rd.uint32()
		if !ok {
			return ""
		}
		rd.pos += uint64(n)
	}
	rd.pos += 4 // number of keys
	pubLen, ok := rd.uint32()
	if !ok || pubLen == 0 || !rd.has(4) {
		return ""
	}
	typeLen, _ := rd.uint32()
	if typeLen == 0 || typeLen > 64 || !rd.has(uint64(typeLen)) {
		return ""
	}
	keyType := string(d[rd.pos : rd.pos+uint64(typeLen)])
	rd.pos += uint64(typeLen)
	switch keyType {
	case "ssh-ed25519":
		*length, *bits = 256, 128
		return "ed25519"
	case "ssh-rsa":
		eLen, ok := rd.uint32()
		if !ok {
			return "rsa"
		}
		rd.pos += uint64(eLen)
		nLen, ok := rd.uint32()
		if !ok || nLen == 0 || !rd.has(uint64(nLen)) {
			return "rsa"
		}
		nBytes := int64(nLen)
		if d[rd.pos] == 0 && nLen > 1 {
			nBytes--
		}
		*length = nBytes * 8
		*bits = opensshRSASecurityBits(*length)
		return "rsa"
	case "ssh-dss":
		pLen, ok := rd.uint32()
		if !ok || pLen == 0 || !rd.has(uint64(pLen)) {
			return "dsa"
		}
		pBytes := int64(pLen)
		if d[rd.pos] == 0 && pLen > 1 {
			pBytes--
		}
		*length, *bits = pBytes*8, 80
		return "dsa"
	case "ecdsa-sha2-nistp256":
		*length, *bits = 256, 128
		return "ecdsa-p256"
	case "ecdsa-sha2-nistp384":
		*length, *bits = 384, 192
		return "ecdsa-p384"
	case "ecdsa-sha2-nistp521":
		*length, *bits = 521, 256
		return "ecdsa-p521"
	}
	return keyType
}

// opensshRSASecurityBits is osquery's table for RSA keys read from the
// OpenSSH format (it differs from OpenSSL's for PEM keys: 4096 bits is 128
// here, 152 there).
func opensshRSASecurityBits(bits int64) int64 {
	switch {
	case bits >= 15360:
		return 256
	case bits >= 7680:
		return 192
	case bits >= 3072:
		return 128
	case bits >= 2048:
		return 112
	case bits >= 1024:
		return 80
	}
	return 64
}

// sshKeyReader reads big-endian SSH wire fields with bounds checks.
type sshKeyReader struct {
	d   []byte
	pos uint64
}

func (r *sshKeyReader) has(n uint64) bool {
	return r.pos <= uint64(len(r.d)) && n <= uint64(len(r.d))-r.pos
}

func (r *sshKeyReader) uint32() (uint32, bool) {
	if !r.has(4) {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.d[r.pos:])
	r.pos += 4
	return v, true
}
