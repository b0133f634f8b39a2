-- Results are stored a query run at a time. osquery logs the rows one run
-- of a scheduled query added or removed (or its snapshot) with one name,
-- time, epoch, counter and decorations; a group holds such rows of one
-- host, and the table and its four indexes get one entry per group
-- instead of one per row. At the load target (20,000 hosts posting ~10
-- rows every 10 s) that is most of the writer's work gone: index entries
-- were scattered over 20,000 hosts' ranges, a dirty page each.
--
-- data is a JSON array of the rows, each an array of its action and then
-- its column values in the order of the key set's keys:
--   [["added","1234","sshd",...],["removed","99","cron",...]]
-- Row n (from 0) of group g has the id g * 4096 + n (see results.go).
CREATE TABLE result_groups (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER NOT NULL,
	host_id     INTEGER NOT NULL,
	name_id     INTEGER NOT NULL,
	unix_time   INTEGER NOT NULL,
	epoch       INTEGER NOT NULL,
	counter     INTEGER NOT NULL,
	keyset_id   INTEGER NOT NULL,
	lines       INTEGER NOT NULL,
	data        TEXT    NOT NULL,
	decorations TEXT
);

-- Each stored row becomes a group of one, keeping its id as the group's.
INSERT INTO result_groups (id, customer_id, host_id, name_id, unix_time, epoch, counter, keyset_id, lines, data, decorations)
	SELECT id, customer_id, host_id, name_id, unix_time, epoch, counter, keyset_id, 1,
		'[[' || json_quote(action) || CASE WHEN columns = '[]' THEN '' ELSE ',' || substr(columns, 2, length(columns) - 2) END || ']]',
		decorations
	FROM results ORDER BY id;
DROP TABLE results;

CREATE INDEX result_groups_time ON result_groups (unix_time);
CREATE INDEX result_groups_customer_time ON result_groups (customer_id, unix_time);
CREATE INDEX result_groups_host_time ON result_groups (host_id, unix_time);
CREATE INDEX result_groups_name_time ON result_groups (name_id, unix_time);
