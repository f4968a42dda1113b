package market

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/ledger"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Order is a redemption: points held and stock reserved until pickup.
type Order struct {
	ID        string    `json:"id"`
	MarketID  string    `json:"market_id"`
	Market    string    `json:"market"`
	ItemID    string    `json:"item_id"`
	Item      string    `json:"item"`
	Qty       int64     `json:"qty"`
	Amount    int64     `json:"amount"`
	UserID    string    `json:"user_id"`
	Buyer     string    `json:"buyer"`
	WalletID  string    `json:"wallet_id"`
	HoldID    string    `json:"hold_id"`
	PickupDay string    `json:"pickup_day"`
	Channel   string    `json:"channel"`
	Status    string    `json:"status"` // held | picked_up | cancelled | expired
	CreatedAt time.Time `json:"created_at"`
	SettledAt time.Time `json:"settled_at,omitzero"`
}

// NewOrder is the input to Place.
type NewOrder struct {
	MarketID string `json:"market_id"`
	ItemID   string `json:"item_id"`
	Qty      int64  `json:"qty"`
	Key      string `json:"idempotency_key"` // a retry with the same key returns the first order
	// BuyerUserID is set by a keeper selling at the counter, with the code
	// the buyer shows from their wallet page (their consent); online the
	// buyer is the actor.
	BuyerUserID string `json:"buyer_user_id"`
	BuyerCode   string `json:"buyer_code"`
}

const orderCols = `o.id, o.market_id, m.name, o.item_id, i.name, o.qty, o.amount, o.user_id, COALESCE(u.display_name, ''), o.wallet_id, o.hold_id, o.pickup_day, o.channel, o.status, o.created_at, o.settled_at`

const orderFrom = ` FROM market_orders o JOIN markets m ON m.id = o.market_id JOIN market_items i ON i.id = o.item_id LEFT JOIN users u ON u.id = o.user_id`

func scanOrder(r interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var at, st string
	if err := r.Scan(&o.ID, &o.MarketID, &o.Market, &o.ItemID, &o.Item, &o.Qty, &o.Amount, &o.UserID, &o.Buyer, &o.WalletID, &o.HoldID, &o.PickupDay, &o.Channel, &o.Status, &at, &st); err != nil {
		return o, err
	}
	o.CreatedAt, _ = store.ParseTime(at)
	o.SettledAt, _ = store.ParseTime(st)
	return o, nil
}

func getOrder(ctx context.Context, tx *store.Tx, id string) (Order, error) {
	return scanOrder(tx.QueryRow(ctx, `SELECT `+orderCols+orderFrom+` WHERE o.id = ?`, id))
}

