// Package live owns change notifications for Server-Sent Events: a hub that
// fans events out to subscribers in this process and, on PostgreSQL,
// LISTEN/NOTIFY so that every server process on one database delivers them.
package live

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event says that something changed: a case, with the region path it lies
// in so subscribers can filter by scope.
type Event struct {
	Topic string // e.g. "case"
	ID    string
	Path  string // region path of the record, for scope filtering
}

// Hub fans events out. Slow subscribers lose events rather than block the
// publisher: a lost event only means a list refreshes on the next one.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
	// publish is where Publish sends: straight to local subscribers, or to
	// PostgreSQL, whose NOTIFY comes back to every process's listener.
	publish func(Event)
}

// NewHub returns a hub that delivers in process.
func NewHub() *Hub {
	h := &Hub{subs: map[chan Event]struct{}{}}
	h.publish = h.deliver
	return h
}

// Subscribe returns a channel of events until ctx ends.
func (h *Hub) Subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, 64)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
		close(ch)
	}()
	return ch
}

// Publish announces an event.
func (h *Hub) Publish(e Event) { h.publish(e) }

func (h *Hub) deliver(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

// Subscribers counts live subscriptions (for tests and metrics).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

const channel = "civicgrid_events"

// UsePostgres routes events through LISTEN/NOTIFY on the database at url:
// Publish sends NOTIFY, and a listener delivers every notification (from
// this process or another) to local subscribers. It returns once listening.
func (h *Hub) UsePostgres(ctx context.Context, url string, log *slog.Logger) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		conn.Close(ctx)
		return err
	}
	notifier, err := pgx.Connect(ctx, url)
	if err != nil {
		conn.Close(ctx)
		return err
	}
	var nmu sync.Mutex
	h.publish = func(e Event) {
		nmu.Lock()
		defer nmu.Unlock()
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := notifier.Exec(cctx, "SELECT pg_notify($1, $2)", channel, e.Topic+":"+e.ID+":"+e.Path); err != nil {
			log.Warn("live: notify failed; delivering locally", "err", err)
			h.deliver(e)
		}
	}
	go func() {
		defer conn.Close(context.Background())
		defer notifier.Close(context.Background())
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("live: listener stopped", "err", err)
				}
				return
			}
			topic, rest, _ := strings.Cut(n.Payload, ":")
			id, path, _ := strings.Cut(rest, ":")
			h.deliver(Event{Topic: topic, ID: id, Path: path})
		}
	}()
	return nil
}
