-- Lookups by host identifier across customers (a provider's REST calls and
-- live queries naming hosts) scanned the hosts table: the unique index
-- leads with customer_id.
CREATE INDEX hosts_identifier ON hosts (identifier);
