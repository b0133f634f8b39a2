package tables_test

func init() {
	// A trailing %% recurses; directories come back with a trailing slash,
	// the symlinked release directory is followed, hidden files are left out.
	goldenWhere["file"] = "path LIKE '/opt/acme/%%'"
	// Stat data that depends on the checkout: inode numbers, owner, times,
	// the umask applied to modes, and directory sizes and link counts.
	goldenVolatile["file"] = []string{"inode", "uid", "gid", "mode", "size", "block_size", "atime", "mtime", "ctime", "hard_links"}
}
