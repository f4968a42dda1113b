package survey_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
	"civicgrid/internal/survey"

	"github.com/xuri/excelize/v2"
)

func zh(s string) survey.Text { return survey.Text{"zh-CN": s} }

// festival is a short questionnaire using skip logic, a constraint and
// several types.
func festival() survey.Schema {
	return survey.Schema{Title: zh("牡丹节满意度"), Languages: []string{"zh-CN"}, Questions: []survey.Question{
		{Name: "visited", Type: survey.Single, Label: zh("您参加了今年的牡丹节吗？"), Required: true,
			Choices: []survey.Choice{{Name: "yes", Label: zh("参加了")}, {Name: "no", Label: zh("没有")}}},
		{Name: "rating", Type: survey.Rating, Label: zh("总体满意度"), Scale: 5, Required: true, Relevant: "${visited} = 'yes'"},
		{Name: "liked", Type: survey.Multiple, Label: zh("喜欢的项目"), Relevant: "${visited} = 'yes'",
			Choices: []survey.Choice{{Name: "flowers", Label: zh("赏花")}, {Name: "opera", Label: zh("戏曲")}, {Name: "food", Label: zh("美食")}}},
		{Name: "svc", Type: survey.Matrix, Label: zh("服务评价"), Relevant: "${visited} = 'yes'",
			Rows: []survey.Choice{{Name: "parking", Label: zh("停车")}, {Name: "toilets", Label: zh("公厕")}}, Choices: []survey.Choice{{Name: "good", Label: zh("好")}, {Name: "poor", Label: zh("差")}}},
		{Name: "age", Type: survey.Number, Label: zh("年龄"), Integer: true, Constraint: ". >= 10 and . <= 100", ConstraintMessage: zh("年龄应在 10 到 100 岁之间")},
		{Name: "idea", Type: survey.Long, Label: zh("您的建议")},
	}}
}

func setup(t *testing.T, db *store.DB) (*survey.Service, auth.Actor) {
	t.Helper()
	regions := regiontest.Load(t, db)
	return survey.New(db, regions, t.TempDir()), auth.Actor{UserID: "o1", Role: auth.Official, RegionCode: regiontest.City, RegionPath: "/371700/"}
}

func TestResponsesQuotasAndResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, official := setup(t, db)
		ctx := context.Background()
		// A bad schema is refused with the field of each problem.
		bad := festival()
		bad.Questions[1].Relevant = "${nope} = 'yes'"
		if _, err := svc.Create(ctx, official, survey.NewQuestionnaire{Schema: bad, Mode: survey.Anonymous, RegionCode: regiontest.City}); err == nil || !strings.HasPrefix(errs.As(err).Field, "schema/questions/1") {
			t.Fatalf("bad schema: %v (field %q)", err, errs.As(err).Field)
		}
		q, err := svc.Create(ctx, official, survey.NewQuestionnaire{Schema: festival(), Mode: survey.Anonymous, RegionCode: regiontest.City})
		if err != nil {
			t.Fatal(err)
		}
		anon := auth.Actor{}
		sub := func(key, region string, answers map[string]any) (survey.Receipt, error) {
			return svc.Submit(ctx, anon, q.ID, survey.Submission{Key: key, RegionCode: region, Answers: answers})
		}
		if _, err := sub("k0", regiontest.CountyA, map[string]any{"visited": "no"}); errs.As(err).Key != "err.survey.not_open" {
			t.Fatalf("a draft took a response: %v", err)
		}
		if _, err := svc.SetStatus(ctx, official, q.ID, "open"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetQuota(ctx, official, q.ID, regiontest.CountyB, 2); err != nil {
			t.Fatal(err)
		}
		// Skip logic: a required rating only when visited.
		_, err = sub("k1", regiontest.CountyA, map[string]any{"visited": "yes"})
		if e := errs.As(err); len(e.List) != 1 || e.List[0].Field != "answers/rating" {
			t.Fatalf("missing relevant rating: %+v", e)
		}
		_, err = sub("k1", regiontest.CountyA, map[string]any{"visited": "yes", "rating": 4.0, "age": 7.0})
		if e := errs.As(err); len(e.List) != 1 || e.List[0].Field != "answers/age" {
			t.Fatalf("age constraint: %+v", e)
		}
		first, err := sub("k1", regiontest.CountyA, map[string]any{"visited": "yes", "rating": 4.0, "liked": []any{"flowers", "food"}, "svc": map[string]any{"parking": "poor", "toilets": "good"}, "age": 35.0, "idea": "增加停车位"})
		if err != nil {
			t.Fatal(err)
		}
		// Anonymous: a random id, the time cut to the hour, no person.
		if strings.ContainsAny(first.ID, "GHJKMNPQRSTVWXYZ") || len(first.ID) != 32 || first.SubmittedAt.Minute() != 0 || first.SubmittedAt.Second() != 0 {
			t.Fatalf("anonymous receipt %+v", first)
		}
		again, err := sub("k1", regiontest.CountyA, map[string]any{"visited": "yes", "rating": 4.0})
		if err != nil || !again.Replay || again.ID != first.ID {
			t.Fatalf("retry: %+v %v", again, err)
		}
		// An answer to a hidden question is dropped, not stored.
		if _, err := sub("k2", regiontest.CountyA, map[string]any{"visited": "no", "rating": 1.0}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := sub(fmt.Sprintf("b%d", i), regiontest.TownB1, map[string]any{"visited": "yes", "rating": 5.0, "liked": []any{"opera"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sub("b3", regiontest.VillB1a, map[string]any{"visited": "no"}); errs.As(err).Key != "err.survey.quota_full" || !strings.Contains(fmt.Sprint(errs.As(err).Args), "曹县") {
			t.Fatalf("county B over quota: %v", err)
		}
		// Naming no region, or only the city, does not escape the county quota.
		for _, region := range []string{"", regiontest.City} {
			if _, err := sub("b4"+region, region, map[string]any{"visited": "no"}); errs.As(err).Key != "err.survey.region_needed" {
				t.Fatalf("region %q with county quotas: %v", region, err)
			}
		}
		res, err := svc.Results(ctx, official, q.ID, "zh-CN", survey.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]survey.QuestionResult{}
		for _, r := range res.Questions {
			byName[r.Name] = r
		}
		counts := func(name string) map[string]int64 {
			m := map[string]int64{}
			for _, c := range byName[name].Counts {
				m[c.Choice] = c.N
			}
			return m
		}
		if res.Responses != 4 || fmt.Sprint(counts("visited")) != "map[no:1 yes:3]" || fmt.Sprint(counts("rating")) != "map[1:0 2:0 3:0 4:1 5:2]" ||
			fmt.Sprint(counts("liked")) != "map[flowers:1 food:1 opera:2]" || byName["liked"].Answered != 3 || *byName["age"].Mean != 35 ||
			len(byName["svc"].Rows) != 2 || byName["svc"].Rows[0].Counts[1].N != 1 || byName["svc"].Rows[1].Counts[0].N != 1 {
			t.Fatalf("results %+v", res)
		}
		// Filtered by county A only.
		resA, _ := svc.Results(ctx, official, q.ID, "zh-CN", survey.Filter{RegionPath: "/371700/371722/"})
		if resA.Responses != 2 {
			t.Fatalf("county A has %d responses, want 2", resA.Responses)
		}
		ct, err := svc.Cross(ctx, official, q.ID, "visited", "rating", "zh-CN", survey.Filter{})
		if err != nil || ct.Cells[0][3] != 1 || ct.Cells[0][4] != 2 || ct.Cells[1][0] != 0 {
			t.Fatalf("crosstab %+v %v", ct, err)
		}
		// Exports: CSV with the labels; XLSX with the same rows.
		var buf bytes.Buffer
		if err := svc.WriteCSV(ctx, official, q.ID, "zh-CN", survey.Filter{}, &buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 5 || !strings.Contains(strings.Join(recs[0], "|"), "总体满意度 [rating]") {
			t.Fatalf("csv %v %v", recs, err)
		}
		buf.Reset()
		if err := svc.WriteXLSX(ctx, official, q.ID, "zh-CN", survey.Filter{}, &buf); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		all := ""
		for _, r := range rows {
			all += strings.Join(r, "|") + "\n"
		}
		if len(rows) != 5 || !strings.Contains(all, "赏花; 美食") {
			t.Fatalf("xlsx rows %v", rows)
		}
		// A background export reaches done with every row.
		job, err := svc.StartExport(ctx, official, q.ID, "csv", "zh-CN", survey.Filter{})
		if err != nil || job.Total != 4 {
			t.Fatalf("export job %+v %v", job, err)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			j, _ := svc.Export(official, job.ID)
			if j.State == "done" && j.Done == 4 {
				break
			}
			if j.State == "failed" || time.Now().After(deadline) {
				t.Fatalf("export %+v", j)
			}
		}
		if _, err := svc.Export(auth.Actor{UserID: "other"}, job.ID); err == nil {
			t.Fatal("someone else's export job was shown")
		}
		// Once answered, the schema is fixed.
		if _, err := svc.Replace(ctx, official, q.ID, festival()); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("replace after responses: %v", err)
		}
	})
}

// TestNamedOncePerPerson: named mode takes one response per person, even
// when the same person submits twice at once with different keys.
func TestNamedOncePerPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, official := setup(t, db)
		ctx := context.Background()
		var awarded int
		svc.OnNamedResponse(func(ctx context.Context, tx *store.Tx, responseID, regionPath, userID string) error {
			if userID == "u1" {
				awarded++ // the writer is serialised on SQLite; on PostgreSQL only one insert commits
			}
			return nil
		})
		q, err := svc.Create(ctx, official, survey.NewQuestionnaire{Schema: festival(), Mode: survey.Named, RegionCode: regiontest.City})
		if err != nil {
			t.Fatal(err)
		}
		svc.SetStatus(ctx, official, q.ID, "open")
		if _, err := svc.Submit(ctx, auth.Actor{}, q.ID, survey.Submission{Key: "x", Answers: map[string]any{"visited": "no"}}); errs.CodeOf(err) != errs.Unauthorized {
			t.Fatalf("anonymous answer to a named questionnaire: %v", err)
		}
		person := auth.Actor{UserID: "u1", Role: auth.Resident, RegionCode: regiontest.GridA1a1, RegionPath: "/371700/371722/371722001/371722001001/371722001001001/"}
		var wg sync.WaitGroup
		errsSeen := make([]error, 8)
		for i := range errsSeen {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errsSeen[i] = svc.Submit(ctx, person, q.ID, survey.Submission{Key: fmt.Sprintf("n%d", i), Answers: map[string]any{"visited": "no"}})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errsSeen {
			switch {
			case err == nil:
				ok++
			case errs.As(err).Key != "err.survey.already_answered":
				t.Errorf("unexpected: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d responses from one person", ok)
		}
		if awarded != 1 {
			t.Fatalf("the named response was rewarded %d times", awarded)
		}
	})
}

// TestCampaignCannotOpenAQuestionnaireAbove: a county official cannot
// attach (and so open or close) the city's questionnaire.
func TestCampaignCannotOpenAQuestionnaireAbove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, city := setup(t, db)
		ctx := context.Background()
		q, err := svc.Create(ctx, city, survey.NewQuestionnaire{Schema: festival(), Mode: survey.Anonymous, RegionCode: regiontest.City})
		if err != nil {
			t.Fatal(err)
		}
		county := auth.Actor{UserID: "o2", Role: auth.Official, RegionCode: regiontest.CountyA, RegionPath: "/371700/371722/"}
		_, err = svc.CreateCampaign(ctx, county, survey.Campaign{Title: "县里的征集", RegionCode: regiontest.CountyA, StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour), QuestionnaireID: q.ID})
		if e := errs.As(err); e.Field != "questionnaire_id" {
			t.Fatalf("county campaign with the city's questionnaire: %v", err)
		}
	})
}

