-- The steps someone must hear of (internal/cases/alerts.go) get a table of
-- their own, written beside the history: alert lists read this small table
-- by time instead of an index over every step, which every report's first
-- step, no one's alert, paid for at intake.
DROP INDEX case_events_action_at;

CREATE TABLE case_alerts (
	case_id     TEXT NOT NULL REFERENCES cases(id),
	seq         INTEGER NOT NULL,
	at          TEXT NOT NULL,
	action      TEXT NOT NULL,
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (case_id, seq)
);
CREATE INDEX case_alerts_at ON case_alerts(at);

INSERT INTO case_alerts(case_id, seq, at, action, from_status, to_status, note)
	SELECT case_id, seq, at, action, from_status, to_status, note FROM case_events
	WHERE action IN ('dispatch', 'reassign', 'remind', 'overdue', 'escalate', 'supervise', 'verify_fail', 'rate', 'postpone_approve', 'postpone_deny', 'return', 'postpone_request');
