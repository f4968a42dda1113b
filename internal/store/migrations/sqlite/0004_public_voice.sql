-- Public voice: people's suggestions from every channel traced to what they
-- became (direct report points, opinion boxes, invited suggestion-makers,
-- associations), and thematic campaigns with questionnaires and responses.

-- 直报点 (report_point: a place with its keeper) and 社情民意箱 (box).
CREATE TABLE suggestion_points (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL CHECK (kind IN ('report_point','box')),
	code           TEXT NOT NULL UNIQUE,
	name           TEXT NOT NULL,
	region_code    TEXT NOT NULL REFERENCES regions(code),
	region_path    TEXT NOT NULL,
	lng            REAL,
	lat            REAL,
	address        TEXT NOT NULL DEFAULT '',
	keeper_user_id TEXT NOT NULL DEFAULT '',
	active         INTEGER NOT NULL DEFAULT 1,
	created_at     TEXT NOT NULL
);
CREATE INDEX suggestion_points_region ON suggestion_points(region_path);

-- 特邀建议人: named people with their field.
CREATE TABLE suggestion_makers (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	field       TEXT NOT NULL DEFAULT '',
	user_id     TEXT UNIQUE REFERENCES users(id),
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

-- 行业协会商会 submitting concerns for their members.
CREATE TABLE associations (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('industry','chamber')),
	user_id     TEXT UNIQUE REFERENCES users(id),
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	UNIQUE (region_code, name)
);

CREATE TABLE suggestions (
	id                TEXT PRIMARY KEY,
	no                TEXT NOT NULL UNIQUE,
	channel           TEXT NOT NULL CHECK (channel IN ('online','report_point','box','invited','door','association','campaign')),
	point_id          TEXT NOT NULL DEFAULT '',
	maker_id          TEXT NOT NULL DEFAULT '',
	association_id    TEXT NOT NULL DEFAULT '',
	campaign_id       TEXT NOT NULL DEFAULT '',
	title             TEXT NOT NULL,
	body              TEXT NOT NULL,
	topic             TEXT NOT NULL DEFAULT '',
	region_code       TEXT NOT NULL REFERENCES regions(code),
	region_path       TEXT NOT NULL,
	author_user_id    TEXT NOT NULL DEFAULT '',
	author_name_enc   TEXT NOT NULL DEFAULT '',
	author_phone_enc  TEXT NOT NULL DEFAULT '',
	author_phone_hash TEXT NOT NULL DEFAULT '',
	anonymous         INTEGER NOT NULL DEFAULT 0,
	follow_token_hash TEXT NOT NULL DEFAULT '',
	idempotency_key   TEXT UNIQUE,
	status            TEXT NOT NULL CHECK (status IN ('received','assessed','irrelevant','forwarded','adopted','not_adopted','implemented','merged','split')),
	unit_id           TEXT NOT NULL DEFAULT '',
	decision          TEXT NOT NULL DEFAULT '',
	reason            TEXT NOT NULL DEFAULT '',
	measure           TEXT NOT NULL DEFAULT '',
	measure_url       TEXT NOT NULL DEFAULT '',
	progress          INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
	merged_into       TEXT NOT NULL DEFAULT '',
	split_from        TEXT NOT NULL DEFAULT '',
	collected_at      TEXT NOT NULL DEFAULT '',
	slip_photo_id     TEXT NOT NULL DEFAULT '',
	entered_by        TEXT NOT NULL DEFAULT '',
	received_at       TEXT NOT NULL,
	assessed_at       TEXT NOT NULL DEFAULT '',
	forwarded_at      TEXT NOT NULL DEFAULT '',
	decided_at        TEXT NOT NULL DEFAULT '',
	implemented_at    TEXT NOT NULL DEFAULT '',
	updated_at        TEXT NOT NULL
);
CREATE INDEX suggestions_region ON suggestions(region_path, received_at);
CREATE INDEX suggestions_status ON suggestions(status, received_at);
CREATE INDEX suggestions_merged ON suggestions(merged_into);
CREATE INDEX suggestions_maker ON suggestions(maker_id);
CREATE INDEX suggestions_association ON suggestions(association_id);

