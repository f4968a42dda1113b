// Package ledger owns the points economy's books: accounts, immutable
// double-entry transfers with idempotency keys derived from their source,
// holds for orders awaiting pickup, earning rules, and the verification that
// recomputes every balance from the transfers.
//
// The rules that make a point impossible to lose or invent:
//   - a transfer moves a positive integer amount from one account to
//     another; it is never updated or deleted (the database refuses);
//   - a transfer's idempotency key is unique: the same key with the same
//     content returns the original, with different content is refused;
//   - only issuer accounts may go below zero; a wallet's balance minus its
//     holds never does (a conditional update, so two spends racing for the
//     last points cannot both succeed);
//   - stored balances change only in the transaction that inserts the
//     transfer, so Verify can recompute them exactly.
package ledger

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"

	"github.com/oklog/ulid/v2"
)

// Kind is an account's kind.
type Kind string

const (
	Issuer Kind = "issuer" // issues points for a region; may go negative
	Wallet Kind = "wallet" // a person's points
	Store  Kind = "store"  // a points supermarket
	Expiry Kind = "expiry" // receives expired points
)

// Reason says why points moved.
type Reason string

const (
	ReasonHours    Reason = "hours"    // approved volunteer hours
	ReasonCase     Reason = "case"     // an accepted case report
	ReasonMeeting  Reason = "meeting"  // taking part in a meeting
	ReasonSurvey   Reason = "survey"   // answering a survey
	ReasonAward    Reason = "award"    // a manual award by an official
	ReasonRedeem   Reason = "redeem"   // goods or a service from a supermarket
	ReasonGift     Reason = "gift"     // a person giving their own points
	ReasonReversal Reason = "reversal" // correcting a mistaken transfer
	ReasonExpiry   Reason = "expiry"   // points that expired
)

var reasons = map[Reason]bool{ReasonHours: true, ReasonCase: true, ReasonMeeting: true, ReasonSurvey: true,
	ReasonAward: true, ReasonRedeem: true, ReasonGift: true, ReasonReversal: true, ReasonExpiry: true}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool { return reasons[r] }

// Account is one account with its stored balance.
type Account struct {
	ID         string    `json:"id"`
	Kind       Kind      `json:"kind"`
	OwnerID    string    `json:"owner_id"`
	RegionCode string    `json:"region_code"`
	RegionPath string    `json:"-"`
	Name       string    `json:"name"`
	Balance    int64     `json:"balance"`
	Held       int64     `json:"held"`
	Available  int64     `json:"available"`
	CreatedAt  time.Time `json:"created_at"`
}

