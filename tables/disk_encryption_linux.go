package tables

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("disk_encryption", func() *table.Table {
		return &table.Table{
			Name:        "disk_encryption",
			Description: "Disk encryption status and information.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name", table.Index),
				table.TextColumn("uuid").WithCollate("nocase"),
				table.IntegerColumn("encrypted"),
				table.TextColumn("type"),
				table.TextColumn("encryption_status"),
			},
			Generate: genDiskEncryption,
		}
	})
}

// diskEncryptionStatus is one device's row.
type diskEncryptionStatus struct {
	encrypted bool
	typ       string
}

// genDiskEncryption reports every block device (as block_devices lists
// them; with a name constraint, the named devices and their ancestors, as
// osquery does) with its dm-crypt status.
//
// osquery asks libcryptsetup 1.7.5, as root: a device-mapper device with a
// single crypt or verity target is encrypted, and its type joins the
// libcryptsetup type ("LUKS1", "PLAIN", "VERITY"...; LUKS2 is unknown to
// 1.7.5 and gives none) with the cipher and mode ("LUKS1-aes-xts-plain64",
// "aes-xts-plain64" for LUKS2). Other devices inherit their parent's
// status. osaudit reads the same facts without the device-mapper ioctls:
// the target kind from the dm uuid in sysfs (/sys/block/dm-N/dm/uuid,
// "CRYPT-LUKS2-<uuid>-<name>"), and the cipher from the LUKS header of the
// underlying device (readable by root only; the type is then the
// libcryptsetup type alone). A PLAIN mapping has no header: its type is
// "PLAIN" without the cipher. Unlike osquery, it also answers when not
// root, from sysfs alone.
func genDiskEncryption(q *table.Query, yield func(table.Row) bool) error {
	devs, want := enumerateBlockDevs(q)
	probe := q.Used("uuid")
	selected := map[string]bool{}
	for _, name := range sortedBlockDevNames(devs) {
		if want != nil && !want[name] {
			continue
		}
		for d, depth := devs[name], 0; d != nil && !selected[d.name] && depth < 32; d, depth = devs[d.parent], depth+1 {
			selected[d.name] = true
		}
	}
	status := map[string]diskEncryptionStatus{}
	names := make([]string, 0, len(selected))
	for n := range selected {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		d := devs[name]
		blockDevMetadata(q, devs, d, probe, 0)
		st := diskEncryptionOf(q, devs, d, status, 0)
		r := q.NewRow()
		r.Set("name", table.Text(d.name))
		r.Set("uuid", table.Text(d.uuid))
		r.Set("encrypted", table.Bool(st.encrypted))
		r.Set("type", table.Text(st.typ))
		if st.encrypted {
			r.Set("encryption_status", table.Text("encrypted"))
		} else {
			r.Set("encryption_status", table.Text("not encrypted"))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// diskEncryptionOf computes (and memoizes) a device's status: its own
// dm-crypt mapping, else its parent's status.
func diskEncryptionOf(q *table.Query, devs map[string]*blockDevice, d *blockDevice, memo map[string]diskEncryptionStatus, depth int) diskEncryptionStatus {
	if st, ok := memo[d.name]; ok {
		return st
	}
	var st diskEncryptionStatus
	root := q.Root()
	if uuid, ok := storageSysAttr(root, d.sysPath+"/dm/uuid"); ok {
		if kind, active := diskEncryptionDMKind(uuid); active {
			st = diskEncryptionStatus{encrypted: true, typ: diskEncryptionType(q, devs, d, kind)}
			memo[d.name] = st
			return st
		}
	}
	if p, ok := devs[d.parent]; ok && depth < 32 {
		st = diskEncryptionOf(q, devs, p, memo, depth+1)
	}
	memo[d.name] = st
	return st
}

// diskEncryptionDMKind reads a device-mapper uuid: "CRYPT-<TYPE>-..." marks
// a mapping made by libcryptsetup. active is whether libcryptsetup 1.7.5's
// crypt_status calls it active: a crypt or verity target, which excludes
// the integrity mappings ("CRYPT-INTEGRITY", LUKS2's "CRYPT-SUBDEV").
func diskEncryptionDMKind(uuid string) (kind string, active bool) {
	rest, ok := strings.CutPrefix(uuid, "CRYPT-")
	if !ok {
		return "", false
	}
	kind, _, _ = strings.Cut(rest, "-")
	switch kind {
	case "", "INTEGRITY", "SUBDEV":
		return kind, false
	}
	return kind, true
}

// diskEncryptionType builds osquery's type for a crypt mapping of the given
// kind: libcryptsetup 1.7.5 knows LUKS1, PLAIN, LOOPAES, VERITY and TCRYPT;
// for others (LUKS2, BITLK) it reports no type, only the cipher.
func diskEncryptionType(q *table.Query, devs map[string]*blockDevice, d *blockDevice, kind string) string {
	var items []string
	switch kind {
	case "LUKS1", "PLAIN", "LOOPAES", "VERITY", "TCRYPT":
		items = append(items, kind)
	}
	if kind == "LUKS1" || kind == "LUKS2" {
		if cipher, mode, ok := diskEncryptionLUKSCipher(q.Root(), devs, d); ok {
			items = append(items, cipher, mode)
		}
	}
	if len(items) == 0 {
		items = append(items, kind) // the header was unreadable: keep what sysfs says
	}
	return strings.Join(items, "-")
}

// diskEncryptionLUKSCipher reads the cipher and mode from the LUKS header
// of the device under a crypt mapping (its parent).
func diskEncryptionLUKSCipher(root *hostfs.Root, devs map[string]*blockDevice, d *blockDevice) (cipher, mode string, ok bool) {
	if d.parent == "" {
		return "", "", false
	}
	f, err := root.Open(d.parent)
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	h, err := parseLUKSHeader(io.LimitReader(f, luksMaxHeader))
	if err != nil {
		return "", "", false
	}
	return h.cipher, h.mode, true
}

// luksHeader holds what disk_encryption needs from a LUKS header.
type luksHeader struct {
	version      int
	cipher, mode string
	uuid         string
}

const (
	luksBinaryHeader = 4096    // LUKS2 binary header; JSON follows
	luksMaxHeader    = 4 << 20 // LUKS2 headers are at most 4 MiB
)

var (
	luksMagic        = []byte("LUKS\xba\xbe")
	errLUKSMalformed = errors.New("malformed LUKS header")
)

// parseLUKSHeader parses a LUKS1 or LUKS2 header. LUKS1 stores the cipher
// name and mode at fixed offsets; LUKS2 stores "cipher-mode" in the JSON
// area's first segment, which libcryptsetup splits at the first dash
// ("aes-xts-plain64" is aes and xts-plain64).
func parseLUKSHeader(r io.Reader) (luksHeader, error) {
	var h luksHeader
	bin := make([]byte, luksBinaryHeader)
	n, err := io.ReadFull(r, bin)
	if n < 208 || !bytes.Equal(bin[:6], luksMagic) {
		if err == nil {
			err = errLUKSMalformed
		}
		return h, errors.Join(errLUKSMalformed, err)
	}
	h.version = int(binary.BigEndian.Uint16(bin[6:8]))
	h.uuid = luksCString(bin[168:208])
	switch h.version {
	case 1:
		h.cipher, h.mode = luksCString(bin[8:40]), luksCString(bin[40:72])
		if h.cipher == "" {
			return h, errLUKSMalformed
		}
		return h, nil
	case 2:
		if n < luksBinaryHeader {
			return h, errLUKSMalformed
		}
		size := binary.BigEndian.Uint64(bin[8:16])
		if size <= luksBinaryHeader || size > luksMaxHeader {
			return h, errLUKSMalformed
		}
		js, err := io.ReadAll(io.LimitReader(r, int64(size-luksBinaryHeader)))
		if err != nil {
			return h, err
		}
		if i := bytes.IndexByte(js, 0); i >= 0 {
			js = js[:i]
		}
		var meta struct {
			Segments map[string]struct {
				Type       string `json:"type"`
				Encryption string `json:"encryption"`
			} `json:"segments"`
		}
		if err := json.Unmarshal(js, &meta); err != nil {
			return h, errors.Join(errLUKSMalformed, err)
		}
		keys := make([]string, 0, len(meta.Segments))
		for k := range meta.Segments {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if len(keys[i]) != len(keys[j]) {
				return len(keys[i]) < len(keys[j])
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			if s := meta.Segments[k]; s.Type == "crypt" && s.Encryption != "" {
				h.cipher, h.mode = luksSplitCipher(s.Encryption)
				return h, nil
			}
		}
		return h, errLUKSMalformed
	}
	return h, errLUKSMalformed
}

// luksSplitCipher is libcryptsetup's crypt_parse_name_and_mode: "aes" alone
// and "aes-plain" mean CBC ("aes", "cbc-plain").
func luksSplitCipher(spec string) (cipher, mode string) {
	cipher, mode, ok := strings.Cut(spec, "-")
	switch {
	case !ok:
		return spec, "cbc-plain"
	case mode == "plain":
		return cipher, "cbc-plain"
	}
	return cipher, mode
}

// luksCString reads a NUL-terminated field.
func luksCString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
