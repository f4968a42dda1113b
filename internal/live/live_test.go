package live

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"civicgrid/internal/store/storetest"
)

func recv(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func TestInProcess(t *testing.T) {
	h := NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	ch := h.Subscribe(ctx)
	h.Publish(Event{Topic: "case", ID: "A"})
	if e := recv(t, ch); e.ID != "A" {
		t.Fatalf("got %+v", e)
	}
	cancel()
	for range ch {
	}
	if h.Subscribers() != 0 {
		t.Fatal("subscriber not removed")
	}
}

// TestTwoProcessesOnPostgres: two hubs on one database stand for two server
// processes; an event published on one reaches subscribers of both.
func TestTwoProcessesOnPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := NewHub(), NewHub()
	if err := a.UsePostgres(ctx, url, log); err != nil {
		t.Fatal(err)
	}
	if err := b.UsePostgres(ctx, url, log); err != nil {
		t.Fatal(err)
	}
	ca, cb := a.Subscribe(ctx), b.Subscribe(ctx)
	a.Publish(Event{Topic: "case", ID: "01TEST", Path: "/371700/"})
	if e := recv(t, cb); e.Topic != "case" || e.ID != "01TEST" || e.Path != "/371700/" {
		t.Fatalf("other process got %+v", e)
	}
	if e := recv(t, ca); e.ID != "01TEST" {
		t.Fatalf("own process got %+v", e)
	}
}