// Transfer is one posted movement of points.
type Transfer struct {
	ID         string    `json:"id"`
	Key        string    `json:"idempotency_key"`
	Debit      string    `json:"debit"`
	Credit     string    `json:"credit"`
	Amount     int64     `json:"amount"`
	Reason     Reason    `json:"reason"`
	SourceType string    `json:"source_type,omitempty"`
	SourceID   string    `json:"source_id,omitempty"`
	Reverses   string    `json:"reverses,omitempty"`
	Memo       string    `json:"memo,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewTransfer is the input to Post.
type NewTransfer struct {
	Key        string `json:"idempotency_key"`
	Debit      string `json:"debit"`
	Credit     string `json:"credit"`
	Amount     int64  `json:"amount"`
	Reason     Reason `json:"reason"`
	SourceType string `json:"source_type"`
	SourceID   string `json:"source_id"`
	Reverses   string `json:"reverses"`
	Memo       string `json:"memo"`
}

// MaxAmount bounds one transfer; no honest movement of points comes near it.
const MaxAmount = 1_000_000_000

// Validate checks the input's shape (not balances).
func (n *NewTransfer) Validate() error {
	n.Key = strings.TrimSpace(n.Key)
	n.Memo = strings.TrimSpace(n.Memo)
	switch {
	case n.Key == "":
		return errs.Field("idempotency_key", "err.required")
	case len(n.Key) > 200:
		return errs.Field("idempotency_key", "err.too_long", 200)
	case n.Debit == "":
		return errs.Field("debit", "err.required")
	case n.Credit == "":
		return errs.Field("credit", "err.required")
	case n.Debit == n.Credit:
		return errs.Field("credit", "err.ledger.same_account")
	case n.Amount <= 0 || n.Amount > MaxAmount:
		return errs.Field("amount", "err.ledger.amount", MaxAmount)
	case !n.Reason.Valid():
		return errs.Field("reason", "err.invalid")
	case len(n.SourceType) > 40 || len(n.SourceID) > 100:
		return errs.Field("source_id", "err.too_long", 100)
	case utf8.RuneCountInString(n.Memo) > 200:
		return errs.Field("memo", "err.too_long", 200)
	case n.Reason == ReasonReversal && n.Reverses == "":
		return errs.Field("reverses", "err.required")
	case n.Reason != ReasonReversal && n.Reverses != "":
		return errs.Field("reverses", "err.ledger.reverses_reason")
	}
	return nil
}

// same reports whether an existing transfer has the content of n.
func (t Transfer) same(n NewTransfer) bool {
	return t.Debit == n.Debit && t.Credit == n.Credit && t.Amount == n.Amount && t.Reason == n.Reason &&
		t.SourceType == n.SourceType && t.SourceID == n.SourceID && t.Reverses == n.Reverses
}

// ErrKeyRace marks an insert that lost a race for its idempotency key to a
// concurrent transaction (PostgreSQL); the caller retries the whole
// transaction, which then finds the winner and replays it.
var ErrKeyRace = errors.New("ledger: idempotency key taken concurrently")

const transferCols = `id, idem_key, debit_id, credit_id, amount, reason, source_type, source_id, COALESCE(reverses, ''), memo, created_by, created_at`

func scanTransfer(r interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var at string
	err := r.Scan(&t.ID, &t.Key, &t.Debit, &t.Credit, &t.Amount, &t.Reason, &t.SourceType, &t.SourceID, &t.Reverses, &t.Memo, &t.CreatedBy, &at)
	if err != nil {
		return t, err
	}
	t.CreatedAt, err = store.ParseTime(at)
	return t, err
}

// Post records a transfer inside tx, moving the balances with it. replay is
// true when the key was already used with the same content: nothing moved
// and the original is returned.
func Post(ctx context.Context, tx *store.Tx, n NewTransfer, by string) (t Transfer, replay bool, err error) {
	if err := n.Validate(); err != nil {
		return Transfer{}, false, err
	}
	if old, err := scanTransfer(tx.QueryRow(ctx, `SELECT `+transferCols+` FROM ledger_transfers WHERE idem_key = ?`, n.Key)); err == nil {
		if !old.same(n) {
			return Transfer{}, false, &errs.Error{Code: errs.Conflict, Field: "idempotency_key", Key: "err.ledger.key_reused"}
		}
		return old, true, nil
	} else if !errs.Is(err, errs.NotFound) {
		return Transfer{}, false, err
	}
	if n.Reverses != "" {
		orig, err := scanTransfer(tx.QueryRow(ctx, `SELECT `+transferCols+` FROM ledger_transfers WHERE id = ?`, n.Reverses))
		if errs.Is(err, errs.NotFound) {
			return Transfer{}, false, errs.Field("reverses", "err.not_found")
		} else if err != nil {
			return Transfer{}, false, err
		}
		if orig.Reason == ReasonReversal || orig.Debit != n.Credit || orig.Credit != n.Debit || orig.Amount != n.Amount {
			return Transfer{}, false, errs.Field("reverses", "err.ledger.not_mirror")
		}
	}
	// Touch the two rows in id order so that concurrent transfers between
	// the same pair cannot deadlock on PostgreSQL.
	if n.Debit < n.Credit {
		err = debit(ctx, tx, n.Debit, n.Amount)
		if err == nil {
			err = credit(ctx, tx, n.Credit, n.Amount)
		}
	} else {
		err = credit(ctx, tx, n.Credit, n.Amount)
		if err == nil {
			err = debit(ctx, tx, n.Debit, n.Amount)
		}
	}
	if err != nil {
		return Transfer{}, false, err
	}
	t = Transfer{ID: ulid.Make().String(), Key: n.Key, Debit: n.Debit, Credit: n.Credit, Amount: n.Amount, Reason: n.Reason,
		SourceType: n.SourceType, SourceID: n.SourceID, Reverses: n.Reverses, Memo: n.Memo, CreatedBy: by, CreatedAt: tx.Now()}
	var rev any
	if n.Reverses != "" {
		rev = n.Reverses
	}
	_, err = tx.Exec(ctx, `INSERT INTO ledger_transfers (id, idem_key, debit_id, credit_id, amount, reason, source_type, source_id, reverses, memo, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Key, t.Debit, t.Credit, t.Amount, string(t.Reason), t.SourceType, t.SourceID, rev, t.Memo, by, tx.NowText())
	if errs.Is(err, errs.Conflict) {
		if n.Reverses != "" {
			var k string
			if tx.QueryRow(ctx, `SELECT idem_key FROM ledger_transfers WHERE reverses = ?`, n.Reverses).Scan(&k) == nil && k != n.Key {
				return Transfer{}, false, errs.Field("reverses", "err.ledger.already_reversed")
			}
		}
		return Transfer{}, false, ErrKeyRace
	}
	if err != nil {
		return Transfer{}, false, err
	}
	return t, false, nil
}

