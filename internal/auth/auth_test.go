package auth

import (
	"testing"

	"civicgrid/internal/errs"
)

func TestAuthorizeScopeMatrix(t *testing.T) {
	own := "/371700/371722/371722001/"
	cases := []struct {
		name   string
		target string
		want   bool
	}{
		{"own root", own, true},
		{"inside", own + "371722001001/", true},
		{"sibling", "/371700/371722/371722002/", false},
		{"sibling with the same prefix digits", "/371700/371722/3717220011/", false},
		{"parent", "/371700/371722/", false},
		{"empty", "", false},
	}
	for _, role := range Roles {
		a := Actor{UserID: "u", Role: role, RegionPath: own}
		for _, p := range []Permission{RegionRead, RegionWrite, AccountRead, AccountWrite, PersonRead, PersonReveal, AuditRead} {
			for _, tc := range cases {
				err := a.Authorize(p, tc.target)
				allowed := err == nil
				want := tc.want && role.Has(p)
				if allowed != want {
					t.Errorf("%s %s on %s: allowed=%v want %v (%v)", role, p, tc.name, allowed, want, err)
				}
				if err != nil && !errs.Is(err, errs.Forbidden) {
					t.Errorf("%s %s on %s: refused with %v, want forbidden", role, p, tc.name, err)
				}
			}
		}
	}
	if err := (Actor{}).Authorize(RegionRead, own); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("anonymous: %v", err)
	}
}

func TestCanAssign(t *testing.T) {
	for _, tc := range []struct {
		by, give Role
		ok       bool
	}{
		{CityAdmin, CityAdmin, true},
		{CityAdmin, Auditor, true},
		{Official, Official, false},
		{Official, CityAdmin, false},
		{Official, Auditor, false},
		{Official, GridWorker, true},
		{Official, DeptHandler, true},
		{GridLeader, GridWorker, true},
		{GridLeader, GridLeader, false},
		{GridLeader, Official, false},
		{GridWorker, Resident, false},
		{Auditor, Resident, false},
	} {
		if got := tc.by.CanAssign(tc.give); got != tc.ok {
			t.Errorf("%s assigning %s: %v, want %v", tc.by, tc.give, got, tc.ok)
		}
	}
}
