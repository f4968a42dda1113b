package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/ledger"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

const (
	cityPath    = "/371700/"
	countyPath  = "/371700/371722/"
	villagePath = "/371700/371722/371722001/371722001001/"
)

// books opens an issuer for county A and n wallets in its village.
func books(t *testing.T, db *store.DB, n int) (issuer string, wallets []string) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if issuer, err = ledger.EnsureAccount(ctx, tx, ledger.Issuer, regiontest.CountyA, regiontest.CountyA, countyPath, ""); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			w, err := ledger.EnsureAccount(ctx, tx, ledger.Wallet, fmt.Sprintf("user%d", i), regiontest.VillA1a, villagePath, fmt.Sprintf("居民%d", i))
			if err != nil {
				return err
			}
			wallets = append(wallets, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return issuer, wallets
}

func post(db *store.DB, n ledger.NewTransfer) (ledger.Transfer, bool, error) {
	var t ledger.Transfer
	var replay bool
	err := ledger.Retry(context.Background(), db, func(tx *store.Tx) error {
		var err error
		t, replay, err = ledger.Post(context.Background(), tx, n, "test")
		return err
	})
	return t, replay, err
}

func mustVerify(t *testing.T, db *store.DB) ledger.Report {
	t.Helper()
	r, err := ledger.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
	return r
}

func balance(t *testing.T, db *store.DB, id string) ledger.Account {
	t.Helper()
	var a ledger.Account
	err := db.Read(context.Background(), func(tx *store.Tx) error {
		var err error
		a, err = ledger.GetAccount(context.Background(), tx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestValidate(t *testing.T) {
	ok := ledger.NewTransfer{Key: "k", Debit: "a", Credit: "b", Amount: 5, Reason: ledger.ReasonAward}
	for _, tc := range []struct {
		name  string
		edit  func(*ledger.NewTransfer)
		field string
	}{
		{"ok", func(*ledger.NewTransfer) {}, ""},
		{"no key", func(n *ledger.NewTransfer) { n.Key = "  " }, "idempotency_key"},
		{"same account", func(n *ledger.NewTransfer) { n.Credit = "a" }, "credit"},
		{"zero", func(n *ledger.NewTransfer) { n.Amount = 0 }, "amount"},
		{"negative", func(n *ledger.NewTransfer) { n.Amount = -3 }, "amount"},
		{"huge", func(n *ledger.NewTransfer) { n.Amount = ledger.MaxAmount + 1 }, "amount"},
		{"unknown reason", func(n *ledger.NewTransfer) { n.Reason = "bonus" }, "reason"},
		{"reversal without original", func(n *ledger.NewTransfer) { n.Reason = ledger.ReasonReversal }, "reverses"},
		{"original without reversal", func(n *ledger.NewTransfer) { n.Reverses = "x" }, "reverses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := ok
			tc.edit(&n)
			err := n.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := errs.As(err); err == nil || e.Field != tc.field {
				t.Fatalf("got %v, want a problem with field %q", err, tc.field)
			}
		})
	}
}

func TestPostReplayAndOverdraft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		issuer, w := books(t, db, 2)
		award := ledger.NewTransfer{Key: "award:1", Debit: issuer, Credit: w[0], Amount: 30, Reason: ledger.ReasonAward}
		first, replay, err := post(db, award)
		if err != nil || replay {
			t.Fatal(err, replay)
		}
		again, replay, err := post(db, award)
		if err != nil || !replay || again.ID != first.ID {
			t.Fatalf("retry: %v %v %v", again.ID, replay, err)
		}
		changed := award
		changed.Amount = 31
		if _, _, err := post(db, changed); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("same key, other content: %v", err)
		}
		if got := balance(t, db, w[0]).Balance; got != 30 {
			t.Fatalf("balance %d after a retried award of 30", got)
		}
		// A wallet never goes below zero; the issuer may.
		_, _, err = post(db, ledger.NewTransfer{Key: "gift:1", Debit: w[0], Credit: w[1], Amount: 31, Reason: ledger.ReasonGift})
		if e := errs.As(err); e.Code != errs.Conflict || e.Key != "err.ledger.insufficient" {
			t.Fatalf("overdraft: %v", err)
		}
		if _, _, err := post(db, ledger.NewTransfer{Key: "gift:2", Debit: w[0], Credit: w[1], Amount: 30, Reason: ledger.ReasonGift}); err != nil {
			t.Fatal(err)
		}
		if a, b, i := balance(t, db, w[0]).Balance, balance(t, db, w[1]).Balance, balance(t, db, issuer).Balance; a != 0 || b != 30 || i != -30 {
			t.Fatalf("balances %d %d %d", a, b, i)
		}
		r := mustVerify(t, db)
		if r.Transfers != 2 || r.Points != 30 {
			t.Fatalf("report %+v", r)
		}
	})
}

