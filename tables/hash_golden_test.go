package tables_test

func init() {
	goldenWhere["hash"] = "path LIKE '/opt/acme/%%'"
}
