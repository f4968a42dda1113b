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

// expirable is how much of a wallet's points earned before cutoff are
// still unspent: credits before the cutoff, less everything that ever left
// the wallet or is held, never more than what is available.
func expirable(ctx context.Context, tx *store.Tx, wallet string, cutoff time.Time) (int64, error) {
	var earned, spent, held, balance int64
	err := tx.QueryRow(ctx, `SELECT
		(SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE credit_id = a.id AND created_at < ?),
		(SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE debit_id = a.id),
		a.held, a.balance
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
	var one int
	if err := tx.QueryRow(ctx, "SELECT 1 FROM ledger_accounts WHERE id = ?"+tx.Dialect().ForUpdate(), wallet).Scan(&one); err != nil {
		return 0, err
	}
	n, err := expirable(ctx, tx, wallet, cutoff)
	if err != nil || n == 0 {
		return 0, err
	}
	w, err := GetAccount(ctx, tx, wallet)
	if err != nil {
		return 0, err
	}
	sink, err := EnsureAccount(ctx, tx, Expiry, w.RegionCode, w.RegionCode, w.RegionPath, "")
	if err != nil {
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
		ids, err = store.All(ctx, tx, func(r interface{ Scan(...any) error }) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT a.id FROM ledger_accounts a WHERE a.kind = 'wallet' AND a.balance - a.held > 0
			AND (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE credit_id = a.id AND created_at < ?)
			  > (SELECT COALESCE(SUM(amount), 0) FROM ledger_transfers WHERE debit_id = a.id) + a.held`, store.FormatTime(cutoff))
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
