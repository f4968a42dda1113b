package demo

import (
	"context"
	"fmt"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
	"civicgrid/internal/survey"
)

func zhen(zh, en string) survey.Text { return survey.Text{"zh-CN": zh, "en": en} }

// PeonySchema is the demo festival questionnaire: two pages, skip logic,
// a constraint, a matrix and a ranking.
func PeonySchema() survey.Schema {
	ch := func(name, zh, en string) survey.Choice { return survey.Choice{Name: name, Label: zhen(zh, en)} }
	return survey.Schema{Title: zhen("牡丹文化旅游节游客满意度调查", "Peony festival visitor survey"), Languages: []string{"zh-CN", "en"}, Questions: []survey.Question{
		{Name: "visited", Type: survey.Single, Label: zhen("您今年参加牡丹文化旅游节了吗？", "Did you visit the peony festival this year?"), Required: true,
			Choices: []survey.Choice{ch("yes", "参加了", "Yes"), ch("no", "没有参加", "No")}},
		{Name: "satisfaction", Type: survey.Rating, Scale: 5, Required: true, Label: zhen("总体满意度（1 分最低，5 分最高）", "Overall satisfaction (1 lowest, 5 highest)"), Relevant: "${visited} = 'yes'"},
		{Name: "liked", Type: survey.Multiple, Label: zhen("您喜欢哪些项目？（可多选）", "What did you enjoy? (any)"), Relevant: "${visited} = 'yes'", Randomize: true,
			Choices: []survey.Choice{ch("flowers", "赏花", "The flowers"), ch("opera", "戏曲演出", "Opera"), ch("food", "特色美食", "Local food"), ch("crafts", "非遗手工", "Crafts")}},
		{Name: "services", Type: survey.Matrix, Label: zhen("请评价以下服务", "Rate these services"), Relevant: "${visited} = 'yes'", Page: 2,
			Rows:    []survey.Choice{ch("parking", "停车", "Parking"), ch("toilets", "公厕", "Toilets"), ch("guides", "志愿者引导", "Volunteer guides")},
			Choices: []survey.Choice{ch("good", "好", "Good"), ch("fair", "一般", "Fair"), ch("poor", "差", "Poor")}},
		{Name: "priorities", Type: survey.Ranking, Label: zhen("明年最该改进的（按重要性排序）", "What to improve next year (rank)"), Page: 2,
			Choices: []survey.Choice{ch("traffic", "交通", "Traffic"), ch("prices", "物价", "Prices"), ch("signs", "指引标识", "Signs")}},
		{Name: "age", Type: survey.Number, Integer: true, Label: zhen("您的年龄", "Your age"), Page: 2, Constraint: ". >= 10 and . <= 100",
			ConstraintMessage: zhen("年龄请填写 10 到 100 之间的整数", "Age must be a whole number from 10 to 100")},
		{Name: "spot", Type: survey.Location, Label: zhen("您在哪里赏花？（可在地图上点选）", "Where did you see the flowers? (tap the map)"), Page: 2, Relevant: "${visited} = 'yes'"},
		{Name: "idea", Type: survey.Long, Label: zhen("您对明年的牡丹节有什么建议？", "Any suggestion for next year's festival?"), Page: 2},
	}}
}

// LoadSurveys seeds a peony-festival campaign with its anonymous
// questionnaire (county quotas) and a named customs-reform survey, once.
func LoadSurveys(ctx context.Context, db *store.DB, surveys *survey.Service) error {
	var have string
	err := db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'demo.surveys'").Scan(&have)
	})
	if err == nil {
		return nil
	} else if !errs.Is(err, errs.NotFound) {
		return err
	}
	sys := auth.System("demo")
	q, err := surveys.Create(ctx, sys, survey.NewQuestionnaire{Schema: PeonySchema(), Mode: survey.Anonymous, RegionCode: "371700"})
	if err != nil {
		return fmt.Errorf("demo questionnaire: %w", err)
	}
	if _, err := surveys.SetQuota(ctx, sys, q.ID, "371722", 5000); err != nil {
		return err
	}
	now := time.Now()
	c, err := surveys.CreateCampaign(ctx, sys, survey.Campaign{Title: "2026 菏泽牡丹文化旅游节意见征集", Topic: "牡丹节", Description: "欢迎游客和市民就牡丹节的交通、服务、活动安排提出意见建议。",
		RegionCode: "371700", StartsAt: now.Add(-7 * 24 * time.Hour), EndsAt: now.Add(60 * 24 * time.Hour), QuestionnaireID: q.ID, OpenCall: true})
	if err != nil {
		return fmt.Errorf("demo campaign: %w", err)
	}
	if _, err := surveys.SetCampaignStatus(ctx, sys, c.ID, "open"); err != nil {
		return err
	}
	ch := func(name, zh, en string) survey.Choice { return survey.Choice{Name: name, Label: zhen(zh, en)} }
	customs := survey.Schema{Title: zhen("移风易俗村民意见调查", "Customs reform survey"), Languages: []string{"zh-CN", "en"}, Questions: []survey.Question{
		{Name: "gift_limit", Type: survey.Single, Required: true, Label: zhen("您是否赞成红白事礼金设上限？", "Should wedding and funeral gifts be capped?"),
			Choices: []survey.Choice{ch("agree", "赞成", "Agree"), ch("neutral", "无所谓", "Neutral"), ch("disagree", "不赞成", "Disagree")}},
		{Name: "cap", Type: survey.Number, Label: zhen("您认为合适的上限（元）", "A fair cap (yuan)"), Relevant: "${gift_limit} = 'agree'", Constraint: ". > 0 and . <= 10000",
			ConstraintMessage: zhen("请填写 1 到 10000 元之间的金额", "Give an amount from 1 to 10,000 yuan")},
	}}
	q2, err := surveys.Create(ctx, sys, survey.NewQuestionnaire{Schema: customs, Mode: survey.Named, RegionCode: "371722"})
	if err != nil {
		return fmt.Errorf("demo questionnaire: %w", err)
	}
	c2, err := surveys.CreateCampaign(ctx, sys, survey.Campaign{Title: "单县移风易俗专题征集", Topic: "移风易俗", RegionCode: "371722",
		StartsAt: now.Add(-24 * time.Hour), EndsAt: now.Add(30 * 24 * time.Hour), QuestionnaireID: q2.ID})
	if err != nil {
		return err
	}
	if _, err := surveys.SetCampaignStatus(ctx, sys, c2.ID, "open"); err != nil {
		return err
	}
	return db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO meta(key, value) VALUES ('demo.surveys', ?)", Version)
		return err
	})
}
