package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestBrandsTeamsProjectsFromThePage: a county official registers a brand,
// a team under it with a leader, and a project of that team from the
// volunteers page; a leader outside the area and a brand in a town are
// refused with the message by the field and what was typed kept.
func TestBrandsTeamsProjectsFromThePage(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_county")
	tag := fmt.Sprint(time.Now().UnixNano() % 1_000_000)
	post := func(path string, f url.Values) *response {
		f.Set("csrf", c.csrf())
		return c.postForm(path, f)
	}
	post("/volunteers/brands", url.Values{"region_code": {"371722"}, "name": {"荷美单县" + tag}}).want(http.StatusSeeOther)
	if page := string(c.get("/volunteers").want(http.StatusOK).Body); !strings.Contains(page, "荷美单县"+tag) {
		t.Fatal("the new brand is not listed")
	}
	var brands struct {
		Items []struct{ ID, Name string }
	}
	e.as(t, "demo_county").get("/api/v1/brands?region=371722").want(http.StatusOK).decode(&brands)
	brand := ""
	for _, b := range brands.Items {
		if b.Name == "荷美单县"+tag {
			brand = b.ID
		}
	}

	r := post("/volunteers/teams", url.Values{"region_code": {"371722"}, "name": {"红马甲" + tag}, "brand_id": {brand}, "leader": {"nobody-" + tag}})
	r.want(http.StatusBadRequest)
	if body := string(r.Body); !strings.Contains(body, `data-testid="leader-error"`) || !strings.Contains(body, "nobody-"+tag) {
		t.Fatal("an unknown leader is not named by the field, or what was typed is lost")
	}
	if r := post("/volunteers/teams", url.Values{"region_code": {"371722"}, "name": {"红马甲" + tag}, "brand_id": {brand}, "leader": {"demo_teamlead"}, "skill": {"doctor"}}); r.Status != http.StatusSeeOther {
		i := strings.Index(string(r.Body), `role="alert"`)
		t.Fatalf("team: %d %s", r.Status, string(r.Body)[i:min(len(r.Body), i+300)])
	}
	var teams struct {
		Items []struct {
			ID, Name, Skill string
			BrandName       string `json:"brand_name"`
			LeaderUserID    string `json:"leader_user_id"`
		}
	}
	e.as(t, "demo_county").get("/api/v1/teams?region=371722").want(http.StatusOK).decode(&teams)
	team := ""
	for _, tm := range teams.Items {
		if tm.Name == "红马甲"+tag {
			team = tm.ID
			if tm.BrandName != "荷美单县"+tag || tm.LeaderUserID == "" || tm.Skill != "doctor" {
				t.Errorf("team %+v", tm)
			}
		}
	}
	if team == "" {
		t.Fatal("the team was not stored")
	}
	post("/volunteers/projects", url.Values{"region_code": {"371722"}, "name": {"敬老助餐" + tag}, "team_id": {team}, "description": {"每周三送餐"}}).want(http.StatusSeeOther)
	if page := string(c.get("/volunteers?created=project&name=x").want(http.StatusOK).Body); !strings.Contains(page, "敬老助餐"+tag) || !strings.Contains(page, "每周三送餐") {
		t.Error("the project is not listed with its description")
	}
	// A brand belongs to a county, not a town.
	r = post("/volunteers/brands", url.Values{"region_code": {"371722001"}, "name": {"镇品牌" + tag}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "镇品牌"+tag) {
		t.Errorf("a brand in a town: %d", r.Status)
	}
	// A project of this county's team cannot be placed in another county.
	if r := post("/volunteers/projects", url.Values{"region_code": {"371721"}, "name": {"越界项目" + tag}, "team_id": {team}}); r.Status == http.StatusSeeOther {
		t.Error("a project of a 单县 team was placed in 曹县")
	}
	if p := e.as(t, "demo_teamlead").postJSON("/api/v1/projects", map[string]any{"region_code": "371721", "name": "越界" + tag, "team_id": team}).wantProblem(http.StatusBadRequest, "invalid"); p.Field != "region_code" {
		t.Errorf("the leader placing a project in another county: field %q", p.Field)
	}
	// A leader from another county is refused, through the API too.
	var other struct {
		ID string `json:"id"`
	}
	e.as(t, "demo_city").postJSON("/api/v1/accounts", map[string]any{"username": "caoxian" + tag, "password": "Heze@2025-x", "role": "volunteer", "region_code": "371721"}).want(http.StatusCreated).decode(&other)
	if p := e.as(t, "demo_city").postJSON("/api/v1/teams", map[string]any{"region_code": "371722", "name": "跨县" + tag, "leader_user_id": other.ID}).wantProblem(http.StatusBadRequest, "invalid"); p.Field != "leader_user_id" {
		t.Errorf("a leader from another county: field %q", p.Field)
	}
	// Outside the official's county: refused.
	if r := post("/volunteers/teams", url.Values{"region_code": {"371721"}, "name": {"外县" + tag}}); r.Status != http.StatusForbidden {
		t.Errorf("a team in another county: %d", r.Status)
	}
}
