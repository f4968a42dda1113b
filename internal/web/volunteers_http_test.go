package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func workbook(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			f.SetCellStr("Sheet1", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// TestVolunteerImportAPI: a register with a bad row is refused whole with
// a problem per row; the corrected one is stored; out-of-scope grids and
// roles without volunteer.manage are refused.
func TestVolunteerImportAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		suffix := fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
		head := []string{"姓名", "手机号", "身份证号", "专业技能", "网格编码"}
		bad := workbook(t, [][]string{head,
			{"导入甲", "1390000" + suffix, "", "护士", "371722001001001"},
			{"导入乙", "12", "", "", "371722001001001"},
		})
		c := e.as(t, "demo_town")
		r := c.do("POST", "/api/v1/volunteers/import", bad, "Content-Type", xlsxType)
		p := r.wantProblem(http.StatusBadRequest, "invalid")
		if len(p.Errors) != 1 || p.Errors[0].Field != "rows/3/phone" || !hasHan(p.Errors[0].Detail) {
			t.Fatalf("problems %+v", p.Errors)
		}
		good := workbook(t, [][]string{head,
			{"导入甲", "1390000" + suffix, "", "护士", "371722001001001"},
			{"导入乙", "1391000" + suffix, "", "电工、教师", "371722001001002"},
		})
		var res struct{ Created int }
		c.do("POST", "/api/v1/volunteers/import", good, "Content-Type", xlsxType).want(http.StatusOK).decode(&res)
		if res.Created != 2 {
			t.Fatalf("created %d", res.Created)
		}
		// Another county's grid is outside demo_town's scope.
		other := workbook(t, [][]string{head, {"导入丙", "1392000" + suffix, "", "", "371721001001001"}})
		if p := c.do("POST", "/api/v1/volunteers/import", other, "Content-Type", xlsxType).wantProblem(http.StatusBadRequest, "invalid"); len(p.Errors) != 1 || p.Errors[0].Field != "rows/2/grid_code" {
			t.Fatalf("out of scope: %+v", p.Errors)
		}
		e.as(t, "demo_resident").do("POST", "/api/v1/volunteers/import", good, "Content-Type", xlsxType).wantProblem(http.StatusForbidden, "forbidden")
		tpl := c.get("/api/v1/volunteers/import-template.xlsx").want(http.StatusOK)
		if !strings.HasPrefix(tpl.Header.Get("Content-Type"), xlsxType) || !bytes.HasPrefix(tpl.Body, []byte("PK")) {
			t.Fatalf("template: %s", tpl)
		}
	})
}

// TestVolunteerImportPage: the web form lists each bad row in Chinese.
func TestVolunteerImportPage(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_town")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf())
	fw, _ := mw.CreateFormFile("file", "名册.xlsx")
	fw.Write(workbook(t, [][]string{{"姓名", "手机号", "网格编码"}, {"", "13900001111", "371722001001001"}}))
	mw.Close()
	r := c.do("POST", "/volunteers/import", body.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "第 2 行（姓名）：此项为必填项。") {
		t.Fatalf("import page: %d\n%s", r.Status, r.Body)
	}
}

