-- Cases: units that handle them, the category taxonomy, the responsibility
-- map, the cases themselves with their units, history and photos, and the
-- working-day calendar.

CREATE TABLE units (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT 'department',
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	UNIQUE (region_code, name)
);
CREATE INDEX units_region_path ON units(region_path);

ALTER TABLE users ADD COLUMN unit_id TEXT NOT NULL DEFAULT '';

CREATE TABLE case_categories (
	code             TEXT PRIMARY KEY,
	parent_code      TEXT NOT NULL DEFAULT '',
	kind             TEXT NOT NULL CHECK (kind IN ('component','event')),
	name             TEXT NOT NULL,
	name_en          TEXT NOT NULL,
	handle_days      INTEGER NOT NULL DEFAULT 5,
	priority         INTEGER NOT NULL DEFAULT 2,
	filing_standard  TEXT NOT NULL DEFAULT '',
	closing_standard TEXT NOT NULL DEFAULT '',
	active           INTEGER NOT NULL DEFAULT 1
);

-- Which unit handles a category (a subcategory code or its class code) in a
-- region subtree; the most specific region wins, then the most specific
-- category. category_code '*' is a region's catch-all.
CREATE TABLE responsibilities (
	category_code TEXT NOT NULL,
	region_code   TEXT NOT NULL REFERENCES regions(code),
	region_path   TEXT NOT NULL,
	unit_id       TEXT NOT NULL REFERENCES units(id),
	updated_by    TEXT NOT NULL DEFAULT '',
	updated_at    TEXT NOT NULL,
	PRIMARY KEY (category_code, region_code)
);

CREATE TABLE cases (
	id                 TEXT PRIMARY KEY,
	no                 TEXT NOT NULL UNIQUE,
	channel            TEXT NOT NULL,
	category_code      TEXT NOT NULL REFERENCES case_categories(code),
	status             TEXT NOT NULL,
	priority           INTEGER NOT NULL,
	description        TEXT NOT NULL,
	address            TEXT NOT NULL DEFAULT '',
	lng                REAL NOT NULL,
	lat                REAL NOT NULL,
	grid_code          TEXT NOT NULL REFERENCES regions(code),
	region_path        TEXT NOT NULL,
	reporter_id        TEXT NOT NULL DEFAULT '',
	reporter_role      TEXT NOT NULL DEFAULT '',
	reporter_name_enc  TEXT NOT NULL DEFAULT '',
	reporter_phone_enc TEXT NOT NULL DEFAULT '',
	reporter_phone_hash TEXT NOT NULL DEFAULT '',
	entered_by         TEXT NOT NULL DEFAULT '',
	lead_unit_id       TEXT NOT NULL DEFAULT '',
	merged_into        TEXT NOT NULL DEFAULT '',
	idempotency_key    TEXT,
	follow_token_hash  TEXT NOT NULL DEFAULT '',
	reported_at        TEXT NOT NULL,
	accepted_at        TEXT NOT NULL DEFAULT '',
	dispatched_at      TEXT NOT NULL DEFAULT '',
	replied_at         TEXT NOT NULL DEFAULT '',
	closed_at          TEXT NOT NULL DEFAULT '',
	rated_at           TEXT NOT NULL DEFAULT '',
	accept_due         TEXT NOT NULL DEFAULT '',
	dispatch_due       TEXT NOT NULL DEFAULT '',
	handle_due         TEXT NOT NULL DEFAULT '',
	verify_due         TEXT NOT NULL DEFAULT '',
	next_due           TEXT NOT NULL DEFAULT '',
	reminded_at        TEXT NOT NULL DEFAULT '',
	overdue            INTEGER NOT NULL DEFAULT 0,
	closed_late        INTEGER NOT NULL DEFAULT 0,
	escalated_at       TEXT NOT NULL DEFAULT '',
	postpone_days      INTEGER NOT NULL DEFAULT 0,
	postpone_pending   INTEGER NOT NULL DEFAULT 0,
	rework_count       INTEGER NOT NULL DEFAULT 0,
	reopened           INTEGER NOT NULL DEFAULT 0,
	satisfaction       INTEGER NOT NULL DEFAULT 0,
	handle_work_ms     INTEGER NOT NULL DEFAULT 0,
	version            INTEGER NOT NULL DEFAULT 1,
	updated_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX cases_idempotency ON cases(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX cases_region_reported ON cases(region_path, reported_at);
CREATE INDEX cases_status_due ON cases(status, next_due);
CREATE INDEX cases_lead_unit ON cases(lead_unit_id, status);
-- Duplicate hints look for the same subcategory in a small lat/lng box.
CREATE INDEX cases_nearby ON cases(category_code, lat, lng);
CREATE INDEX cases_reporter ON cases(reporter_id, reported_at);

CREATE TABLE case_units (
	case_id     TEXT NOT NULL REFERENCES cases(id),
	unit_id     TEXT NOT NULL REFERENCES units(id),
	role        TEXT NOT NULL CHECK (role IN ('lead','assist')),
	assigned_at TEXT NOT NULL,
	PRIMARY KEY (case_id, unit_id)
);
CREATE INDEX case_units_unit ON case_units(unit_id, case_id);

CREATE TABLE case_events (
	case_id     TEXT NOT NULL REFERENCES cases(id),
	seq         INTEGER NOT NULL,
	at          TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	actor       TEXT NOT NULL,
	role        TEXT NOT NULL,
	action      TEXT NOT NULL,
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	unit_id     TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT '',
	data        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_photos (
	case_id    TEXT NOT NULL REFERENCES cases(id),
	photo_id   TEXT NOT NULL,
	stage      TEXT NOT NULL,
	added_by   TEXT NOT NULL DEFAULT '',
	added_at   TEXT NOT NULL,
	PRIMARY KEY (case_id, photo_id)
);

CREATE TABLE holidays (
	date   TEXT PRIMARY KEY,
	name   TEXT NOT NULL,
	off    INTEGER NOT NULL,
	year   INTEGER NOT NULL
);

-- Sums behind the case rates, per town and day of reporting, kept exact by
-- every write that changes a case (see internal/cases/rollup.go).
CREATE TABLE case_rollup (
	town_path TEXT NOT NULL,
	day       TEXT NOT NULL,
	reported  BIGINT NOT NULL DEFAULT 0,
	rejected  BIGINT NOT NULL DEFAULT 0,
	open      BIGINT NOT NULL DEFAULT 0,
	closed    BIGINT NOT NULL DEFAULT 0,
	overdue   BIGINT NOT NULL DEFAULT 0,
	resp_num  BIGINT NOT NULL DEFAULT 0,
	resp_den  BIGINT NOT NULL DEFAULT 0,
	on_time   BIGINT NOT NULL DEFAULT 0,
	resolved  BIGINT NOT NULL DEFAULT 0,
	satisfied BIGINT NOT NULL DEFAULT 0,
	rated     BIGINT NOT NULL DEFAULT 0,
	reworked  BIGINT NOT NULL DEFAULT 0,
	work_ms   BIGINT NOT NULL DEFAULT 0,
	replied   BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (town_path, day)
);
