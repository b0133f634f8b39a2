package tables

import (
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("authorized_keys", func() *table.Table {
		return &table.Table{
			Name:        "authorized_keys",
			Description: "A line-delimited authorized_keys table.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Additional),
				table.TextColumn("algorithm"),
				table.TextColumn("key"),
				table.TextColumn("options"),
				table.TextColumn("comment"),
				table.TextColumn("key_file"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genAuthorizedKeys,
		}
	})
}

// authorizedKeysFiles are the files osquery reads under each home.
var authorizedKeysFiles = []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}

// authorizedKeyTypes are the key types osquery recognizes, in the order it
// looks for them.
var authorizedKeyTypes = []string{"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// authorizedKey is one parsed authorized_keys line; a field is nil when
// osquery leaves the column NULL.
type authorizedKey struct {
	Algorithm, Key, Options, Comment *string
}

func genAuthorizedKeys(q *table.Query, yield func(table.Row) bool) error {
	for _, u := range acctUsers(q) {
		for _, rel := range authorizedKeysFiles {
			file := acctHomeFile(u.Home, rel)
			b, err := acctReadFile(q.Root(), file)
			if err != nil {
				if acctMissing(err) {
					continue
				}
				// osquery stops at the first unreadable file of a user.
				q.Warn("cannot read authorized keys", "file", file, "err", err)
				break
			}
			for _, k := range parseAuthorizedKeys(b) {
				r := q.NewRow()
				r.Set("uid", table.Int(u.UID))
				authorizedKeySet(r, "algorithm", k.Algorithm)
				authorizedKeySet(r, "key", k.Key)
				authorizedKeySet(r, "options", k.Options)
				authorizedKeySet(r, "comment", k.Comment)
				r.Set("key_file", table.Text(file))
				r.Set("pid_with_namespace", table.Int(0))
				if !yield(r) {
					return nil
				}
			}
		}
	}
	return nil
}

func authorizedKeySet(r table.Row, col string, s *string) {
	if s != nil {
		r.Set(col, table.Text(*s))
	}
}

// parseAuthorizedKeys parses authorized_keys(5) lines as osquery does. The
// first known key type that occurs in the line followed by a blank splits
// it: what comes before is the options, the next word the key and the rest
// the comment. A line without a known key type is kept, as options only,
// when one of its comma-separated options is zos-key-ring-label=; other
// lines and comments are skipped.
func parseAuthorizedKeys(b []byte) []authorizedKey {
	var out []authorizedKey
	for _, line := range acctSplitLines(b) {
		if line == "" || line[0] == '#' {
			continue
		}
		if k, ok := parseAuthorizedKeyLine(line); ok {
			out = append(out, k)
			continue
		}
		if zosKeyRingLabel(line) {
			opts := line
			out = append(out, authorizedKey{Options: &opts})
		}
	}
	return out
}

const authorizedKeyBlank = "\t "

func parseAuthorizedKeyLine(line string) (authorizedKey, bool) {
	for _, kt := range authorizedKeyTypes {
		pos := strings.Index(line, kt)
		if pos < 0 {
			continue
		}
		end := pos + len(kt)
		if end >= len(line) || (line[end] != ' ' && line[end] != '\t') {
			continue
		}
		var k authorizedKey
		algorithm := kt
		k.Algorithm = &algorithm
		if pos > 0 {
			opts := strings.TrimRight(line[:pos], authorizedKeyBlank)
			k.Options = &opts
		}
		rest := strings.TrimLeft(line[end:], authorizedKeyBlank)
		if rest == "" {
			// Unreachable on trimmed lines; osquery makes no row then.
			return authorizedKey{}, false
		}
		if i := strings.IndexAny(rest, authorizedKeyBlank); i >= 0 {
			key, comment := rest[:i], strings.TrimLeft(rest[i:], authorizedKeyBlank)
			k.Key, k.Comment = &key, &comment
		} else {
			key := rest
			k.Key = &key
		}
		return k, true
	}
	return authorizedKey{}, false
}

// zosKeyRingLabel reports whether a comma-separated option starts with
// zos-key-ring-label= (z/OS keys held in a RACF key ring).
func zosKeyRingLabel(line string) bool {
	for opt := range strings.SplitSeq(line, ",") {
		if strings.HasPrefix(acctTrimSpace(opt), "zos-key-ring-label=") {
			return true
		}
	}
	return false
}
