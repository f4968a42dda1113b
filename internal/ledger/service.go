package ledger

import (
	"context"
	"errors"
	"strings"

	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Service is the ledger as people use it: wallets, statements, manual
// awards and gifts, reversals and rules, each checked against the actor.
type Service struct {
	db *store.DB
}

// NewService wires the ledger.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// Retry runs fn in a write transaction, once more if it lost a race for an
// idempotency key (the second run finds the winner and replays it).
func Retry(ctx context.Context, db *store.DB, fn func(*store.Tx) error) error {
	err := db.Write(ctx, fn)
	if errors.Is(err, ErrKeyRace) {
		err = db.Write(ctx, fn)
	}
	if errors.Is(err, ErrKeyRace) {
		err = errs.New(errs.Conflict, "err.conflict")
	}
	return err
}

// canRead reports whether actor may see account a.
func canRead(actor auth.Actor, a Account) error {
	if a.Kind == Wallet && a.OwnerID == actor.UserID && actor.UserID != "" {
		return nil
	}
	if actor.Authorize(auth.PointsManage, a.RegionPath) == nil || actor.Authorize(auth.PointsRead, a.RegionPath) == nil {
		return nil
	}
	if a.Kind == Store && actor.Authorize(auth.MarketManage, a.RegionPath) == nil {
		return nil
	}
	return actor.Authorize(auth.PointsManage, a.RegionPath)
}

// MyWallet returns the actor's wallet (opening it at their region on first
// use) with its pending holds.
func (s *Service) MyWallet(ctx context.Context, actor auth.Actor) (Account, []Hold, error) {
	if actor.UserID == "" || actor.UserID == "system" {
		return Account{}, nil, errs.New(errs.Unauthorized, "err.unauthorized")
	}
	var a Account
	var holds []Hold
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, err := EnsureAccount(ctx, tx, Wallet, actor.UserID, actor.RegionCode, actor.RegionPath, actor.Username)
		if err != nil {
			return err
		}
		if a, err = GetAccount(ctx, tx, id); err != nil {
			return err
		}
		holds, err = PendingHolds(ctx, tx, id)
		return err
	})
	return a, holds, err
}

// Account returns one account if the actor may see it.
func (s *Service) Account(ctx context.Context, actor auth.Actor, id string) (Account, []Hold, error) {
	var a Account
	var holds []Hold
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = GetAccount(ctx, tx, id); err != nil {
			return err
		}
		if err := canRead(actor, a); err != nil {
			return err
		}
		holds, err = PendingHolds(ctx, tx, id)
		return err
	})
	return a, holds, err
}

// Movement is a transfer as seen from one account.
type Movement struct {
	Transfer
	Delta        int64  `json:"delta"` // + in, − out
	Counterparty string `json:"counterparty"`
	CounterKind  Kind   `json:"counterparty_kind"`
	CounterArea  string `json:"counterparty_region"`
}

