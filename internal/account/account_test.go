package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) *account.Service {
	t.Helper()
	regions := regiontest.Load(t, db)
	keys, err := privacy.NewKeys(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return account.NewService(db, keys, regions, account.DefaultConfig)
}

func mustCreate(t *testing.T, s *account.Service, by auth.Actor, u account.NewUser) account.User {
	t.Helper()
	if u.Password == "" {
		u.Password = "correct horse"
	}
	got, err := s.Create(context.Background(), by, u)
	if err != nil {
		t.Fatalf("create %s: %v", u.Username, err)
	}
	return got
}

func TestPasswordHash(t *testing.T) {
	h := account.HashPassword("秘密-password")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash form: %s", h)
	}
	if !account.CheckPassword(h, "秘密-password") || account.CheckPassword(h, "秘密-passwore") || account.CheckPassword("garbage", "x") {
		t.Fatal("check")
	}
	if h1, h2 := account.HashPassword("a"), account.HashPassword("a"); h1 == h2 {
		t.Fatal("no salt")
	}
}

func TestCreateRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := setup(t, db)
		sys := auth.System("test")
		town := mustCreate(t, s, sys, account.NewUser{Username: "town", Role: auth.Official, RegionCode: regiontest.TownA1, Phone: "138 1234 5678"})
		if town.Phone != "138****5678" {
			t.Fatalf("phone not masked: %q", town.Phone)
		}
		ta := town.Actor("", "test")
		for _, tc := range []struct {
			name string
			in   account.NewUser
			code errs.Code
			fld  string
		}{
			{"grid worker in own town", account.NewUser{Username: "gw1", Role: auth.GridWorker, RegionCode: regiontest.GridA1a1}, "", ""},
			{"grid worker at town level", account.NewUser{Username: "gw2", Role: auth.GridWorker, RegionCode: regiontest.TownA1}, errs.Invalid, "region_code"},
			{"official may not appoint an official", account.NewUser{Username: "official2", Role: auth.Official, RegionCode: regiontest.VillA1a}, errs.Forbidden, "role"},
			{"sibling town", account.NewUser{Username: "gw3", Role: auth.GridWorker, RegionCode: "371722002001001"}, errs.Forbidden, ""},
			{"parent county", account.NewUser{Username: "res", Role: auth.Resident, RegionCode: regiontest.CountyA}, errs.Forbidden, ""},
			{"bad phone", account.NewUser{Username: "gw4", Role: auth.GridWorker, RegionCode: regiontest.GridA1a1, Phone: "12345"}, errs.Invalid, "phone"},
			{"duplicate username", account.NewUser{Username: "town", Role: auth.Resident, RegionCode: regiontest.GridA1a1}, errs.Invalid, "username"},
			{"short password", account.NewUser{Username: "gw5", Role: auth.GridWorker, RegionCode: regiontest.GridA1a1, Password: "short"}, errs.Invalid, "password"},
			{"unknown region", account.NewUser{Username: "gw6", Role: auth.GridWorker, RegionCode: "999999"}, errs.Invalid, "region_code"},
		} {
			if tc.in.Password == "" {
				tc.in.Password = "correct horse"
			}
			_, err := s.Create(context.Background(), ta, tc.in)
			if tc.code == "" {
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
				}
				continue
			}
			e := errs.As(err)
			if e.Code != tc.code || (tc.fld != "" && e.Field != tc.fld) {
				t.Errorf("%s: got %v (field %q), want %s on %q", tc.name, err, e.Field, tc.code, tc.fld)
			}
		}
		// The list shows only the town's subtree.
		mustCreate(t, s, sys, account.NewUser{Username: "other", Role: auth.GridWorker, RegionCode: regiontest.GridB1a1})
		us, _, err := s.List(context.Background(), ta, account.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if u.Username == "other" {
				t.Fatal("town official sees an account of another county")
			}
		}
		if len(us) != 2 { // town itself and gw1
			t.Fatalf("town sees %d accounts", len(us))
		}
		if _, _, err := s.List(context.Background(), ta, account.ListFilter{RegionCode: regiontest.CountyB}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("list sibling: %v", err)
		}
	})
}

func TestLoginLockoutAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		s := setup(t, db)
		u := mustCreate(t, s, auth.System("test"), account.NewUser{Username: "worker", Role: auth.GridWorker, RegionCode: regiontest.GridA1a1})

		if _, _, err := s.Login(ctx, "nobody", "correct horse", "", ""); !errs.Is(err, errs.Unauthorized) || errs.As(err).Key != "err.login.failed" {
			t.Fatalf("unknown user: %v", err)
		}
		for i := 0; i < 5; i++ {
			if _, _, err := s.Login(ctx, "worker", "wrong password", "10.0.0.1", ""); errs.As(err).Key != "err.login.failed" {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, _, err := s.Login(ctx, "worker", "correct horse", "", ""); errs.As(err).Key != "err.login.locked" {
			t.Fatalf("after 5 failures: %v", err)
		}
		now = now.Add(16 * time.Minute)
		tok, _, err := s.Login(ctx, "worker", "correct horse", "", "")
		if err != nil {
			t.Fatalf("after lockout: %v", err)
		}
		a, err := s.SessionActor(ctx, tok, "")
		if err != nil || a.UserID != u.ID || a.Role != auth.GridWorker || a.RegionPath != u.RegionPath {
			t.Fatalf("session actor: %+v %v", a, err)
		}
		// Idle expiry: 2 h without use ends the session.
		now = now.Add(2*time.Hour + time.Minute)
		if _, err := s.SessionActor(ctx, tok, ""); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("idle session still valid: %v", err)
		}
		// Absolute expiry: used every hour, still ends after 12 h.
		tok, _, _ = s.Login(ctx, "worker", "correct horse", "", "")
		for i := 0; i < 11; i++ {
			now = now.Add(time.Hour)
			if _, err := s.SessionActor(ctx, tok, ""); err != nil {
				t.Fatalf("hour %d: %v", i+1, err)
			}
		}
		now = now.Add(time.Hour + time.Minute)
		if _, err := s.SessionActor(ctx, tok, ""); !errs.Is(err, errs.Unauthorized) {
			t.Fatal("session outlived its absolute expiry")
		}
		// Disabling ends sessions and revokes tokens.
		tok, _, _ = s.Login(ctx, "worker", "correct horse", "", "")
		apiTok, err := s.CreateToken(ctx, auth.System("test"), u.ID, "integration")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenActor(ctx, apiTok, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.SetStatus(ctx, auth.System("test"), u.ID, "disabled"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionActor(ctx, tok, ""); err == nil {
			t.Fatal("session of a disabled account still valid")
		}
		if _, err := s.TokenActor(ctx, apiTok, ""); err == nil {
			t.Fatal("token of a disabled account still valid")
		}
		if _, _, err := s.Login(ctx, "worker", "correct horse", "", ""); err == nil {
			t.Fatal("disabled account logged in")
		}
		res, err := audit.Verify(ctx, db)
		if err != nil || res.BadSeq != 0 || res.Entries < 4 {
			t.Fatalf("audit: %+v %v", res, err)
		}
	})
}

func TestTokensStoredHashed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		u := mustCreate(t, s, auth.System("test"), account.NewUser{Username: "integr", Role: auth.DeptHandler, RegionCode: regiontest.CountyA})
		tok, err := s.CreateToken(ctx, auth.System("test"), u.ID, "hotline")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		db.Read(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, "SELECT count(*) FROM api_tokens WHERE token_hash = ? OR name = ?", tok, tok).Scan(&n)
		})
		if n != 0 {
			t.Fatal("token stored in clear")
		}
		if _, err := s.TokenActor(ctx, tok+"x", ""); err == nil {
			t.Fatal("forged token accepted")
		}
	})
}