func TestTransfersAreImmutable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		issuer, w := books(t, db, 1)
		tr, _, err := post(db, ledger.NewTransfer{Key: "a", Debit: issuer, Credit: w[0], Amount: 5, Reason: ledger.ReasonAward})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, q := range []string{"UPDATE ledger_transfers SET amount = 500 WHERE id = ?", "DELETE FROM ledger_transfers WHERE id = ?"} {
			err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, q, tr.ID); return err })
			if err == nil {
				t.Fatalf("%s succeeded", q)
			}
		}
		mustVerify(t, db)
	})
}

func TestReverse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		issuer, w := books(t, db, 1)
		svc := ledger.NewService(db)
		official := auth.Actor{UserID: "o1", Role: auth.Official, RegionPath: countyPath}
		tr, _, err := svc.Transfer(context.Background(), official, ledger.NewTransfer{Key: "m1", Debit: issuer, Credit: w[0], Amount: 12, Reason: ledger.ReasonAward})
		if err != nil {
			t.Fatal(err)
		}
		// The owner cannot squat the key the reversal will use.
		owner := auth.Actor{UserID: "user0", Role: auth.Resident, RegionPath: villagePath}
		if _, _, err := svc.Transfer(context.Background(), owner, ledger.NewTransfer{Key: "reverse:" + tr.ID, Debit: w[0], Credit: issuer, Amount: 1, Reason: ledger.ReasonGift}); err == nil {
			t.Fatal("a gift to an issuer account was accepted")
		}
		if _, err := svc.Reverse(context.Background(), official, tr.ID, ""); errs.As(err).Field != "memo" {
			t.Fatalf("reversal without a reason: %v", err)
		}
		rev, err := svc.Reverse(context.Background(), official, tr.ID, "录错了")
		if err != nil {
			t.Fatal(err)
		}
		if rev.Reverses != tr.ID || rev.Debit != w[0] || rev.Amount != 12 {
			t.Fatalf("reversal %+v", rev)
		}
		again, err := svc.Reverse(context.Background(), official, tr.ID, "录错了")
		if err != nil || again.ID != rev.ID {
			t.Fatalf("second reversal: %v %v", again.ID, err)
		}
		// A hand-made second reversal under another key is refused.
		_, _, err = post(db, ledger.NewTransfer{Key: "other", Debit: issuer, Credit: w[0], Amount: 12, Reason: ledger.ReasonReversal, Reverses: tr.ID})
		if err == nil {
			t.Fatal("a second reversal of one transfer was posted")
		}
		if b := balance(t, db, w[0]).Balance; b != 0 {
			t.Fatalf("balance %d after reversal", b)
		}
		// Out of scope: an official of the other county.
		other := auth.Actor{UserID: "o2", Role: auth.Official, RegionPath: "/371700/371721/"}
		if _, _, err := svc.Transfer(context.Background(), other, ledger.NewTransfer{Key: "m2", Debit: issuer, Credit: w[0], Amount: 1, Reason: ledger.ReasonAward}); errs.CodeOf(err) != errs.Forbidden {
			t.Fatalf("out of scope award: %v", err)
		}
		// Earnings are never posted by hand.
		if _, _, err := svc.Transfer(context.Background(), official, ledger.NewTransfer{Key: "m3", Debit: issuer, Credit: w[0], Amount: 1, Reason: ledger.ReasonHours}); errs.As(err).Field != "reason" {
			t.Fatalf("manual hours: %v", err)
		}
		mustVerify(t, db)
	})
}

// TestRacingSpends: many goroutines spend from one wallet at once; exactly
// as many succeed as the balance allows, on both databases.
func TestRacingSpends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		issuer, w := books(t, db, 2)
		if _, _, err := post(db, ledger.NewTransfer{Key: "seed", Debit: issuer, Credit: w[0], Amount: 10, Reason: ledger.ReasonAward}); err != nil {
			t.Fatal(err)
		}
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Half spend, half retry the same key as another goroutine.
				_, replay, err := post(db, ledger.NewTransfer{Key: fmt.Sprintf("spend:%d", i%20), Debit: w[0], Credit: w[1], Amount: 1, Reason: ledger.ReasonGift})
				switch {
				case err == nil && !replay:
					ok.Add(1)
				case err == nil:
				case errs.As(err).Key == "err.ledger.insufficient":
					refused.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 10 {
			t.Fatalf("%d spends of 1 point from a wallet of 10 succeeded (refused %d)", ok.Load(), refused.Load())
		}
		if b := balance(t, db, w[0]).Balance; b != 0 {
			t.Fatalf("balance %d", b)
		}
		mustVerify(t, db)
	})
}

