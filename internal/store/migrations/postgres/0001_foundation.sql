-- Foundation: settings, the region tree, accounts, sessions, API tokens,
-- residents' personal data (encrypted) and the hash-chained audit log.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE regions (
	code        TEXT PRIMARY KEY,
	parent_code TEXT REFERENCES regions(code),
	name        TEXT NOT NULL,
	level       TEXT NOT NULL CHECK (level IN ('city','county','town','village','grid')),
	kind        TEXT NOT NULL DEFAULT 'admin' CHECK (kind IN ('admin','zone')),
	path        TEXT COLLATE "C" NOT NULL,
	depth       INTEGER NOT NULL,
	households  INTEGER NOT NULL DEFAULT 0,
	boundary    TEXT,
	min_lng     DOUBLE PRECISION, min_lat DOUBLE PRECISION, max_lng DOUBLE PRECISION, max_lat DOUBLE PRECISION,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code, code);
CREATE INDEX regions_path ON regions(path);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	role          TEXT NOT NULL,
	region_code   TEXT NOT NULL REFERENCES regions(code),
	region_path   TEXT COLLATE "C" NOT NULL,
	unit          TEXT NOT NULL DEFAULT '',
	phone_enc     TEXT NOT NULL DEFAULT '',
	phone_hash    TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  TEXT NOT NULL DEFAULT '',
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	last_login_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX users_region_path ON users(region_path, username);
CREATE INDEX users_phone_hash ON users(phone_hash);

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT '',
	revoked_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE people (
	id           TEXT PRIMARY KEY,
	grid_code    TEXT NOT NULL REFERENCES regions(code),
	region_path  TEXT COLLATE "C" NOT NULL,
	household_no TEXT NOT NULL DEFAULT '',
	name_enc     TEXT NOT NULL,
	phone_enc    TEXT NOT NULL DEFAULT '',
	phone_hash   TEXT NOT NULL DEFAULT '',
	idno_enc     TEXT NOT NULL DEFAULT '',
	idno_hash    TEXT NOT NULL DEFAULT '',
	tags         TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE INDEX people_region_path ON people(region_path, id);
CREATE INDEX people_phone_hash ON people(phone_hash);
CREATE INDEX people_idno_hash ON people(idno_hash);

CREATE TABLE audit_log (
	seq         BIGINT PRIMARY KEY,
	at          TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	actor       TEXT NOT NULL,
	role        TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	region_path TEXT COLLATE "C" NOT NULL DEFAULT '',
	ip          TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);

-- One row that every audit append locks, so the chain has one writer at a time.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head(id, seq, hash) VALUES (1, 0, '');