// TestLedgerAPI: awards by a points manager, exactly-once retries, refused
// overdrafts and manual earnings, reversal, and the wallet statement.
func TestLedgerAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		key := fmt.Sprintf("api-%d", time.Now().UnixNano())
		county := e.as(t, "demo_county")
		var issuer struct{ ID string }
		county.get("/api/v1/regions/371722/issuer").want(http.StatusOK).decode(&issuer)
		vol := e.as(t, "demo_volunteer")
		var wallet struct {
			ID      string
			Balance int64
		}
		vol.get("/api/v1/wallet").want(http.StatusOK).decode(&wallet)
		award := map[string]any{"idempotency_key": key, "debit": issuer.ID, "credit": wallet.ID, "amount": 30, "reason": "award", "memo": "优秀志愿者"}
		var first, again struct{ ID string }
		county.postJSON("/api/v1/ledger/transfers", award).want(http.StatusCreated).decode(&first)
		county.postJSON("/api/v1/ledger/transfers", award).want(http.StatusOK).decode(&again)
		if first.ID == "" || again.ID != first.ID {
			t.Fatalf("retry gave %s, first %s", again.ID, first.ID)
		}
		award["amount"] = 31
		if p := county.postJSON("/api/v1/ledger/transfers", award).wantProblem(http.StatusConflict, "conflict"); p.Field != "idempotency_key" {
			t.Fatalf("changed content: %+v", p)
		}
		// The volunteer cannot award themselves, nor post earnings by hand.
		vol.postJSON("/api/v1/ledger/transfers", map[string]any{"idempotency_key": key + "x", "debit": issuer.ID, "credit": wallet.ID, "amount": 5, "reason": "award"}).wantProblem(http.StatusForbidden, "forbidden")
		county.postJSON("/api/v1/ledger/transfers", map[string]any{"idempotency_key": key + "h", "debit": issuer.ID, "credit": wallet.ID, "amount": 5, "reason": "hours"}).wantProblem(http.StatusBadRequest, "invalid")
		// A gift beyond the balance is refused with the figures.
		var nurse struct{ ID string }
		e.as(t, "demo_nurse").get("/api/v1/wallet").want(http.StatusOK).decode(&nurse)
		p := vol.postJSON("/api/v1/ledger/transfers", map[string]any{"idempotency_key": key + "g", "debit": wallet.ID, "credit": nurse.ID, "amount": wallet.Balance + 31, "reason": "gift"}).wantProblem(http.StatusConflict, "conflict")
		if p.Field != "amount" || !strings.Contains(p.Detail, "积分不足") {
			t.Fatalf("overdraft: %+v", p)
		}
		var rev struct{ Reverses string }
		county.postJSON("/api/v1/ledger/transfers/"+first.ID+"/reverse", map[string]any{"memo": "重复奖励"}).want(http.StatusCreated).decode(&rev)
		if rev.Reverses != first.ID {
			t.Fatalf("reversal names %q", rev.Reverses)
		}
		var moves struct {
			Items []struct {
				ID    string
				Delta int64
			}
		}
		vol.get("/api/v1/ledger/accounts/me/movements").want(http.StatusOK).decode(&moves)
		if len(moves.Items) < 2 || moves.Items[0].Delta != -30 || moves.Items[1].Delta != 30 {
			t.Fatalf("movements %+v", moves.Items)
		}
		// Someone else's wallet is not the volunteer's to read.
		e.as(t, "demo_nurse").get("/api/v1/ledger/accounts/"+wallet.ID).wantProblem(http.StatusForbidden, "forbidden")
	})
}

// TestCounterSale: a keeper redeems for a resident at the counter; the
// points move at once and the keeper is refused for an unknown account.
func TestCounterSale(t *testing.T) {
	e := sharedEnv(t)
	var shops struct{ Items []struct{ ID string } }
	e.as(t, "demo_city").get("/api/v1/markets").want(http.StatusOK).decode(&shops)
	var m struct {
		Items []struct {
			ID    string
			Price int64
		}
	}
	e.as(t, "demo_city").get("/api/v1/markets/" + shops.Items[0].ID).want(http.StatusOK).decode(&m)
	county := e.as(t, "demo_county")
	var issuer, wallet struct{ ID string }
	county.get("/api/v1/regions/371722/issuer").want(http.StatusOK).decode(&issuer)
	e.as(t, "demo_resident").get("/api/v1/wallet").want(http.StatusOK).decode(&wallet)
	county.postJSON("/api/v1/ledger/transfers", map[string]any{"idempotency_key": fmt.Sprint("counter-seed-", time.Now().UnixNano()), "debit": issuer.ID, "credit": wallet.ID, "amount": 100, "reason": "award"}).want(http.StatusCreated)
	keeper := e.login(t, "demo_leader")
	form := url.Values{"csrf": {keeper.csrf()}, "key": {fmt.Sprint("c", time.Now().UnixNano())}, "item_id": {m.Items[0].ID}, "qty": {"1"}, "buyer": {"demo_resident"}}
	// Without the buyer's code the keeper cannot spend their points.
	if r := keeper.postForm("/markets/"+shops.Items[0].ID+"/orders", form); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "兑换码不正确") {
		t.Fatalf("counter sale without the buyer's code: %s", r)
	}
	wpage := e.login(t, "demo_resident").get("/wallet").want(http.StatusOK)
	code := regexp.MustCompile(`data-testid="counter-code">(\d{6})<`).FindStringSubmatch(string(wpage.Body))
	if code == nil {
		t.Fatalf("no counter code on the wallet page:\n%s", wpage.Body)
	}
	form.Set("buyer_code", code[1])
	keeper.postForm("/markets/"+shops.Items[0].ID+"/orders", form).want(http.StatusSeeOther)
	var orders struct {
		Items []struct{ Status, Channel string }
	}
	e.as(t, "demo_resident").get("/api/v1/orders").want(http.StatusOK).decode(&orders)
	if len(orders.Items) == 0 || orders.Items[0].Status != "picked_up" || orders.Items[0].Channel != "counter" {
		t.Fatalf("orders %+v", orders.Items)
	}
	form.Set("buyer", "nobody-such")
	form.Set("key", "other")
	if r := keeper.postForm("/markets/"+shops.Items[0].ID+"/orders", form); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "找不到该账号") {
		t.Fatalf("unknown buyer: %s", r)
	}
}

