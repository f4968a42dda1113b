-- Reminders and other steps a handler or dispatcher must hear of are read
-- from the case history by action and time (internal/cases/alerts.go); what
-- each user has seen is one instant per user.
CREATE INDEX case_events_action_at ON case_events(action, at);

CREATE TABLE alert_reads (
	user_id TEXT PRIMARY KEY,
	seen_at TEXT NOT NULL
);