func TestHolds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		ctx := context.Background()
		issuer, w := books(t, db, 2)
		if _, _, err := post(db, ledger.NewTransfer{Key: "seed", Debit: issuer, Credit: w[0], Amount: 10, Reason: ledger.ReasonAward}); err != nil {
			t.Fatal(err)
		}
		hold := func(key string, amount int64) (ledger.Hold, error) {
			var h ledger.Hold
			err := db.Write(ctx, func(tx *store.Tx) error {
				var err error
				h, err = ledger.PlaceHold(ctx, tx, ledger.NewHold{Key: key, Account: w[0], Credit: w[1], Amount: amount, Reason: ledger.ReasonRedeem, ExpiresAt: time.Now().Add(time.Hour)})
				return err
			})
			return h, err
		}
		settle := func(id string, to ledger.HoldStatus) (ledger.Hold, error) {
			var h ledger.Hold
			err := db.Write(ctx, func(tx *store.Tx) error {
				var err error
				h, err = ledger.SettleHold(ctx, tx, id, to, "keeper")
				return err
			})
			return h, err
		}
		h1, err := hold("order:1", 6)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := hold("order:1", 6); err != nil || again.ID != h1.ID {
			t.Fatalf("retried hold: %v %v", again.ID, err)
		}
		if _, err := hold("order:2", 5); errs.As(err).Key != "err.ledger.insufficient" {
			t.Fatalf("hold beyond the available balance: %v", err)
		}
		// Held points cannot be given away either.
		if _, _, err := post(db, ledger.NewTransfer{Key: "gift", Debit: w[0], Credit: w[1], Amount: 5, Reason: ledger.ReasonGift}); errs.As(err).Key != "err.ledger.insufficient" {
			t.Fatalf("spending held points: %v", err)
		}
		if a := balance(t, db, w[0]); a.Balance != 10 || a.Held != 6 || a.Available != 4 {
			t.Fatalf("after hold: %+v", a)
		}
		mustVerify(t, db)
		posted, err := settle(h1.ID, ledger.HoldPosted)
		if err != nil || posted.TransferID == "" {
			t.Fatal(posted, err)
		}
		if _, err := settle(h1.ID, ledger.HoldVoided); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("voiding a posted hold: %v", err)
		}
		h2, err := hold("order:3", 4)
		if err != nil {
			t.Fatal(err)
		}
		// Expiry is the supermarket's (it returns the stock too); here the
		// hold alone.
		if expired, err := settle(h2.ID, ledger.HoldExpired); err != nil || expired.Status != ledger.HoldExpired {
			t.Fatalf("expire: %+v %v", expired, err)
		}
		if a, b := balance(t, db, w[0]), balance(t, db, w[1]); a.Balance != 4 || a.Held != 0 || b.Balance != 6 {
			t.Fatalf("after settling: %+v %+v", a, b)
		}
		mustVerify(t, db)
	})
}

func TestAwardRulesAndCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		ctx := context.Background()
		err := db.Write(ctx, func(tx *store.Tx) error {
			// The county gives 10 per hour; the village overrides with 20,
			// capped at 50 a day; cases earn 5 county-wide.
			return errors.Join(
				ledger.SetRule(ctx, tx, ledger.Rule{RegionCode: regiontest.CountyA, RegionPath: countyPath, Source: ledger.SourceHour, Points: 10}, "t"),
				ledger.SetRule(ctx, tx, ledger.Rule{RegionCode: regiontest.VillA1a, RegionPath: villagePath, Source: ledger.SourceHour, Points: 20, DailyCap: 50}, "t"),
				ledger.SetRule(ctx, tx, ledger.Rule{RegionCode: regiontest.CountyA, RegionPath: countyPath, Source: ledger.SourceCase, Points: 5}, "t"),
			)
		})
		if err != nil {
			t.Fatal(err)
		}
		award := func(e ledger.Earning) (ledger.Transfer, bool) {
			var tr ledger.Transfer
			var ok bool
			err := ledger.Retry(ctx, db, func(tx *store.Tx) error {
				var err error
				tr, ok, err = ledger.Award(ctx, tx, e)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return tr, ok
		}
		who := ledger.Earning{UserID: "v1", UserRegionCode: regiontest.VillA1a, UserRegionPath: villagePath, UserName: "志愿者"}
		e := who
		e.Source, e.Key, e.Minutes, e.RegionPath = ledger.SourceHour, "hours:s1", 90, villagePath+"371722001001001/"
		tr, ok := award(e)
		if !ok || tr.Amount != 30 {
			t.Fatalf("90 minutes at 20/h in the village: %v %+v", ok, tr)
		}
		if again, ok := award(e); !ok || again.ID != tr.ID {
			t.Fatal("a second award for the same hours")
		}
		e.Key, e.Minutes = "hours:s2", 120
		if tr, ok := award(e); !ok || tr.Amount != 20 {
			t.Fatalf("cap of 50 a day after 30: %v %+v", ok, tr)
		}
		e.Key = "hours:s3"
		if _, ok := award(e); ok {
			t.Fatal("award past the daily cap")
		}
		// Elsewhere in the county the county's rule applies, uncapped.
		e.Key, e.Minutes, e.RegionPath = "hours:s4", 60, "/371700/371722/371722002/"
		if tr, ok := award(e); !ok || tr.Amount != 10 {
			t.Fatalf("county rule: %+v", tr)
		}
		c := who
		c.Source, c.Key, c.RegionPath = ledger.SourceCase, "case:1", villagePath
		if tr, ok := award(c); !ok || tr.Amount != 5 {
			t.Fatalf("case award: %+v", tr)
		}
		// No rule in the other county: nothing.
		c.Key, c.RegionPath = "case:2", "/371700/371721/"
		if _, ok := award(c); ok {
			t.Fatal("award without a rule")
		}
		mustVerify(t, db)
	})
}

func TestVerifyFindsTampering(t *testing.T) {
	db := storetest.OpenSQLite(t)
	regiontest.Load(t, db)
	issuer, w := books(t, db, 1)
	if _, _, err := post(db, ledger.NewTransfer{Key: "a", Debit: issuer, Credit: w[0], Amount: 5, Reason: ledger.ReasonAward}); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, db)
	// Someone edits a balance behind the ledger's back.
	if _, err := db.Raw().Exec(`UPDATE ledger_accounts SET balance = balance + 100 WHERE id = ?`, w[0]); err != nil {
		t.Fatal(err)
	}
	r, err := ledger.Verify(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.Problems) != 2 || r.Problems[0].Account != w[0] {
		t.Fatalf("tampering not found: %+v", r.Problems)
	}
}