// Place orders an item: online by the buyer for the next redemption day,
// or at the counter by a keeper for a buyer, then handed over at once.
func (s *Service) Place(ctx context.Context, actor auth.Actor, n NewOrder) (Order, error) {
	n.Key = strings.TrimSpace(n.Key)
	switch {
	case n.Qty <= 0 || n.Qty > 100:
		return Order{}, errs.Field("qty", "err.range", 1, 100)
	case n.Key == "":
		return Order{}, errs.Field("idempotency_key", "err.required")
	case len(n.Key) > 100:
		return Order{}, errs.Field("idempotency_key", "err.too_long", 100)
	case actor.UserID == "" || actor.UserID == "system":
		return Order{}, errs.New(errs.Unauthorized, "err.unauthorized")
	}
	counter := n.BuyerUserID != "" && n.BuyerUserID != actor.UserID
	buyer := actor.UserID
	if counter {
		buyer = n.BuyerUserID
		if !s.counterCodeValid(buyer, n.BuyerCode, time.Now()) {
			return Order{}, errs.Field("buyer_code", "err.market.buyer_code")
		}
	}
	var o Order
	err := ledger.Retry(ctx, s.db, func(tx *store.Tx) error {
		key := "order:" + buyer + ":" + n.Key
		if old, err := scanOrder(tx.QueryRow(ctx, `SELECT `+orderCols+orderFrom+` JOIN ledger_holds h ON h.id = o.hold_id WHERE h.idem_key = ?`, key)); err == nil {
			if old.MarketID != n.MarketID || old.ItemID != n.ItemID || old.Qty != n.Qty {
				return &errs.Error{Code: errs.Conflict, Field: "idempotency_key", Key: "err.ledger.key_reused"}
			}
			o = old
			return nil
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		m, err := s.market(ctx, tx, n.MarketID)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("market_id", "err.not_found")
		} else if err != nil {
			return err
		}
		if counter {
			if err := keeps(actor, m); err != nil {
				return err
			}
		}
		var it Item
		var active int
		err = tx.QueryRow(ctx, `SELECT id, name, price, active FROM market_items WHERE id = ? AND market_id = ?`, n.ItemID, m.ID).Scan(&it.ID, &it.Name, &it.Price, &active)
		if errs.Is(err, errs.NotFound) || active == 0 {
			return errs.Field("item_id", "err.not_found")
		} else if err != nil {
			return err
		}
		// The pickup day: today at the counter; otherwise the next
		// redemption day that has not closed yet.
		now := tx.Now()
		var day Day
		if counter {
			day = Day{Day: now.In(beijing).Format("2006-01-02"), Opens: "00:00", Closes: "23:59"}
		} else {
			// The first redemption day that has not closed yet (today's
			// may be over while later ones are open).
			rows, err := tx.Query(ctx, `SELECT day, opens, closes FROM market_days WHERE market_id = ? AND day >= ? ORDER BY day LIMIT 3`, m.ID, now.In(beijing).Format("2006-01-02"))
			if err != nil {
				return err
			}
			found := false
			for rows.Next() && !found {
				if err := rows.Scan(&day.Day, &day.Opens, &day.Closes); err != nil {
					rows.Close()
					return err
				}
				found = day.End().After(now)
			}
			rows.Close()
			if !found {
				return errs.New(errs.Conflict, "err.market.no_day")
			}
		}
		res, err := tx.Exec(ctx, `UPDATE market_items SET stock = stock - ? WHERE id = ? AND stock >= ?`, n.Qty, it.ID, n.Qty)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return &errs.Error{Code: errs.Conflict, Field: "qty", Key: "err.market.out_of_stock"}
		}
		var uRegion, uPath, uName string
		if err := tx.QueryRow(ctx, `SELECT region_code, region_path, display_name FROM users WHERE id = ?`, buyer).Scan(&uRegion, &uPath, &uName); errs.Is(err, errs.NotFound) {
			return errs.Field("buyer_user_id", "err.not_found")
		} else if err != nil {
			return err
		}
		wallet, err := ledger.EnsureAccount(ctx, tx, ledger.Wallet, buyer, uRegion, uPath, uName)
		if err != nil {
			return err
		}
		id := ulid.Make().String()
		h, err := ledger.PlaceHold(ctx, tx, ledger.NewHold{Key: key, Account: wallet, Credit: m.AccountID, Amount: it.Price * n.Qty,
			Reason: ledger.ReasonRedeem, SourceType: "order", SourceID: id, ExpiresAt: day.End()})
		if err != nil {
			return err
		}
		channel := "online"
		if counter {
			channel = "counter"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO market_orders (id, market_id, item_id, qty, amount, user_id, wallet_id, hold_id, pickup_day, channel, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?)`, id, m.ID, it.ID, n.Qty, h.Amount, buyer, wallet, h.ID, day.Day, channel, tx.NowText()); err != nil {
			return err
		}
		if counter {
			if err := settle(ctx, tx, id, "picked_up", actor.UserID); err != nil {
				return err
			}
		}
		o, err = getOrder(ctx, tx, id)
		return err
	})
	return o, err
}

// settle ends a held order: picked up (the hold is posted to the store),
// cancelled or expired (the hold is released and the stock returned).
func settle(ctx context.Context, tx *store.Tx, id, to, by string) error {
	o, err := getOrder(ctx, tx, id)
	if err != nil {
		return err
	}
	if o.Status == to {
		return nil
	}
	if o.Status != "held" {
		return errs.New(errs.Conflict, "err.market.settled", errs.Key("order."+o.Status))
	}
	res, err := tx.Exec(ctx, `UPDATE market_orders SET status = ?, settled_at = ?, settled_by = ? WHERE id = ? AND status = 'held'`, to, tx.NowText(), by, id)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return errs.New(errs.Conflict, "err.conflict")
	}
	hs := ledger.HoldPosted
	switch to {
	case "cancelled":
		hs = ledger.HoldVoided
	case "expired":
		hs = ledger.HoldExpired
	}
	if _, err := ledger.SettleHold(ctx, tx, o.HoldID, hs, by); err != nil {
		return err
	}
	if to != "picked_up" {
		_, err = tx.Exec(ctx, `UPDATE market_items SET stock = stock + ? WHERE id = ?`, o.Qty, o.ItemID)
	}
	return err
}

// Pickup is the keeper handing the goods over: the held points move to the
// store.
func (s *Service) Pickup(ctx context.Context, actor auth.Actor, orderID string) (Order, error) {
	return s.finish(ctx, actor, orderID, "picked_up")
}

// Cancel releases an order's points and stock (the buyer before pickup, or
// a keeper for a no-show).
func (s *Service) Cancel(ctx context.Context, actor auth.Actor, orderID string) (Order, error) {
	return s.finish(ctx, actor, orderID, "cancelled")
}

func (s *Service) finish(ctx context.Context, actor auth.Actor, orderID, to string) (Order, error) {
	var o Order
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		if o, err = getOrder(ctx, tx, orderID); err != nil {
			return err
		}
		m, err := s.market(ctx, tx, o.MarketID)
		if err != nil {
			return err
		}
		own := o.UserID == actor.UserID && actor.UserID != ""
		if !(to == "cancelled" && own) {
			if err := keeps(actor, m); err != nil {
				return err
			}
		}
		if err := settle(ctx, tx, orderID, to, actor.UserID); err != nil {
			return err
		}
		o, err = getOrder(ctx, tx, orderID)
		return err
	})
	return o, err
}

// Orders lists a market's orders for its keepers (status "" = all).
func (s *Service) Orders(ctx context.Context, actor auth.Actor, marketID, status string) ([]Order, error) {
	var out []Order
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		m, err := s.market(ctx, tx, marketID)
		if err != nil {
			return err
		}
		if err := keeps(actor, m); err != nil {
			return err
		}
		found, err := store.All(ctx, tx, scanOrder, `SELECT `+orderCols+orderFrom+` WHERE o.market_id = ? AND (? = '' OR o.status = ?) ORDER BY o.pickup_day, o.created_at LIMIT 500`, marketID, status, status)
		out = found
		return err
	})
	return out, err
}

// MyOrders lists the actor's orders, newest first.
func (s *Service) MyOrders(ctx context.Context, actor auth.Actor) ([]Order, error) {
	var out []Order
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, scanOrder, `SELECT `+orderCols+orderFrom+` WHERE o.user_id = ? ORDER BY o.created_at DESC LIMIT 200`, actor.UserID)
		out = found
		return err
	})
	return out, err
}

// ExpireDue expires orders not collected by the end of their redemption
// day, returning points and stock; the scheduler calls it.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id FROM market_orders o JOIN ledger_holds h ON h.id = o.hold_id WHERE o.status = 'held' AND h.expires_at < ? ORDER BY h.expires_at LIMIT 500`, tx.NowText())
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := settle(ctx, tx, id, "expired", "system"); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
