package e2e

import (
	"context"
	"testing"
	"time"

	"civicgrid/internal/cases"
)

// TestCasePageUpdatesLive: a town official has a case open; someone else
// accepts it meanwhile; the page shows the new stage without anyone
// reloading it (Server-Sent Events).
func TestCasePageUpdatesLive(t *testing.T) {
	b := newBrowser(t, desktop)
	b.mustLogin("demo_town")
	p := gridPoint(t)
	ctx := context.Background()
	m := server.main
	grid, err := m.Accounts.ByUsername(ctx, "demo_grid")
	if err != nil {
		t.Fatal(err)
	}
	in, err := m.Cases.File(ctx, grid.Actor("127.0.0.1", "test"), cases.Report{Channel: cases.ChannelPatrol, Category: "1102", Description: "实时刷新测试", Lng: p.Lng, Lat: p.Lat})
	if err != nil {
		t.Fatal(err)
	}
	if r := b.open("/cases/" + in.Case.ID); r.Status != 200 {
		t.Fatalf("case page: %s", statusOf(r))
	}
	if got := b.waitFor("stage before", `document.querySelector('[data-testid="case-stage"]').dataset.status`, 10*time.Second); got != "reported" {
		t.Fatalf("stage %q", got)
	}
	// Give the page a moment to open its stream, then act elsewhere.
	b.waitFor("stream open", `document.body.dataset.live || ""`, 10*time.Second)
	county, _ := m.Accounts.ByUsername(ctx, "demo_county")
	if _, err := m.Cases.Act(ctx, county.Actor("127.0.0.1", "test"), in.Case.ID, cases.ActAccept, cases.Input{}, ""); err != nil {
		t.Fatal(err)
	}
	// live.js reloads the page shortly after the event; poll once it has.
	time.Sleep(2 * time.Second)
	got := b.waitFor("stage after the accept elsewhere",
		`(() => { const e = document.querySelector('[data-testid="case-stage"]'); return e && e.dataset.status === "accepted" ? "accepted" : ""; })()`, 15*time.Second)
	if got != "accepted" {
		t.Fatalf("page did not update: %q", got)
	}
}