// TestPointsExpireOldestFirst: points expire so long after they were
// earned, the oldest first: what was spent or is held for an order counts
// against the oldest points, newer points stay, running again moves
// nothing twice, and the books still balance.
func TestPointsExpireOldestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		regiontest.Load(t, db)
		ctx := context.Background()
		clock := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return clock }
		issuer, w := books(t, db, 4)
		svc := ledger.NewService(db)
		at := func(d time.Time, n ledger.NewTransfer) ledger.Transfer {
			t.Helper()
			clock = d
			tr, _, err := post(db, n)
			if err != nil {
				t.Fatal(err)
			}
			return tr
		}
		jan, mar, jun := clock, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		// w0 earns 100 in January, spends 30 in March, earns 50 in June.
		at(jan, ledger.NewTransfer{Key: "e1", Debit: issuer, Credit: w[0], Amount: 100, Reason: ledger.ReasonHours})
		at(mar, ledger.NewTransfer{Key: "s1", Debit: w[0], Credit: w[2], Amount: 30, Reason: ledger.ReasonRedeem})
		at(jun, ledger.NewTransfer{Key: "e2", Debit: issuer, Credit: w[0], Amount: 50, Reason: ledger.ReasonHours})
		// w3 earns 100 in January; a mistaken award of 50 in June is taken
		// back in July: the taking back is not a spending of January's.
		at(jan, ledger.NewTransfer{Key: "e6", Debit: issuer, Credit: w[3], Amount: 100, Reason: ledger.ReasonHours})
		oops := at(jun, ledger.NewTransfer{Key: "e7", Debit: issuer, Credit: w[3], Amount: 50, Reason: ledger.ReasonAward})
		at(jun.AddDate(0, 1, 0), ledger.NewTransfer{Key: "r7", Debit: w[3], Credit: issuer, Amount: 50, Reason: ledger.ReasonReversal, Reverses: oops.ID})
		// w1 earns 40 in January and holds 25 of it for an order.
		at(jan, ledger.NewTransfer{Key: "e3", Debit: issuer, Credit: w[1], Amount: 40, Reason: ledger.ReasonHours})
		if err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := ledger.PlaceHold(ctx, tx, ledger.NewHold{Key: "order:x", Account: w[1], Credit: w[2], Amount: 25, Reason: ledger.ReasonRedeem, ExpiresAt: jun.AddDate(1, 0, 0)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// A year on, the January points are due: 70 of w0's, 15 of w1's (its
		// held 25 stay for the order); w0's June points are not.
		clock = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		cutoff := clock.AddDate(-1, 0, 0)
		if n, err := svc.ExpiringBy(ctx, w[0], cutoff); err != nil || n != 70 {
			t.Fatalf("expiring in w0: %d %v, want 70", n, err)
		}
		if n, _ := svc.ExpiringBy(ctx, w[3], cutoff); n != 100 {
			t.Errorf("expiring in w3: %d, want its 100 January points", n)
		}
		wallets, points, err := svc.ExpireDue(ctx, cutoff)
		if err != nil || wallets != 3 || points != 185 {
			t.Fatalf("expired %d wallets, %d points (%v); want 3 wallets, 185 points", wallets, points, err)
		}
		if b := balance(t, db, w[0]); b.Balance != 50 {
			t.Errorf("w0 keeps %d, want its 50 June points", b.Balance)
		}
		if b := balance(t, db, w[1]); b.Balance != 25 || b.Held != 25 {
			t.Errorf("w1: balance %d, held %d; want the 25 held for the order", b.Balance, b.Held)
		}
		if wallets, points, err := svc.ExpireDue(ctx, cutoff); err != nil || wallets != 0 || points != 0 {
			t.Fatalf("a second run expired %d wallets, %d points (%v)", wallets, points, err)
		}
		// Two runs at once, with cutoffs a minute apart (two servers): the
		// points go once.
		at(jun.AddDate(0, 0, 1), ledger.NewTransfer{Key: "e4", Debit: issuer, Credit: w[0], Amount: 20, Reason: ledger.ReasonHours})
		// and 100 not yet due, so a second count of the same 70 would find
		// enough to take
		at(time.Date(2026, 6, 5, 9, 0, 0, 0, time.UTC), ledger.NewTransfer{Key: "e5", Debit: issuer, Credit: w[0], Amount: 100, Reason: ledger.ReasonHours})
		clock = time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		var total atomic.Int64
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, n, err := svc.ExpireDue(ctx, clock.AddDate(-1, 0, 0).Add(time.Duration(i)*time.Minute))
				if err != nil {
					t.Error(err)
				}
				total.Add(n)
			}()
		}
		wg.Wait()
		// w0's 50 and 20 of June, and the 30 w2 received in March: once.
		if total.Load() != 100 {
			t.Errorf("two runs at once expired %d points, want 100 once", total.Load())
		}
		if b := balance(t, db, w[0]); b.Balance != 100 {
			t.Errorf("w0 keeps %d, want the 100 not yet due", b.Balance)
		}
		mustVerify(t, db)
		// Nothing of June's is due until next June.
		if n, _ := svc.ExpiringBy(ctx, w[0], time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC)); n != 0 {
			t.Errorf("%d of w0's June points counted as due before June", n)
		}
	})
}

// TestCutoffKeepsToTheMonth: points valid for months expire on the same
// day of the month, or the month's last day when it is shorter.
func TestCutoffKeepsToTheMonth(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		now    string
		months int
		want   string
	}{
		{"2026-05-31", 3, "2026-02-28"},
		{"2024-05-31", 3, "2024-02-29"},
		{"2026-03-31", 1, "2026-02-28"},
		{"2026-01-31", 1, "2025-12-31"},
		{"2026-06-15", 12, "2025-06-15"},
		{"2026-07-01", 24, "2024-07-01"},
	} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", tc.now+" 10:30", cst)
		got := ledger.Cutoff(now, tc.months).In(cst)
		if got.Format("2006-01-02") != tc.want || got.Hour() != 10 || got.Minute() != 30 {
			t.Errorf("Cutoff(%s, %d) = %s, want %s 10:30", tc.now, tc.months, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
}
