-- Training and commendations in a volunteer's service record (民政部令
-- 第67号: the record holds activities, hours, training and commendations).
CREATE TABLE volunteer_honours (
	id           TEXT PRIMARY KEY,
	volunteer_id TEXT NOT NULL REFERENCES volunteers(id),
	kind         TEXT NOT NULL CHECK (kind IN ('training','commendation')),
	title        TEXT NOT NULL,
	day          TEXT NOT NULL,
	issuer       TEXT NOT NULL,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL
);
CREATE INDEX volunteer_honours_volunteer ON volunteer_honours(volunteer_id, day);
