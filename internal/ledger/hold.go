package ledger

import (
	"context"
	"strings"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// HoldStatus is where a hold stands.
type HoldStatus string

const (
	HoldPending HoldStatus = "pending"
	HoldPosted  HoldStatus = "posted"
	HoldVoided  HoldStatus = "voided"
	HoldExpired HoldStatus = "expired"
)

// Hold reserves points of an account for a later transfer to Credit.
type Hold struct {
	ID         string     `json:"id"`
	Key        string     `json:"-"`
	Account    string     `json:"account"`
	Credit     string     `json:"credit"`
	Amount     int64      `json:"amount"`
	Reason     Reason     `json:"reason"`
	SourceType string     `json:"source_type,omitempty"`
	SourceID   string     `json:"source_id,omitempty"`
	Status     HoldStatus `json:"status"`
	ExpiresAt  time.Time  `json:"expires_at"`
	TransferID string     `json:"transfer_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// NewHold is the input to PlaceHold.
type NewHold struct {
	Key        string
	Account    string
	Credit     string
	Amount     int64
	Reason     Reason
	SourceType string
	SourceID   string
	ExpiresAt  time.Time
}

const holdCols = `id, idem_key, account_id, credit_id, amount, reason, source_type, source_id, status, expires_at, COALESCE(transfer_id, ''), created_at`

func scanHold(r interface{ Scan(...any) error }) (Hold, error) {
	var h Hold
	var exp, at string
	if err := r.Scan(&h.ID, &h.Key, &h.Account, &h.Credit, &h.Amount, &h.Reason, &h.SourceType, &h.SourceID, &h.Status, &exp, &h.TransferID, &at); err != nil {
		return h, err
	}
	h.ExpiresAt, _ = store.ParseTime(exp)
	h.CreatedAt, _ = store.ParseTime(at)
	return h, nil
}

// GetHold reads one hold.
func GetHold(ctx context.Context, tx *store.Tx, id string) (Hold, error) {
	return scanHold(tx.QueryRow(ctx, `SELECT `+holdCols+` FROM ledger_holds WHERE id = ?`, id))
}

// PlaceHold reserves points inside tx. The same key returns the first hold.
func PlaceHold(ctx context.Context, tx *store.Tx, n NewHold) (Hold, error) {
	n.Key = strings.TrimSpace(n.Key)
	switch {
	case n.Key == "":
		return Hold{}, errs.Field("idempotency_key", "err.required")
	case n.Amount <= 0 || n.Amount > MaxAmount:
		return Hold{}, errs.Field("amount", "err.ledger.amount", MaxAmount)
	case n.Account == n.Credit:
		return Hold{}, errs.Field("credit", "err.ledger.same_account")
	case !n.Reason.Valid():
		return Hold{}, errs.Field("reason", "err.invalid")
	}
	if h, err := scanHold(tx.QueryRow(ctx, `SELECT `+holdCols+` FROM ledger_holds WHERE idem_key = ?`, n.Key)); err == nil {
		if h.Account != n.Account || h.Credit != n.Credit || h.Amount != n.Amount {
			return Hold{}, &errs.Error{Code: errs.Conflict, Field: "idempotency_key", Key: "err.ledger.key_reused"}
		}
		return h, nil
	} else if !errs.Is(err, errs.NotFound) {
		return Hold{}, err
	}
	res, err := tx.Exec(ctx, `UPDATE ledger_accounts SET held = held + ? WHERE id = ? AND kind = 'wallet' AND balance - held >= ?`, n.Amount, n.Account, n.Amount)
	if err != nil {
		return Hold{}, err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		var avail int64
		if err := tx.QueryRow(ctx, `SELECT balance - held FROM ledger_accounts WHERE id = ? AND kind = 'wallet'`, n.Account).Scan(&avail); errs.Is(err, errs.NotFound) {
			return Hold{}, errs.Field("account", "err.not_found")
		} else if err != nil {
			return Hold{}, err
		}
		return Hold{}, &errs.Error{Code: errs.Conflict, Field: "amount", Key: "err.ledger.insufficient", Args: []any{avail, n.Amount}}
	}
	h := Hold{ID: ulid.Make().String(), Key: n.Key, Account: n.Account, Credit: n.Credit, Amount: n.Amount, Reason: n.Reason,
		SourceType: n.SourceType, SourceID: n.SourceID, Status: HoldPending, ExpiresAt: n.ExpiresAt.UTC(), CreatedAt: tx.Now()}
	_, err = tx.Exec(ctx, `INSERT INTO ledger_holds (id, idem_key, account_id, credit_id, amount, reason, source_type, source_id, status, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
		h.ID, h.Key, h.Account, h.Credit, h.Amount, string(h.Reason), h.SourceType, h.SourceID, store.FormatTime(h.ExpiresAt), tx.NowText())
	if errs.Is(err, errs.Conflict) {
		return Hold{}, ErrKeyRace
	}
	return h, err
}

// SettleHold ends a pending hold: posted (the points move to the hold's
// credit account as one transfer) or voided/expired (they are released).
// Settling a hold already in the asked state is a no-op.
func SettleHold(ctx context.Context, tx *store.Tx, id string, to HoldStatus, by string) (Hold, error) {
	h, err := scanHold(tx.QueryRow(ctx, `SELECT `+holdCols+` FROM ledger_holds WHERE id = ?`+tx.Dialect().ForUpdate(), id))
	if err != nil {
		return Hold{}, err
	}
	if h.Status == to {
		return h, nil
	}
	if h.Status != HoldPending {
		return Hold{}, errs.New(errs.Conflict, "err.ledger.hold_settled", errs.Key("hold."+string(h.Status)))
	}
	if to == HoldPending {
		return Hold{}, errs.Field("status", "err.invalid")
	}
	res, err := tx.Exec(ctx, `UPDATE ledger_holds SET status = ?, settled_at = ? WHERE id = ? AND status = 'pending'`, string(to), tx.NowText(), id)
	if err != nil {
		return Hold{}, err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return Hold{}, errs.New(errs.Conflict, "err.conflict")
	}
	if _, err := tx.Exec(ctx, `UPDATE ledger_accounts SET held = held - ? WHERE id = ?`, h.Amount, h.Account); err != nil {
		return Hold{}, err
	}
	h.Status = to
	if to != HoldPosted {
		return h, nil
	}
	t, _, err := Post(ctx, tx, NewTransfer{Key: "hold:" + h.ID, Debit: h.Account, Credit: h.Credit, Amount: h.Amount,
		Reason: h.Reason, SourceType: h.SourceType, SourceID: h.SourceID}, by)
	if err != nil {
		return Hold{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE ledger_holds SET transfer_id = ? WHERE id = ?`, t.ID, id); err != nil {
		return Hold{}, err
	}
	h.TransferID = t.ID
	return h, nil
}

// PendingHolds lists an account's pending holds, soonest expiry first.
func PendingHolds(ctx context.Context, tx *store.Tx, account string) ([]Hold, error) {
	return store.All(ctx, tx, scanHold, `SELECT `+holdCols+` FROM ledger_holds WHERE account_id = ? AND status = 'pending' ORDER BY expires_at, id`, account)
}
