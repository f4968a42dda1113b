-- Volunteers and the points economy: the volunteer registry, brands, teams,
-- projects and activities with sign-ups and attendance, certificates; the
-- double-entry points ledger with holds and earning rules; points
-- supermarkets with their catalogue, redemption days and orders.

CREATE TABLE volunteers (
	id            TEXT PRIMARY KEY,
	no            TEXT NOT NULL UNIQUE,
	user_id       TEXT UNIQUE REFERENCES users(id),
	name_enc      TEXT NOT NULL,
	phone_enc     TEXT NOT NULL DEFAULT '',
	phone_hash    TEXT NOT NULL DEFAULT '',
	idno_enc      TEXT NOT NULL DEFAULT '',
	idno_hash     TEXT UNIQUE,
	skills        TEXT NOT NULL DEFAULT '',
	grid_code     TEXT NOT NULL REFERENCES regions(code),
	region_path   TEXT COLLATE "C" NOT NULL,
	status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended','left')),
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
);
CREATE INDEX volunteers_region_path ON volunteers(region_path, id);
CREATE INDEX volunteers_phone_hash ON volunteers(phone_hash);

-- One county brand ("一县一品牌") with sub-brands below it.
CREATE TABLE brands (
	id          TEXT PRIMARY KEY,
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT COLLATE "C" NOT NULL,
	parent_id   TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	UNIQUE (region_code, name)
);

CREATE TABLE teams (
	id             TEXT PRIMARY KEY,
	region_code    TEXT NOT NULL REFERENCES regions(code),
	region_path    TEXT COLLATE "C" NOT NULL,
	name           TEXT NOT NULL,
	brand_id       TEXT NOT NULL DEFAULT '',
	leader_user_id TEXT NOT NULL DEFAULT '',
	skill          TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	UNIQUE (region_code, name)
);
CREATE INDEX teams_region_path ON teams(region_path);

CREATE TABLE team_members (
	team_id      TEXT NOT NULL REFERENCES teams(id),
	volunteer_id TEXT NOT NULL REFERENCES volunteers(id),
	joined_at    TEXT NOT NULL,
	PRIMARY KEY (team_id, volunteer_id)
);

CREATE TABLE projects (
	id          TEXT PRIMARY KEY,
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT COLLATE "C" NOT NULL,
	team_id     TEXT NOT NULL DEFAULT '',
	name        TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);

