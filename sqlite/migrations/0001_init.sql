-- The manager's first schema. Times are INTEGER microseconds since the Unix
-- epoch (0: unset), except results.unix_time, which is the agent's seconds.
-- customer_id is NULL for the provider's objects (the domain's 0), so that
-- foreign keys cascade when a customer goes; unique names per customer use
-- coalesce(customer_id, 0). Maps and lists are JSON text.

CREATE TABLE customers (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

CREATE TABLE enroll_secrets (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	name        TEXT    NOT NULL,
	hash        BLOB    NOT NULL UNIQUE,
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER
);
CREATE INDEX enroll_secrets_customer ON enroll_secrets (customer_id);

-- hosts keeps what the hot paths touch (auth, last seen, counts) in a
-- narrow row; the large inventory JSON lives in host_details so that
-- TouchHosts rewrites a small record.
CREATE TABLE hosts (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id       INTEGER NOT NULL REFERENCES customers (id),
	identifier        TEXT    NOT NULL,
	node_key_hash     BLOB,
	hostname          TEXT    NOT NULL DEFAULT '',
	uuid              TEXT    NOT NULL DEFAULT '',
	platform          TEXT    NOT NULL DEFAULT '',
	platform_like     TEXT    NOT NULL DEFAULT '',
	platform_type     TEXT    NOT NULL DEFAULT '',
	os_name           TEXT    NOT NULL DEFAULT '',
	os_version        TEXT    NOT NULL DEFAULT '',
	os_build          TEXT    NOT NULL DEFAULT '',
	arch              TEXT    NOT NULL DEFAULT '',
	agent_version     TEXT    NOT NULL DEFAULT '',
	cpu_brand         TEXT    NOT NULL DEFAULT '',
	cpu_logical       INTEGER NOT NULL DEFAULT 0,
	memory_bytes      INTEGER NOT NULL DEFAULT 0,
	hardware_vendor   TEXT    NOT NULL DEFAULT '',
	hardware_model    TEXT    NOT NULL DEFAULT '',
	hardware_serial   TEXT    NOT NULL DEFAULT '',
	primary_ip        TEXT    NOT NULL DEFAULT '',
	primary_mac       TEXT    NOT NULL DEFAULT '',
	uptime_seconds    INTEGER NOT NULL DEFAULT 0,
	enrolled_at       INTEGER NOT NULL DEFAULT 0,
	last_seen         INTEGER NOT NULL DEFAULT 0,
	detail_updated_at INTEGER NOT NULL DEFAULT 0,
	UNIQUE (customer_id, identifier)
);
CREATE UNIQUE INDEX hosts_node_key ON hosts (node_key_hash) WHERE node_key_hash IS NOT NULL;
-- CountHosts reads only this index: totals, platforms, OS and online.
CREATE INDEX hosts_counts ON hosts (customer_id, platform, os_name, os_version, last_seen);
CREATE INDEX hosts_hostname ON hosts (hostname COLLATE NOCASE);

CREATE TABLE host_details (
	host_id INTEGER PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
	details TEXT NOT NULL
);

CREATE TABLE queries (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	name        TEXT    NOT NULL,
	sql         TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	interval    INTEGER NOT NULL DEFAULT 0,
	snapshot    INTEGER NOT NULL DEFAULT 0,
	removed     INTEGER,
	platform    TEXT    NOT NULL DEFAULT '',
	version     TEXT    NOT NULL DEFAULT '',
	shard       INTEGER NOT NULL DEFAULT 0,
	techniques  TEXT    NOT NULL DEFAULT '[]',
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX queries_name ON queries (coalesce(customer_id, 0), name);

CREATE TABLE labels (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	sql         TEXT    NOT NULL DEFAULT '',
	platform    TEXT    NOT NULL DEFAULT '',
	manual      INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX labels_name ON labels (coalesce(customer_id, 0), name);

CREATE TABLE label_membership (
	label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	host_id  INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
	PRIMARY KEY (label_id, host_id)
) WITHOUT ROWID;
CREATE INDEX label_membership_host ON label_membership (host_id);

CREATE TABLE packs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	platform    TEXT    NOT NULL DEFAULT '',
	version     TEXT    NOT NULL DEFAULT '',
	shard       INTEGER NOT NULL DEFAULT 0,
	discovery   TEXT    NOT NULL DEFAULT '[]',
	queries     TEXT    NOT NULL DEFAULT '[]',
	platforms   TEXT    NOT NULL DEFAULT '[]',
	disabled    INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX packs_name ON packs (coalesce(customer_id, 0), name);

-- A pack's target customers and labels, as rows so that deleting a
-- customer or a label can see which packs name it.
CREATE TABLE pack_customers (
	pack_id     INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
	customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
	PRIMARY KEY (pack_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX pack_customers_customer ON pack_customers (customer_id);

CREATE TABLE pack_labels (
	pack_id  INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
	PRIMARY KEY (pack_id, label_id)
) WITHOUT ROWID;
CREATE INDEX pack_labels_label ON pack_labels (label_id);

-- One row: the generation of queries, packs, labels and membership.
CREATE TABLE config_generation (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
);
INSERT INTO config_generation (id, generation) VALUES (1, 1);

CREATE TABLE campaigns (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	sql         TEXT    NOT NULL,
	host_ids    TEXT    NOT NULL DEFAULT '[]',
	label_ids   TEXT    NOT NULL DEFAULT '[]',
	created_by  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
CREATE INDEX campaigns_expires ON campaigns (expires_at);

CREATE TABLE campaign_results (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
	host_id     INTEGER NOT NULL,
	status      TEXT    NOT NULL,
	error       TEXT    NOT NULL DEFAULT '',
	rows        TEXT,
	stats       TEXT,
	at          INTEGER NOT NULL
);
CREATE INDEX campaign_results_campaign ON campaign_results (campaign_id, seq);

-- Scheduled-query results: the hot table. No foreign keys (a lookup per
-- row on ingest); ids never reused (AUTOINCREMENT) so that rows of a
-- deleted host cannot be confused with a later one's. Query names are
-- interned in result_names (a few hundred names, millions of rows): rows
-- and the name index carry an integer. The indexes serve the REST
-- searches, each in (unix_time, id) order.
CREATE TABLE result_names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

-- A row's columns are a JSON array of values; their keys, a JSON array
-- of sorted keys, are interned in result_keysets (see columns.go).
CREATE TABLE result_keysets (
	id   INTEGER PRIMARY KEY,
	keys TEXT NOT NULL UNIQUE
);

CREATE TABLE results (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER NOT NULL,
	host_id     INTEGER NOT NULL,
	name_id     INTEGER NOT NULL,
	action      TEXT    NOT NULL,
	unix_time   INTEGER NOT NULL,
	epoch       INTEGER NOT NULL,
	counter     INTEGER NOT NULL,
	keyset_id   INTEGER NOT NULL,
	columns     TEXT    NOT NULL,
	decorations TEXT
);
CREATE INDEX results_time ON results (unix_time);
CREATE INDEX results_customer_time ON results (customer_id, unix_time);
CREATE INDEX results_host_time ON results (host_id, unix_time);
CREATE INDEX results_name_time ON results (name_id, unix_time);

CREATE TABLE statuses (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	customer_id INTEGER NOT NULL,
	host_id     INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	severity    INTEGER NOT NULL,
	filename    TEXT    NOT NULL,
	line        INTEGER NOT NULL,
	message     TEXT    NOT NULL,
	version     TEXT    NOT NULL
);
CREATE INDEX statuses_time ON statuses (time);
CREATE INDEX statuses_customer_time ON statuses (customer_id, time);
CREATE INDEX statuses_host_time ON statuses (host_id, time);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	name          TEXT    NOT NULL DEFAULT '',
	password_hash BLOB,
	role          TEXT    NOT NULL,
	customer_id   INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	created_at    INTEGER NOT NULL
);
CREATE INDEX users_customer ON users (customer_id);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	name         TEXT    NOT NULL DEFAULT '',
	hash         BLOB    NOT NULL UNIQUE,
	role         TEXT    NOT NULL,
	customer_id  INTEGER REFERENCES customers (id) ON DELETE CASCADE,
	user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_customer ON api_tokens (customer_id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
