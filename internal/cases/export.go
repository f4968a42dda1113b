package cases

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// ExportRow is one line of an export: plain text columns, reporter masked.
type ExportRow []string

// Columns of ExportRow whose codes a reader may want named.
const (
	ExportChannel = 1
	ExportStage   = 4
)

// ExportHeader names the export's columns (Chinese, as officials read them).
var ExportHeader = []string{"事件编号", "渠道", "小类代码", "小类", "环节", "优先级", "问题描述", "地址", "经度", "纬度", "网格", "主办单位",
	"上报时间", "立案时间", "派遣时间", "反馈时间", "结案时间", "办理时限", "超期", "督办", "返工次数", "满意度"}

// Export streams every case matching f in the actor's scope to emit, one row
// at a time from one read transaction, so a million rows never sit in memory.
func (s *Service) Export(ctx context.Context, actor auth.Actor, f Filter, emit func(ExportRow) error) (int, error) {
	f.Limit = 0
	path := actor.RegionPath
	if f.RegionCode != "" {
		r, ok := s.regions.Lookup(f.RegionCode)
		if !ok {
			return 0, errs.Field("region", "err.region.not_found", f.RegionCode)
		}
		path = r.Path
	}
	if err := actor.Authorize(auth.CaseRead, path); err != nil {
		return 0, err
	}
	where, args := []string{"c.region_path LIKE ?"}, []any{path + "%"}
	where, args = f.conditions(where, args)
	n := 0
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, "SELECT "+caseColumns+caseFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY c.id", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := s.scan(rows)
			if err != nil {
				return err
			}
			if err := emit(c.exportRow(s.regions)); err != nil {
				return err
			}
			n++
		}
		return rows.Err()
	})
	return n, err
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func (c Case) exportRow(regions Regions) ExportRow {
	f := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(chinaTime).Format("2006-01-02 15:04")
	}
	grid := c.GridCode
	if r, ok := regions.Lookup(c.GridCode); ok {
		grid = r.Name
	}
	sat := ""
	if c.Satisfaction > 0 {
		sat = itoa(c.Satisfaction)
	}
	return ExportRow{c.No, string(c.Channel), c.CategoryCode, c.CategoryName, string(c.Status), itoa(c.Priority), c.Description, c.Address,
		ftoa(c.Lng), ftoa(c.Lat), grid, c.LeadUnitName,
		f(c.ReportedAt), f(c.AcceptedAt), f(c.DispatchedAt), f(c.RepliedAt), f(c.ClosedAt), f(c.HandleDue),
		yesNo(c.Overdue), yesNo(c.Escalated), itoa(c.ReworkCount), sat}
}