CREATE TABLE activities (
	id            TEXT PRIMARY KEY,
	project_id    TEXT NOT NULL DEFAULT '',
	team_id       TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	domain        TEXT NOT NULL CHECK (domain IN ('livelihood','culture','ecology','safety','industry')),
	address       TEXT NOT NULL DEFAULT '',
	lng           DOUBLE PRECISION NOT NULL,
	lat           DOUBLE PRECISION NOT NULL,
	grid_code     TEXT NOT NULL REFERENCES regions(code),
	region_path   TEXT COLLATE "C" NOT NULL,
	starts_at     TEXT NOT NULL,
	ends_at       TEXT NOT NULL,
	signup_opens  TEXT NOT NULL,
	signup_closes TEXT NOT NULL,
	radius_m      INTEGER NOT NULL DEFAULT 300,
	organiser_id  TEXT NOT NULL,
	qr_secret     TEXT NOT NULL,
	status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','cancelled','closed')),
	people_served BIGINT NOT NULL DEFAULT 0,
	created_at    TEXT NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX activities_region_start ON activities(region_path, starts_at);
CREATE INDEX activities_start ON activities(starts_at);

-- Recruitment quota per skill ('' = anyone).
CREATE TABLE activity_quotas (
	activity_id TEXT NOT NULL REFERENCES activities(id),
	skill       TEXT NOT NULL,
	quota       INTEGER NOT NULL CHECK (quota > 0),
	PRIMARY KEY (activity_id, skill)
);

-- A sign-up is also the attendance record: check-in, check-out, hours.
CREATE TABLE signups (
	id            TEXT PRIMARY KEY,
	activity_id   TEXT NOT NULL REFERENCES activities(id),
	volunteer_id  TEXT NOT NULL REFERENCES volunteers(id),
	skill         TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL CHECK (status IN ('pending','approved','waitlist','cancelled','rejected')),
	checkin_at    TEXT NOT NULL DEFAULT '',
	checkin_how   TEXT NOT NULL DEFAULT '',
	checkout_at   TEXT NOT NULL DEFAULT '',
	checkout_how  TEXT NOT NULL DEFAULT '',
	no_show       INTEGER NOT NULL DEFAULT 0,
	note          TEXT NOT NULL DEFAULT '',
	minutes       BIGINT NOT NULL DEFAULT 0 CHECK (minutes >= 0),
	hours_status  TEXT NOT NULL DEFAULT 'none' CHECK (hours_status IN ('none','approved')),
	approved_by   TEXT NOT NULL DEFAULT '',
	approved_at   TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL,
	UNIQUE (activity_id, volunteer_id)
);
CREATE INDEX signups_volunteer ON signups(volunteer_id, created_at);

CREATE TABLE certificates (
	no           TEXT PRIMARY KEY,
	volunteer_id TEXT NOT NULL REFERENCES volunteers(id),
	issued_by    TEXT NOT NULL,
	issued_at    TEXT NOT NULL,
	minutes      BIGINT NOT NULL,
	activities   INTEGER NOT NULL,
	digest       TEXT NOT NULL,
	created_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX certificates_volunteer ON certificates(volunteer_id);

-- The ledger. Issuer accounts (one per region that issues points) are the
-- only ones that may go below zero; all balances always sum to zero.
CREATE TABLE ledger_accounts (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL CHECK (kind IN ('issuer','wallet','store','expiry')),
	owner_id    TEXT NOT NULL,
	region_code TEXT NOT NULL,
	region_path TEXT COLLATE "C" NOT NULL,
	name        TEXT NOT NULL DEFAULT '',
	balance     BIGINT NOT NULL DEFAULT 0,
	held        BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
	created_at  TEXT NOT NULL,
	UNIQUE (kind, owner_id),
	CHECK (kind = 'issuer' OR balance - held >= 0)
);
CREATE INDEX ledger_accounts_region_path ON ledger_accounts(region_path);

-- Transfers are never updated or deleted (triggers below); a mistake is
-- corrected by a reversing transfer naming the original.
CREATE TABLE ledger_transfers (
	id          TEXT PRIMARY KEY,
	idem_key    TEXT NOT NULL UNIQUE,
	debit_id    TEXT NOT NULL REFERENCES ledger_accounts(id),
	credit_id   TEXT NOT NULL REFERENCES ledger_accounts(id),
	amount      BIGINT NOT NULL CHECK (amount > 0),
	reason      TEXT NOT NULL,
	source_type TEXT NOT NULL DEFAULT '',
	source_id   TEXT NOT NULL DEFAULT '',
	reverses    TEXT UNIQUE REFERENCES ledger_transfers(id),
	memo        TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	CHECK (debit_id <> credit_id)
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers(debit_id, created_at);
CREATE INDEX ledger_transfers_credit ON ledger_transfers(credit_id, created_at);
CREATE FUNCTION ledger_transfers_immutable() RETURNS trigger AS $$
BEGIN
	RAISE EXCEPTION 'ledger transfers are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_transfers_no_change BEFORE UPDATE OR DELETE ON ledger_transfers
FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();

-- Points held for an order: counted against the wallet's available balance
-- until posted (a transfer) or voided.
CREATE TABLE ledger_holds (
	id          TEXT PRIMARY KEY,
	idem_key    TEXT NOT NULL UNIQUE,
	account_id  TEXT NOT NULL REFERENCES ledger_accounts(id),
	credit_id   TEXT NOT NULL REFERENCES ledger_accounts(id),
	amount      BIGINT NOT NULL CHECK (amount > 0),
	reason      TEXT NOT NULL,
	source_type TEXT NOT NULL DEFAULT '',
	source_id   TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL CHECK (status IN ('pending','posted','voided','expired')),
	expires_at  TEXT NOT NULL,
	transfer_id TEXT REFERENCES ledger_transfers(id),
	created_at  TEXT NOT NULL,
	settled_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ledger_holds_account ON ledger_holds(account_id, status);
CREATE INDEX ledger_holds_expiry ON ledger_holds(status, expires_at);

-- Points per source, per region subtree (most specific region wins).
CREATE TABLE earn_rules (
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT COLLATE "C" NOT NULL,
	source      TEXT NOT NULL CHECK (source IN ('hour','case','meeting','survey')),
	points      BIGINT NOT NULL CHECK (points >= 0),
	daily_cap   BIGINT NOT NULL DEFAULT 0 CHECK (daily_cap >= 0),
	updated_by  TEXT NOT NULL DEFAULT '',
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (region_code, source)
);

CREATE TABLE markets (
	id          TEXT PRIMARY KEY,
	region_code TEXT NOT NULL REFERENCES regions(code),
	region_path TEXT COLLATE "C" NOT NULL,
	name        TEXT NOT NULL,
	address     TEXT NOT NULL DEFAULT '',
	account_id  TEXT NOT NULL REFERENCES ledger_accounts(id),
	created_at  TEXT NOT NULL,
	UNIQUE (region_code, name)
);
CREATE INDEX markets_region_path ON markets(region_path);

CREATE TABLE market_keepers (
	market_id TEXT NOT NULL REFERENCES markets(id),
	user_id   TEXT NOT NULL REFERENCES users(id),
	PRIMARY KEY (market_id, user_id)
);

-- Redemption days, in Beijing local dates (YYYY-MM-DD) and times (HH:MM).
CREATE TABLE market_days (
	market_id TEXT NOT NULL REFERENCES markets(id),
	day       TEXT NOT NULL,
	opens     TEXT NOT NULL DEFAULT '08:30',
	closes    TEXT NOT NULL DEFAULT '17:30',
	PRIMARY KEY (market_id, day)
);

CREATE TABLE market_items (
	id         TEXT PRIMARY KEY,
	market_id  TEXT NOT NULL REFERENCES markets(id),
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('good','service')),
	price      BIGINT NOT NULL CHECK (price > 0),
	stock      BIGINT NOT NULL CHECK (stock >= 0),
	active     INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL
);
CREATE INDEX market_items_market ON market_items(market_id);

CREATE TABLE market_orders (
	id          TEXT PRIMARY KEY,
	market_id   TEXT NOT NULL REFERENCES markets(id),
	item_id     TEXT NOT NULL REFERENCES market_items(id),
	qty         BIGINT NOT NULL CHECK (qty > 0),
	amount      BIGINT NOT NULL CHECK (amount > 0),
	user_id     TEXT NOT NULL,
	wallet_id   TEXT NOT NULL REFERENCES ledger_accounts(id),
	hold_id     TEXT NOT NULL REFERENCES ledger_holds(id),
	pickup_day  TEXT NOT NULL,
	channel     TEXT NOT NULL CHECK (channel IN ('online','counter')),
	status      TEXT NOT NULL CHECK (status IN ('held','picked_up','cancelled','expired')),
	created_at  TEXT NOT NULL,
	settled_at  TEXT NOT NULL DEFAULT '',
	settled_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX market_orders_market ON market_orders(market_id, status, pickup_day);
CREATE INDEX market_orders_user ON market_orders(user_id, created_at);