// TestQuotaSetWhileResponsesArrive: a quota set while responses for its
// region are being stored counts every one of them, on both databases.
func TestQuotaSetWhileResponsesArrive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, official := setup(t, db)
		ctx := context.Background()
		q, err := svc.Create(ctx, official, survey.NewQuestionnaire{Schema: festival(), Mode: survey.Anonymous, RegionCode: regiontest.City})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetStatus(ctx, official, q.ID, "open"); err != nil {
			t.Fatal(err)
		}
		const n = 120
		var wg sync.WaitGroup
		var stored sync.Map
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Submit(ctx, auth.Actor{}, q.ID, survey.Submission{Key: fmt.Sprintf("race-%d", i), RegionCode: regiontest.VillB1a, Answers: map[string]any{"visited": "no"}}); err == nil {
					stored.Store(i, true)
				}
			}()
			if i == n/3 || i == 2*n/3 {
				// A quota set twice in the middle of the stream.
				if _, err := svc.SetQuota(ctx, official, q.ID, regiontest.CountyB, 1_000_000); err != nil {
					t.Fatal(err)
				}
			}
		}
		wg.Wait()
		got, err := svc.Get(ctx, official, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		stored.Range(func(any, any) bool { count++; return true })
		var used int64 = -1
		for _, qu := range got.Quotas {
			if qu.RegionCode == regiontest.CountyB {
				used = qu.Used
			}
		}
		if used != int64(count) {
			t.Fatalf("the quota counts %d responses, %d were stored", used, count)
		}
	})
}