-- The trail of a suggestion: every step, who, when, what was said.
CREATE TABLE suggestion_events (
	id            TEXT PRIMARY KEY,
	suggestion_id TEXT NOT NULL REFERENCES suggestions(id),
	action        TEXT NOT NULL,
	actor_id      TEXT NOT NULL DEFAULT '',
	actor_role    TEXT NOT NULL DEFAULT '',
	note          TEXT NOT NULL DEFAULT '',
	ref_id        TEXT NOT NULL DEFAULT '',
	at            TEXT NOT NULL
);
CREATE INDEX suggestion_events_suggestion ON suggestion_events(suggestion_id, at);

-- Dated milestones of an implemented measure, with its progress.
CREATE TABLE suggestion_milestones (
	id            TEXT PRIMARY KEY,
	suggestion_id TEXT NOT NULL REFERENCES suggestions(id),
	day           TEXT NOT NULL,
	progress      INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 100),
	note          TEXT NOT NULL,
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
);
CREATE INDEX suggestion_milestones_suggestion ON suggestion_milestones(suggestion_id, day);

-- A questionnaire: its JSON schema is the source of truth (XLSForm is
-- converted to and from it). mode 'anonymous' keeps no link to a person.
CREATE TABLE questionnaires (
	id          TEXT PRIMARY KEY,
	title       TEXT NOT NULL,
	schema      TEXT NOT NULL,
	mode        TEXT NOT NULL CHECK (mode IN ('anonymous','named')),
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','open','closed')),
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX questionnaires_region ON questionnaires(region_path);

-- At most quota responses from a region subtree (e.g. per county).
CREATE TABLE questionnaire_quotas (
	questionnaire_id TEXT NOT NULL REFERENCES questionnaires(id),
	region_code      TEXT NOT NULL REFERENCES regions(code),
	region_path      TEXT NOT NULL,
	quota            INTEGER NOT NULL CHECK (quota > 0),
	used             INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (questionnaire_id, region_code),
	CHECK (used <= quota)
);

CREATE TABLE campaigns (
	id               TEXT PRIMARY KEY,
	title            TEXT NOT NULL,
	topic            TEXT NOT NULL DEFAULT '',
	description      TEXT NOT NULL DEFAULT '',
	region_code      TEXT NOT NULL REFERENCES regions(code),
	region_path      TEXT NOT NULL,
	regions          TEXT NOT NULL DEFAULT '',
	starts_at        TEXT NOT NULL,
	ends_at          TEXT NOT NULL,
	questionnaire_id TEXT NOT NULL DEFAULT '',
	open_call        INTEGER NOT NULL DEFAULT 0,
	status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','open','closed')),
	created_by       TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX campaigns_region ON campaigns(region_path, starts_at);

-- A response. Anonymous: no respondent, a random (not time-ordered) id and
-- the submission time cut to the hour. Named: one per person, by the key.
CREATE TABLE responses (
	id               TEXT PRIMARY KEY,
	questionnaire_id TEXT NOT NULL REFERENCES questionnaires(id),
	respondent_id    TEXT,
	idem_key         TEXT NOT NULL,
	region_code      TEXT NOT NULL DEFAULT '',
	region_path      TEXT NOT NULL DEFAULT '',
	submitted_at     TEXT NOT NULL,
	answers          TEXT NOT NULL,
	UNIQUE (questionnaire_id, respondent_id),
	UNIQUE (questionnaire_id, idem_key)
);
CREATE INDEX responses_questionnaire ON responses(questionnaire_id, submitted_at);

-- One row per chosen option of a choice question (single, multiple,
-- rating, matrix cell, ranking position), for counts and cross-tabs in SQL.
CREATE TABLE response_choices (
	questionnaire_id TEXT NOT NULL,
	response_id      TEXT NOT NULL,
	question         TEXT NOT NULL,
	choice           TEXT NOT NULL,
	region_path      TEXT NOT NULL DEFAULT '',
	day              TEXT NOT NULL
);
CREATE INDEX response_choices_q ON response_choices(questionnaire_id, question, choice);
CREATE INDEX response_choices_r ON response_choices(response_id);