func debit(ctx context.Context, tx *store.Tx, id string, amount int64) error {
	res, err := tx.Exec(ctx, `UPDATE ledger_accounts SET balance = balance - ? WHERE id = ? AND (kind = 'issuer' OR balance - held >= ?)`, amount, id, amount)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var avail int64
	if err := tx.QueryRow(ctx, `SELECT balance - held FROM ledger_accounts WHERE id = ?`, id).Scan(&avail); errs.Is(err, errs.NotFound) {
		return errs.Field("debit", "err.not_found")
	} else if err != nil {
		return err
	}
	return &errs.Error{Code: errs.Conflict, Field: "amount", Key: "err.ledger.insufficient", Args: []any{avail, amount}}
}

func credit(ctx context.Context, tx *store.Tx, id string, amount int64) error {
	res, err := tx.Exec(ctx, `UPDATE ledger_accounts SET balance = balance + ? WHERE id = ?`, amount, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Field("credit", "err.not_found")
	}
	return nil
}

// EnsureAccount returns the id of the account of kind for owner, creating it
// in the given region if it does not exist yet.
func EnsureAccount(ctx context.Context, tx *store.Tx, kind Kind, owner, regionCode, regionPath, name string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT id FROM ledger_accounts WHERE kind = ? AND owner_id = ?`, string(kind), owner).Scan(&id)
	if err == nil {
		return id, nil
	} else if !errs.Is(err, errs.NotFound) {
		return "", err
	}
	id = ulid.Make().String()
	if _, err := tx.Exec(ctx, `INSERT INTO ledger_accounts (id, kind, owner_id, region_code, region_path, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, owner_id) DO NOTHING`, id, string(kind), owner, regionCode, regionPath, name, tx.NowText()); err != nil {
		return "", err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM ledger_accounts WHERE kind = ? AND owner_id = ?`, string(kind), owner).Scan(&id)
	return id, err
}

const accountCols = `id, kind, owner_id, region_code, region_path, name, balance, held, created_at`

func scanAccount(r interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var at string
	if err := r.Scan(&a.ID, &a.Kind, &a.OwnerID, &a.RegionCode, &a.RegionPath, &a.Name, &a.Balance, &a.Held, &at); err != nil {
		return a, err
	}
	a.Available = a.Balance - a.Held
	var err error
	a.CreatedAt, err = store.ParseTime(at)
	return a, err
}

// GetAccount reads one account.
func GetAccount(ctx context.Context, tx *store.Tx, id string) (Account, error) {
	return scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE id = ?`, id))
}

// FindAccount reads the account of kind for owner.
func FindAccount(ctx context.Context, tx *store.Tx, kind Kind, owner string) (Account, error) {
	return scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM ledger_accounts WHERE kind = ? AND owner_id = ?`, string(kind), owner))
}

// GetTransfer reads one transfer.
func GetTransfer(ctx context.Context, tx *store.Tx, id string) (Transfer, error) {
	return scanTransfer(tx.QueryRow(ctx, `SELECT `+transferCols+` FROM ledger_transfers WHERE id = ?`, id))
}
