package ledger

import (
	"context"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Source is what earns points under a rule.
type Source string

const (
	SourceHour    Source = "hour"    // per approved volunteer hour
	SourceCase    Source = "case"    // per accepted case report
	SourceMeeting Source = "meeting" // per meeting attended
	SourceSurvey  Source = "survey"  // per survey answered
)

// Sources lists every source, in display order.
var Sources = []Source{SourceHour, SourceCase, SourceMeeting, SourceSurvey}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, x := range Sources {
		if s == x {
			return true
		}
	}
	return false
}

func (s Source) reason() Reason {
	switch s {
	case SourceHour:
		return ReasonHours
	case SourceCase:
		return ReasonCase
	case SourceMeeting:
		return ReasonMeeting
	}
	return ReasonSurvey
}

// Rule is one region's earning rule for one source.
type Rule struct {
	RegionCode string    `json:"region_code"`
	RegionPath string    `json:"-"`
	Source     Source    `json:"source"`
	Points     int64     `json:"points"`    // per hour, or per event
	DailyCap   int64     `json:"daily_cap"` // per person per Beijing day; 0 = none
	UpdatedBy  string    `json:"updated_by,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Validate checks a rule's figures.
func (r *Rule) Validate() error {
	switch {
	case !r.Source.Valid():
		return errs.Field("source", "err.invalid")
	case r.Points < 0 || r.Points > 10000:
		return errs.Field("points", "err.range", 0, 10000)
	case r.DailyCap < 0 || r.DailyCap > 1000000:
		return errs.Field("daily_cap", "err.range", 0, 1000000)
	}
	return nil
}

// SetRule writes a region's rule for a source inside tx.
func SetRule(ctx context.Context, tx *store.Tx, r Rule, by string) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO earn_rules (region_code, region_path, source, points, daily_cap, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (region_code, source) DO UPDATE SET points = excluded.points, daily_cap = excluded.daily_cap,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		r.RegionCode, r.RegionPath, string(r.Source), r.Points, r.DailyCap, by, tx.NowText())
	return err
}

// RuleFor finds the rule that applies at regionPath: the most specific
// region on the path with a rule for the source.
func RuleFor(ctx context.Context, tx *store.Tx, src Source, regionPath string) (Rule, bool, error) {
	var r Rule
	var at string
	err := tx.QueryRow(ctx, `SELECT region_code, region_path, source, points, daily_cap, updated_by, updated_at FROM earn_rules
		WHERE source = ? AND ? LIKE region_path || '%' ORDER BY length(region_path) DESC LIMIT 1`, string(src), regionPath).
		Scan(&r.RegionCode, &r.RegionPath, &r.Source, &r.Points, &r.DailyCap, &r.UpdatedBy, &at)
	if errs.Is(err, errs.NotFound) {
		return Rule{}, false, nil
	} else if err != nil {
		return Rule{}, false, err
	}
	r.UpdatedAt, _ = store.ParseTime(at)
	return r, true, nil
}

// Rules lists the rules of regions inside the subtree at path.
func Rules(ctx context.Context, tx *store.Tx, path string) ([]Rule, error) {
	const query = `SELECT region_code, region_path, source, points, daily_cap, updated_by, updated_at FROM earn_rules
		WHERE region_path LIKE ? ORDER BY region_path, source`
	return store.All(ctx, tx, func(row interface{ Scan(...any) error }) (Rule, error) {
		var r Rule
		var at string
		err := row.Scan(&r.RegionCode, &r.RegionPath, &r.Source, &r.Points, &r.DailyCap, &r.UpdatedBy, &at)
		r.UpdatedAt, _ = store.ParseTime(at)
		return r, err
	}, query, path+"%")
}

// beijing is China Standard Time; it has no daylight saving.
var beijing = time.FixedZone("CST", 8*3600)

// Earning is one thing that earns points when it becomes final.
type Earning struct {
	Source     Source
	Key        string // idempotency key derived from the source, e.g. "hours:{signup id}"
	SourceType string
	SourceID   string
	// Minutes for SourceHour (points = rule × minutes / 60, rounded down);
	// ignored for the per-event sources.
	Minutes int64
	// Where the source happened: the rule is looked up here.
	RegionPath string
	// Whose wallet: the user, and the region their wallet belongs to.
	UserID, UserRegionCode, UserRegionPath, UserName string
}

// Award posts the points an earning is worth under the rule in force, inside
// tx: from the rule region's issuer account to the user's wallet, capped per
// day. It returns ok=false (and no error) when no rule applies or the cap is
// reached. Calling it again for the same source returns the same transfer.
func Award(ctx context.Context, tx *store.Tx, e Earning) (Transfer, bool, error) {
	if t, err := scanTransfer(tx.QueryRow(ctx, `SELECT `+transferCols+` FROM ledger_transfers WHERE idem_key = ?`, e.Key)); err == nil {
		if t.SourceType != e.SourceType || t.SourceID != e.SourceID || t.Reason != e.Source.reason() {
			return Transfer{}, false, &errs.Error{Code: errs.Conflict, Field: "idempotency_key", Key: "err.ledger.key_reused"}
		}
		return t, true, nil
	} else if !errs.Is(err, errs.NotFound) {
		return Transfer{}, false, err
	}
	rule, ok, err := RuleFor(ctx, tx, e.Source, e.RegionPath)
	if err != nil || !ok || rule.Points == 0 {
		return Transfer{}, false, err
	}
	amount := rule.Points
	if e.Source == SourceHour {
		amount = rule.Points * e.Minutes / 60
	}
	wallet, err := EnsureAccount(ctx, tx, Wallet, e.UserID, e.UserRegionCode, e.UserRegionPath, e.UserName)
	if err != nil {
		return Transfer{}, false, err
	}
	reason := e.Source.reason()
	if rule.DailyCap > 0 {
		// Earnings of one wallet are serialised while the cap is counted
		// (PostgreSQL runs them side by side otherwise).
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT id FROM ledger_accounts WHERE id = ? FOR UPDATE`, wallet); err != nil {
				return Transfer{}, false, err
			}
		}
		day := tx.Now().In(beijing)
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, beijing)
		var today int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE credit_id = ? AND reason = ? AND created_at >= ?`,
			wallet, string(reason), store.FormatTime(start)).Scan(&today); err != nil {
			return Transfer{}, false, err
		}
		amount = min(amount, rule.DailyCap-today)
	}
	if amount <= 0 {
		return Transfer{}, false, nil
	}
	issuer, err := EnsureAccount(ctx, tx, Issuer, rule.RegionCode, rule.RegionCode, rule.RegionPath, "")
	if err != nil {
		return Transfer{}, false, err
	}
	t, _, err := Post(ctx, tx, NewTransfer{Key: e.Key, Debit: issuer, Credit: wallet, Amount: amount, Reason: reason,
		SourceType: e.SourceType, SourceID: e.SourceID}, "system")
	return t, err == nil, err
}

// Earner awards points for what other domains make final: approved
// volunteer hours and accepted case reports. The wallet opens at the
// earner's own region.
type Earner struct{}

func awardUser(ctx context.Context, tx *store.Tx, e Earning) error {
	err := tx.QueryRow(ctx, `SELECT region_code, region_path, display_name FROM users WHERE id = ?`, e.UserID).Scan(&e.UserRegionCode, &e.UserRegionPath, &e.UserName)
	if errs.Is(err, errs.NotFound) {
		return nil // no account, no wallet
	} else if err != nil {
		return err
	}
	_, _, err = Award(ctx, tx, e)
	return err
}

// AwardHours awards approved hours of a sign-up.
func (Earner) AwardHours(ctx context.Context, tx *store.Tx, signupID string, minutes int64, activityPath, userID string) error {
	return awardUser(ctx, tx, Earning{Source: SourceHour, Key: "hours:" + signupID, SourceType: "signup", SourceID: signupID,
		Minutes: minutes, RegionPath: activityPath, UserID: userID})
}

// AwardCase awards an accepted report.
func (Earner) AwardCase(ctx context.Context, tx *store.Tx, caseID, casePath, userID string) error {
	return awardUser(ctx, tx, Earning{Source: SourceCase, Key: "case:" + caseID, SourceType: "case", SourceID: caseID,
		RegionPath: casePath, UserID: userID})
}

// AwardSurvey awards a named survey response.
func (Earner) AwardSurvey(ctx context.Context, tx *store.Tx, responseID, regionPath, userID string) error {
	return awardUser(ctx, tx, Earning{Source: SourceSurvey, Key: "survey:" + responseID, SourceType: "response", SourceID: responseID,
		RegionPath: regionPath, UserID: userID})
}
