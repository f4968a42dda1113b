package cases

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region"
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

// Rates computes the figures. Whole Beijing days for a town or a larger
// region come from the rollup (a few rows per town and day); anything finer
// scans the cases through the (region_path, reported_at) index. Both apply
// the same rules (contrib in rollup.go), which a test checks.
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
	var sums contribution
	var err error
	if wholeDays(from) && wholeDays(to) && reg.Level.Depth() <= region.Town.Depth() {
		sums, err = s.rollupSums(ctx, reg.Path, from, to)
	} else {
		sums, err = s.scanSums(ctx, reg.Path, from, to)
	}
	if err != nil {
		return Rates{}, errs.Wrap(err, "rates")
	}
	return ratesFrom(reg.Code, from, to, sums), nil
}

func wholeDays(t time.Time) bool {
	l := t.In(chinaTime)
	return l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
}

func ratesFrom(code string, from, to time.Time, v contribution) Rates {
	out := Rates{Region: code, From: from, To: to,
		Reported: int(v[0]), Rejected: int(v[1]), Open: int(v[2]), Closed: int(v[3]), Overdue: int(v[4])}
	out.Response = rate(int(v[5]), int(v[6]))
	out.OnTime = rate(int(v[7]), out.Closed)
	out.Resolution = rate(int(v[8]), out.Closed)
	out.Satisfaction = rate(int(v[9]), int(v[10]))
	out.Rework = rate(int(v[11]), out.Closed)
	if v[13] > 0 {
		out.AvgWorkHours = float64(v[12]) / float64(v[13]) / 3.6e6
	}
	return out
}

func (s *Service) rollupSums(ctx context.Context, path string, from, to time.Time) (contribution, error) {
	var v contribution
	cols := make([]string, len(rollupColumns))
	dest := make([]any, len(rollupColumns))
	for i, c := range rollupColumns {
		cols[i] = "COALESCE(SUM(" + c + "), 0)"
		dest[i] = &v[i]
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM case_rollup WHERE town_path LIKE ? AND day >= ? AND day < ?",
			path+"%", rollupDay(from), rollupDay(to)).Scan(dest...)
	})
	return v, err
}

// scanSums is contrib written in SQL, over the cases themselves.
func (s *Service) scanSums(ctx context.Context, path string, from, to time.Time) (contribution, error) {
	var v contribution
	dest := make([]any, len(v))
	for i := range v {
		dest[i] = &v[i]
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `SELECT
			COUNT(*),
			COALESCE(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status IN ('reported','accepted','dispatched','replied') THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status IN ('reported','accepted','dispatched','replied') AND overdue = 1 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN accepted_at <> '' AND accepted_at <= accept_due OR status = 'rejected' AND closed_at <= accept_due THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN accepted_at <> '' OR status = 'rejected' OR status = 'reported' AND overdue = 1 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND closed_late = 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND reopened = 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN satisfaction >= 4 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN satisfaction > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'closed' AND rework_count > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(handle_work_ms), 0),
			COALESCE(SUM(CASE WHEN replied_at <> '' THEN 1 ELSE 0 END), 0)
			FROM cases WHERE region_path LIKE ? AND reported_at >= ? AND reported_at < ? AND status <> 'merged'`,
			path+"%", store.FormatTime(from), store.FormatTime(to)).Scan(dest...)
	})
	return v, err
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