// Movements lists the transfers touching an account, newest first; before
// is the id of the last movement of the previous page.
func (s *Service) Movements(ctx context.Context, actor auth.Actor, id, before string, limit int) ([]Movement, string, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var out []Movement
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		a, err := GetAccount(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := canRead(actor, a); err != nil {
			return err
		}
		// Two index range scans merged by id (ULIDs sort by time). The
		// first page has no bound: a sentinel such as '~' would sort
		// before letters under PostgreSQL's non-C collations.
		bound, args := "", []any{id, id, id}
		if before != "" {
			bound, args = " AND id < ?", []any{id, id, before, id, before}
		}
		q := `SELECT t.id, t.idem_key, t.debit_id, t.credit_id, t.amount, t.reason, t.source_type, t.source_id, COALESCE(t.reverses, ''), t.memo, t.created_by, t.created_at, c.name, c.kind, c.region_code
			FROM ledger_transfers t JOIN ledger_accounts c ON c.id = CASE WHEN t.debit_id = ? THEN t.credit_id ELSE t.debit_id END
			WHERE t.id IN (SELECT id FROM ledger_transfers WHERE debit_id = ?` + bound + ` UNION ALL SELECT id FROM ledger_transfers WHERE credit_id = ?` + bound + `)
			ORDER BY t.id DESC LIMIT ?`
		rows, err := tx.Query(ctx, q, append(args, limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Movement
			var at string
			if err := rows.Scan(&m.ID, &m.Key, &m.Debit, &m.Credit, &m.Amount, &m.Reason, &m.SourceType, &m.SourceID, &m.Reverses, &m.Memo, &m.CreatedBy, &at, &m.Counterparty, &m.CounterKind, &m.CounterArea); err != nil {
				return err
			}
			m.CreatedAt, _ = store.ParseTime(at)
			m.Delta = m.Amount
			if m.Debit == id {
				m.Delta = -m.Amount
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, err
}

// Transfer posts a manual transfer: an award or correction by someone who
// manages points for both accounts' regions, or a gift from one's own
// wallet.
func (s *Service) Transfer(ctx context.Context, actor auth.Actor, n NewTransfer) (t Transfer, replay bool, err error) {
	if err := n.Validate(); err != nil {
		return Transfer{}, false, err
	}
	// A caller's key lives in the caller's own namespace, so it can never
	// take a key the platform derives from a source (hours:…, reverse:…).
	ns := "user:" + actor.UserID + ":"
	n.Key = ns + n.Key
	defer func() { t.Key = strings.TrimPrefix(t.Key, ns) }()
	err = Retry(ctx, s.db, func(tx *store.Tx) error {
		d, err := GetAccount(ctx, tx, n.Debit)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("debit", "err.not_found")
		} else if err != nil {
			return err
		}
		c, err := GetAccount(ctx, tx, n.Credit)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("credit", "err.not_found")
		} else if err != nil {
			return err
		}
		own := d.Kind == Wallet && d.OwnerID == actor.UserID && actor.UserID != ""
		switch {
		case own && n.Reason == ReasonGift && c.Kind != Issuer:
		case n.Reason == ReasonAward || n.Reason == ReasonReversal || n.Reason == ReasonExpiry || n.Reason == ReasonRedeem:
			if err := actor.Authorize(auth.PointsManage, d.RegionPath); err != nil {
				return err
			}
			if err := actor.Authorize(auth.PointsManage, c.RegionPath); err != nil {
				return err
			}
		default:
			// Earnings (hours, cases, meetings, surveys) are posted by the
			// platform when their source becomes final, never by hand.
			return errs.Field("reason", "err.ledger.manual_reason")
		}
		t, replay, err = Post(ctx, tx, n, actor.UserID)
		return err
	})
	return t, replay, err
}

// Reverse posts the reversal of a transfer (once; again returns the same).
func (s *Service) Reverse(ctx context.Context, actor auth.Actor, id, memo string) (Transfer, error) {
	memo = strings.TrimSpace(memo)
	if memo == "" {
		return Transfer{}, errs.Field("memo", "err.ledger.reason_needed")
	}
	var t Transfer
	err := Retry(ctx, s.db, func(tx *store.Tx) error {
		o, err := GetTransfer(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Reason == ReasonReversal {
			return errs.New(errs.Conflict, "err.ledger.reverse_reversal")
		}
		for _, acc := range []string{o.Debit, o.Credit} {
			a, err := GetAccount(ctx, tx, acc)
			if err != nil {
				return err
			}
			if err := actor.Authorize(auth.PointsManage, a.RegionPath); err != nil {
				return err
			}
		}
		t, _, err = Post(ctx, tx, NewTransfer{Key: "reverse:" + o.ID, Debit: o.Credit, Credit: o.Debit, Amount: o.Amount,
			Reason: ReasonReversal, SourceType: "transfer", SourceID: o.ID, Reverses: o.ID, Memo: memo}, actor.UserID)
		return err
	})
	return t, err
}

// IssuerAccount returns (opening if needed) the issuing account of a region
// the actor manages points for.
func (s *Service) IssuerAccount(ctx context.Context, actor auth.Actor, code, path string) (Account, error) {
	if err := actor.Authorize(auth.PointsManage, path); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		id, err := EnsureAccount(ctx, tx, Issuer, code, code, path, "")
		if err != nil {
			return err
		}
		a, err = GetAccount(ctx, tx, id)
		return err
	})
	return a, err
}

// Accounts lists accounts of a kind ("" = all) under a region subtree.
func (s *Service) Accounts(ctx context.Context, actor auth.Actor, path string, kind Kind, after string, limit int) ([]Account, string, error) {
	if err := actor.Authorize(auth.PointsManage, path); err != nil {
		if actor.Authorize(auth.PointsRead, path) != nil {
			return nil, "", err
		}
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Account
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, scanAccount, `SELECT `+accountCols+` FROM ledger_accounts WHERE region_path LIKE ? AND (? = '' OR kind = ?) AND id > ? ORDER BY id LIMIT ?`,
			path+"%", string(kind), string(kind), after, limit+1)
		out = found
		return err
	})
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, err
}

// SetRule sets a region's earning rule.
func (s *Service) SetRule(ctx context.Context, actor auth.Actor, r Rule) (Rule, error) {
	if err := actor.Authorize(auth.PointsManage, r.RegionPath); err != nil {
		return Rule{}, err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if err := SetRule(ctx, tx, r, actor.UserID); err != nil {
			return err
		}
		r.UpdatedBy, r.UpdatedAt = actor.UserID, tx.Now()
		return nil
	})
	return r, err
}

// Rules lists the rules in the actor's view of a region subtree, and the
// rules above it that apply there.
func (s *Service) Rules(ctx context.Context, actor auth.Actor, path string) ([]Rule, error) {
	if err := actor.Authorize(auth.RegionRead, path); err != nil {
		return nil, err
	}
	var out []Rule
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		out, err = Rules(ctx, tx, path)
		if err != nil {
			return err
		}
		for _, src := range Sources {
			if r, ok, err := RuleFor(ctx, tx, src, path); err != nil {
				return err
			} else if ok && r.RegionPath != path && strings.HasPrefix(path, r.RegionPath) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
