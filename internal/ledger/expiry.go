package ledger

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"civicgrid/internal/store"
)

// Points expire, when the city sets a validity (serve --points-valid), so
// many months after they were earned, oldest first: spending, holds for
// orders and earlier expiries use up the oldest points before newer ones.
// What is still unspent of the points earned before the cutoff moves from
// the wallet to its region's expiry account, as an ordinary transfer, so
// the ledger still balances and `ledger verify` checks it like any other.
// Points held for an order never expire under it.

// counted leaves out of the expiry sums a transfer that was reversed and
// the reversal itself: the pair cancels, so a mistaken award taken back in
// July does not use up January's points. An expiry that was reversed is
// the exception: the points it gives back start a new validity.
const counted = ` AND NOT (t.reverses IS NOT NULL AND (SELECT o.reason FROM ledger_transfers o WHERE o.id = t.reverses) <> 'expiry')
	AND NOT (t.reason <> 'expiry' AND EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id))`

// earnedSQL and spentSQL sum what came into a wallet before a cutoff and
// what ever left it (a.id is the wallet).
const (
	earnedSQL = `(SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t WHERE t.credit_id = a.id AND t.created_at < ?` + counted + `)`
	spentSQL  = `(SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfers t WHERE t.debit_id = a.id` + counted + `)`
)

// expirable is how much of a wallet's points earned before cutoff are
// still unspent: credits before the cutoff, less everything that ever left
// the wallet or is held, never more than what is available.
func expirable(ctx context.Context, tx *store.Tx, wallet string, cutoff time.Time) (int64, error) {
	var earned, spent, held, balance int64
	err := tx.QueryRow(ctx, `SELECT `+earnedSQL+`, `+spentSQL+`, a.held, a.balance
		FROM ledger_accounts a WHERE a.id = ?`, store.FormatTime(cutoff), wallet).Scan(&earned, &spent, &held, &balance)
	if err != nil {
		return 0, err
	}
	return max(0, min(earned-spent-held, balance-held)), nil
}

// ExpireWallet moves a wallet's points earned before cutoff and still
// unspent to its region's expiry account. The wallet row is locked first
// (on PostgreSQL; SQLite has one writer), so two servers running the job
// cannot both count the same points: the second finds them gone.
func ExpireWallet(ctx context.Context, tx *store.Tx, wallet string, cutoff time.Time) (int64, error) {
	w, err := GetAccount(ctx, tx, wallet)
	if err != nil {
		return 0, err
	}
	sink, err := EnsureAccount(ctx, tx, Expiry, w.RegionCode, w.RegionCode, w.RegionPath, "")
	if err != nil {
		return 0, err
	}
	// Both rows, in id order as Post takes them, so that no transfer
	// between the two can deadlock with this one on PostgreSQL.
	if _, err := store.All(ctx, tx, store.String, "SELECT id FROM ledger_accounts WHERE id IN (?, ?) ORDER BY id"+tx.Dialect().ForUpdate(), wallet, sink); err != nil {
		return 0, err
	}
	n, err := expirable(ctx, tx, wallet, cutoff)
	if err != nil || n == 0 {
		return 0, err
	}
	at := store.FormatTime(cutoff)
	_, replay, err := Post(ctx, tx, NewTransfer{Key: fmt.Sprintf("expire:%s:%s", wallet, at), Debit: wallet, Credit: sink, Amount: n, Reason: ReasonExpiry,
		Memo: "earned before " + cutoff.In(beijing).Format("2006-01-02 15:04")}, "system")
	if err != nil || replay {
		return 0, err
	}
	return n, nil
}

// ExpiringBy is how many of a wallet's points expire by the time the
// cutoff reaches before (for the wallet page: "N points expire within 30
// days").
func (s *Service) ExpiringBy(ctx context.Context, wallet string, before time.Time) (int64, error) {
	var n int64
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		n, err = expirable(ctx, tx, wallet, before)
		return err
	})
	return n, err
}

// ExpireDue expires what is due in every wallet for points earned before
// cutoff, a wallet per transaction, and says how many wallets lost how many
// points.
func (s *Service) ExpireDue(ctx context.Context, cutoff time.Time) (wallets int, points int64, err error) {
	var ids []string
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = store.All(ctx, tx, store.String, `SELECT a.id FROM ledger_accounts a WHERE a.kind = 'wallet' AND a.balance - a.held > 0
			AND `+earnedSQL+` > `+spentSQL+` + a.held`, store.FormatTime(cutoff))
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	// One wallet that fails does not keep the others' points from expiring.
	var firstErr error
	for _, id := range ids {
		var n int64
		err := Retry(ctx, s.db, func(tx *store.Tx) error {
			var err error
			n, err = ExpireWallet(ctx, tx, id, cutoff)
			return err
		})
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		if n > 0 {
			wallets++
			points += n
		}
	}
	return wallets, points, firstErr
}

// Cutoff is the instant before which points earned are expired at now,
// when they stay valid for months: the same day of the month so many months
// back, or that month's last day when it is shorter (on 31 May with three
// months, 28 or 29 February, not 3 March).
func Cutoff(now time.Time, months int) time.Time {
	now = now.In(beijing)
	first := time.Date(now.Year(), now.Month(), 1, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), beijing).AddDate(0, -months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(now.Day(), last)-1)
}
