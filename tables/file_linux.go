package tables

import (
	"io/fs"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("file", func() *table.Table {
		return &table.Table{
			Name:        "file",
			Description: "Interactive filesystem attributes and metadata.",
			Platforms:   []string{"linux"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("path", table.Index, table.Required, table.Optimized),
				table.TextColumn("directory", table.Required, table.Optimized),
				table.TextColumn("filename"),
				table.BigIntColumn("inode"),
				table.BigIntColumn("uid"),
				table.BigIntColumn("gid"),
				table.TextColumn("mode"),
				table.BigIntColumn("device"),
				table.BigIntColumn("size"),
				table.IntegerColumn("block_size"),
				table.BigIntColumn("atime"),
				table.BigIntColumn("mtime"),
				table.BigIntColumn("ctime"),
				table.BigIntColumn("btime"),
				table.IntegerColumn("hard_links"),
				table.IntegerColumn("symlink"),
				table.TextColumn("type"),
				table.TextColumn("symlink_target_path"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genFile,
		}
	})
}

// genFile reports the paths that the path constraints name or match, then
// the entries of the directories that the directory constraints name or
// match, as osquery does. A LIKE pattern on path keeps files and
// directories (directories with a trailing slash, as glob(3) marks them); on
// directory it keeps directories only. A directory is listed whole, hidden
// entries included, without recursing.
func genFile(q *table.Query, yield func(table.Row) bool) error {
	for _, p := range fileConstraintTargets(q, "path", fileGlobAll) {
		if q.Context().Err() != nil {
			return nil
		}
		if r, ok := fileRow(q, p, boostParentPath(p)); ok && !yield(r) {
			return nil
		}
	}
	for _, dir := range fileConstraintTargets(q, "directory", fileGlobFolders) {
		entries, err := q.Root().ReadDir(dir)
		if err != nil {
			continue // osquery skips unreadable and non-directories silently
		}
		for _, e := range entries {
			if q.Context().Err() != nil {
				return nil
			}
			if r, ok := fileRow(q, boostJoin(dir, e.Name()), dir); ok && !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// fileRow stats one path as osquery's genFileInfo does: lstat for the
// symlink flag and target, then stat, falling back to the lstat result for a
// dangling link. A path that cannot be lstat'ed gives no row.
func fileRow(q *table.Query, p, parent string) (table.Row, bool) {
	root := q.Root()
	r := q.NewRow()
	lfi, err := fileLstat(root, p)
	if err != nil {
		return r, false
	}
	r.Set("path", table.Text(p))
	r.Set("filename", table.Text(boostFilename(p)))
	r.Set("directory", table.Text(parent))
	r.Set("symlink", table.Int(0))
	if lfi.Mode()&fs.ModeSymlink != 0 {
		r.Set("symlink", table.Int(1))
		if target, err := root.Readlink(p); err == nil {
			r.Set("symlink_target_path", table.Text(target))
		}
	}
	fi, err := fileStat(root, p)
	typ := ""
	if err != nil {
		fi, typ = lfi, fileStatTypeName(err)
	}
	st, ok := fileStatOf(fi)
	if !ok {
		q.Warn("no stat data", "path", p)
		return r, false
	}
	if typ == "" {
		typ = fileTypeName(st.mode)
	}
	r.Set("inode", table.Uint(st.ino))
	r.Set("uid", table.Int(st.uid))
	r.Set("gid", table.Int(st.gid))
	r.Set("mode", table.Text(fileModeOctal(st.mode)))
	r.Set("device", table.Uint(st.rdev))
	r.Set("size", table.Int(st.size))
	r.Set("block_size", table.Int(st.blksize))
	r.Set("hard_links", table.Int(st.nlink))
	r.Set("atime", table.Int(st.atime))
	r.Set("mtime", table.Int(st.mtime))
	r.Set("ctime", table.Int(st.ctime))
	r.Set("btime", table.Int(0)) // Linux stat(2) has no birth time; osquery reports 0
	r.Set("type", table.Text(typ))
	r.Set("pid_with_namespace", table.Int(0))
	return r, true
}
