package cases

import (
	"context"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Rates are the standard figures for cases reported in a region and period.
// Merged cases count once (in the case they were merged into). Each rate is
// a share in [0,1] with its numerator and denominator, so a dashboard can
// show "37 of 40" and nobody has to trust a bare percentage.
type Rates struct {
	Region string    `json:"region"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`

	Reported int `json:"reported"` // cases reported (merged ones excluded)
	Rejected int `json:"rejected"`
	Open     int `json:"open"`
	Closed   int `json:"closed"`
	Overdue  int `json:"overdue"` // open cases past their stage deadline now

	Response     Rate    `json:"response_rate"`     // accepted or rejected within the acceptance deadline / decided or due
	OnTime       Rate    `json:"on_time_rate"`      // closed, replied within the handling deadline / closed
	Resolution   Rate    `json:"resolution_rate"`   // closed and never reopened / closed
	Satisfaction Rate    `json:"satisfaction_rate"` // rated 4 or 5 / rated
	Rework       Rate    `json:"rework_rate"`       // closed after at least one rework / closed
	AvgWorkHours float64 `json:"avg_handling_work_hours"`
}

// Rate is a share with its parts.
type Rate struct {
	Num   int     `json:"num"`
	Den   int     `json:"den"`
	Value float64 `json:"value"`
}

func rate(num, den int) Rate {
	r := Rate{Num: num, Den: den}
	if den > 0 {
		r.Value = float64(num) / float64(den)
	}
	return r
}

// Rates computes the figures with one aggregate query over the
// (region_path, reported_at) index.
func (s *Service) Rates(ctx context.Context, actor auth.Actor, regionCode string, from, to time.Time) (Rates, error) {
	reg, ok := s.regions.Lookup(regionCode)
	if !ok {
		return Rates{}, errs.Field("region", "err.region.not_found", regionCode)
	}
	if err := actor.Authorize(auth.CaseRead, reg.Path); err != nil {
		return Rates{}, err
	}
	if !to.After(from) {
		return Rates{}, errs.Field("to", "err.cases.period")
	}
	out := Rates{Region: reg.Code, From: from, To: to}
	var respNum, respDen, onTime, resolved, satisfied, rated, reworked int
	var workMs, replied int64
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		now := tx.NowText()
		return tx.QueryRow(ctx, `SELECT
			COUNT(*),
			COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status IN ('reported','accepted','dispatched','replied') THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status IN ('reported','accepted','dispatched','replied') AND overdue = 1 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN accepted_at <> '' AND accepted_at <= accept_due OR status = 'rejected' AND closed_at <= accept_due THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN accepted_at <> '' OR status = 'rejected' OR accept_due < ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND closed_late = 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND reopened = 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN satisfaction >= 4 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN satisfaction > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND rework_count > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(handle_work_ms), 0),
			COALESCE(SUM(CASE WHEN replied_at <> '' THEN 1 ELSE 0 END), 0)
			FROM cases WHERE region_path LIKE ? AND reported_at >= ? AND reported_at < ? AND status <> 'merged'`,
			now, reg.Path+"%", store.FormatTime(from), store.FormatTime(to)).
			Scan(&out.Reported, &out.Rejected, &out.Open, &out.Closed, &out.Overdue, &respNum, &respDen, &onTime, &resolved, &satisfied, &rated, &reworked, &workMs, &replied)
	})
	if err != nil {
		return out, errs.Wrap(err, "rates")
	}
	out.Response = rate(respNum, respDen)
	out.OnTime = rate(onTime, out.Closed)
	out.Resolution = rate(resolved, out.Closed)
	out.Satisfaction = rate(satisfied, rated)
	out.Rework = rate(reworked, out.Closed)
	if replied > 0 {
		out.AvgWorkHours = float64(workMs) / float64(replied) / 3.6e6
	}
	return out, nil
}

// Reliability is a reporter's record, for their profile and for points.
type Reliability struct {
	UserID     string  `json:"user_id"`
	Filed      int     `json:"filed"`
	Accepted   int     `json:"accepted"` // accepted (立案) at some point, merged duplicates excluded
	Rejected   int     `json:"rejected"`
	Duplicates int     `json:"duplicates"`
	Rate       float64 `json:"accepted_rate"`
}

// ReporterReliability counts a reporter's reports by outcome.
func (s *Service) ReporterReliability(ctx context.Context, actor auth.Actor, userID string) (Reliability, error) {
	if actor.UserID != userID && !actor.Role.Has(auth.CaseRead) {
		return Reliability{}, errs.New(errs.Forbidden, "err.forbidden")
	}
	r := Reliability{UserID: userID}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN accepted_at <> '' AND status <> 'merged' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'merged' THEN 1 ELSE 0 END), 0)
			FROM cases WHERE reporter_id = ?`, userID).Scan(&r.Filed, &r.Accepted, &r.Rejected, &r.Duplicates)
	})
	if r.Filed > 0 {
		r.Rate = float64(r.Accepted) / float64(r.Filed)
	}
	return r, errs.Wrap(err, "reliability")
}
