package tables

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("hash", func() *table.Table {
		return &table.Table{
			Name:        "hash",
			Description: "Filesystem hash data.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("path", table.Index, table.Required, table.Optimized),
				table.TextColumn("directory", table.Required, table.Optimized),
				table.TextColumn("md5").WithCollate("nocase"),
				table.TextColumn("sha1").WithCollate("nocase"),
				table.TextColumn("sha256").WithCollate("nocase"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genHash,
		}
	})
}

// hashReadMax is osquery's --read_max default (50 MiB): larger files are not
// hashed; their row has empty digests, as osquery gives.
const hashReadMax = 50 << 20

// hashChunk is the read size while hashing.
const hashChunk = 64 << 10

// errHashTooLarge reports a file over hashReadMax.
var errHashTooLarge = errors.New("file exceeds the read limit")

// genHash hashes the regular files (symlinks followed) that the path
// constraints name or match, then the regular files directly inside the
// directories that the directory constraints name or match, as osquery
// does. Both LIKE expansions keep files and directories, as osquery's do.
func genHash(q *table.Query, yield func(table.Row) bool) error {
	digests := q.Used("md5", "sha1", "sha256")
	var buf []byte
	emit := func(p, dir string) bool {
		r := q.NewRow()
		r.Set("path", table.Text(p))
		r.Set("directory", table.Text(dir))
		r.Set("pid_with_namespace", table.Int(0))
		if digests {
			if buf == nil {
				buf = make([]byte, hashChunk)
			}
			sums, err := hashFileDigests(q.Context(), q.Root(), p, buf)
			if err != nil {
				if q.Context().Err() != nil {
					return false
				}
				q.Warn("cannot hash file", "path", p, "err", err)
			}
			// A file that could not be read keeps empty digests, as osquery.
			r.Set("md5", table.Text(sums[0]))
			r.Set("sha1", table.Text(sums[1]))
			r.Set("sha256", table.Text(sums[2]))
		}
		return yield(r)
	}
	for _, p := range fileConstraintTargets(q, "path", fileGlobAll) {
		if q.Context().Err() != nil {
			return nil
		}
		if !hashIsRegular(q.Root(), p) {
			continue
		}
		if !emit(p, boostParentPath(p)) {
			return nil
		}
	}
	for _, dir := range fileConstraintTargets(q, "directory", fileGlobAll) {
		entries, err := q.Root().ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if q.Context().Err() != nil {
				return nil
			}
			p := boostJoin(dir, e.Name())
			if !hashIsRegular(q.Root(), p) {
				continue
			}
			if !emit(p, dir) {
				return nil
			}
		}
	}
	return nil
}

// hashIsRegular is boost's is_regular_file: stat, following symlinks.
func hashIsRegular(root *hostfs.Root, p string) bool {
	fi, err := fileStat(root, p)
	return err == nil && fi.Mode().IsRegular()
}

// hashFileDigests streams a host file through MD5, SHA-1 and SHA-256 at
// once, never holding more than buf in memory. Files over hashReadMax (by
// size, or by what is read from pseudo-files that report size 0) are not
// hashed. It stops when ctx is done.
func hashFileDigests(ctx context.Context, root *hostfs.Root, p string, buf []byte) ([3]string, error) {
	var out [3]string
	f, err := root.Open(p)
	if err != nil {
		return out, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > hashReadMax {
		return out, fmt.Errorf("%w (%d bytes)", errHashTooLarge, fi.Size())
	}
	hs := [3]hash.Hash{md5.New(), sha1.New(), sha256.New()}
	w := io.MultiWriter(hs[0], hs[1], hs[2])
	if _, err := hashCopy(ctx, w, f, buf, hashReadMax); err != nil {
		return out, err
	}
	for i, h := range hs {
		out[i] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

// hashCopy copies r to w through buf, failing once more than max bytes have
// been read or ctx is done.
func hashCopy(ctx context.Context, w io.Writer, r io.Reader, buf []byte, max int64) (int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := r.Read(buf)
		if n > 0 {
			total += int64(n)
			if total > max {
				return total, errHashTooLarge
			}
			w.Write(buf[:n]) // hash.Hash writes never fail
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