// TestRulesPage: a county official sets a rule through the form; a
// resident sees the rules but cannot set one.
func TestRulesPage(t *testing.T) {
	e := sharedEnv(t)
	c := e.login(t, "demo_county")
	c.postForm("/points/rules", url.Values{"csrf": {c.csrf()}, "region": {"371722"}, "source": {"meeting"}, "points": {"8"}, "daily_cap": {"16"}}).want(http.StatusSeeOther)
	page := c.get("/points/rules?region=371722").want(http.StatusOK)
	if !strings.Contains(string(page.Body), "参加议事（每次）") || !strings.Contains(string(page.Body), "<td>8</td><td>16</td>") {
		t.Fatalf("rules page:\n%s", page.Body)
	}
	r := e.login(t, "demo_resident")
	if got := r.postForm("/points/rules", url.Values{"csrf": {r.csrf()}, "region": {"371722"}, "source": {"hour"}, "points": {"999"}}); got.Status != http.StatusForbidden {
		t.Fatalf("a resident set a rule: %s", got)
	}
}

// TestRevealVolunteerIsAudited: a grid worker reveals a volunteer's phone;
// the audit log names who read whose phone; a resident cannot.
func TestRevealVolunteerIsAudited(t *testing.T) {
	e := sharedEnv(t)
	var vols struct{ Items []struct{ ID, Phone string } }
	e.as(t, "demo_grid").get("/api/v1/volunteers?limit=1").want(http.StatusOK).decode(&vols)
	if len(vols.Items) == 0 || !strings.Contains(vols.Items[0].Phone, "****") {
		t.Fatalf("volunteers %+v", vols.Items)
	}
	id := vols.Items[0].ID
	var got struct{ Value string }
	e.as(t, "demo_grid").postJSON("/api/v1/volunteers/"+id+"/reveal", map[string]any{"field": "phone", "reason": "联系活动安排"}).want(http.StatusOK).decode(&got)
	if strings.Contains(got.Value, "*") || len(got.Value) < 11 {
		t.Fatalf("revealed %q", got.Value)
	}
	var audit struct {
		Items []struct{ Action, ObjectID, Actor string }
	}
	e.as(t, "demo_city").get("/api/v1/audit?object_type=volunteer&object_id=" + id).want(http.StatusOK).decode(&audit)
	if len(audit.Items) == 0 || audit.Items[0].Action != "reveal.phone" || audit.Items[0].Actor != "demo_grid" {
		t.Fatalf("audit %+v", audit.Items)
	}
	e.as(t, "demo_resident").postJSON("/api/v1/volunteers/"+id+"/reveal", map[string]any{"field": "phone"}).wantProblem(http.StatusForbidden, "forbidden")
}
