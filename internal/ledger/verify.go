package ledger

import (
	"context"
	"fmt"
	"sort"

	"civicgrid/internal/store"
)

// Problem is one broken invariant.
type Problem struct {
	Account  string `json:"account,omitempty"`
	Transfer string `json:"transfer,omitempty"`
	What     string `json:"what"`
	Stored   int64  `json:"stored"`
	Computed int64  `json:"computed"`
}

func (p Problem) String() string {
	id := p.Account
	if p.Transfer != "" {
		id = "transfer " + p.Transfer
	}
	return fmt.Sprintf("%s: %s (stored %d, computed %d)", id, p.What, p.Stored, p.Computed)
}

// Report is the result of Verify.
type Report struct {
	Accounts  int       `json:"accounts"`
	Transfers int64     `json:"transfers"`
	Points    int64     `json:"points_issued"` // minus the issuers' balances
	Problems  []Problem `json:"problems"`
}

// OK reports whether every invariant holds.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify recomputes every balance from the transfers and every held amount
// from the pending holds, in one consistent read, and checks that:
// stored balances equal recomputed ones; all balances sum to zero; no
// account but an issuer is below zero or has more held than it holds; every
// reversal mirrors the transfer it reverses.
func Verify(ctx context.Context, db *store.DB) (Report, error) {
	var r Report
	err := db.Snapshot(ctx, func(tx *store.Tx) error {
		r = Report{}
		computed := map[string]int64{}
		rows, err := tx.Query(ctx, `SELECT credit_id, SUM(amount), COUNT(*) FROM ledger_transfers GROUP BY credit_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var sum, n int64
			if err := rows.Scan(&id, &sum, &n); err != nil {
				rows.Close()
				return err
			}
			computed[id] += sum
			r.Transfers += n
		}
		rows.Close()
		if rows.Err() != nil {
			return rows.Err()
		}
		rows, err = tx.Query(ctx, `SELECT debit_id, SUM(amount) FROM ledger_transfers GROUP BY debit_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var sum int64
			if err := rows.Scan(&id, &sum); err != nil {
				rows.Close()
				return err
			}
			computed[id] -= sum
		}
		rows.Close()
		if rows.Err() != nil {
			return rows.Err()
		}
		held := map[string]int64{}
		rows, err = tx.Query(ctx, `SELECT account_id, SUM(amount) FROM ledger_holds WHERE status = 'pending' GROUP BY account_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var sum int64
			if err := rows.Scan(&id, &sum); err != nil {
				rows.Close()
				return err
			}
			held[id] = sum
		}
		rows.Close()
		if rows.Err() != nil {
			return rows.Err()
		}
		rows, err = tx.Query(ctx, `SELECT id, kind, balance, held FROM ledger_accounts ORDER BY id`)
		if err != nil {
			return err
		}
		var total int64
		seen := map[string]bool{}
		for rows.Next() {
			var id string
			var kind Kind
			var bal, h int64
			if err := rows.Scan(&id, &kind, &bal, &h); err != nil {
				rows.Close()
				return err
			}
			r.Accounts++
			seen[id] = true
			total += bal
			c := computed[id]
			if bal != c {
				r.Problems = append(r.Problems, Problem{Account: id, What: "balance differs from its transfers", Stored: bal, Computed: c})
			}
			if h != held[id] {
				r.Problems = append(r.Problems, Problem{Account: id, What: "held differs from its pending holds", Stored: h, Computed: held[id]})
			}
			if kind != Issuer && c-held[id] < 0 {
				r.Problems = append(r.Problems, Problem{Account: id, What: "negative available balance", Stored: bal - h, Computed: c - held[id]})
			}
			if kind == Issuer {
				r.Points -= c
			}
		}
		rows.Close()
		if rows.Err() != nil {
			return rows.Err()
		}
		if total != 0 {
			r.Problems = append(r.Problems, Problem{What: "balances do not sum to zero", Stored: total, Computed: 0})
		}
		var orphans []string
		for id := range computed {
			if !seen[id] {
				orphans = append(orphans, id)
			}
		}
		sort.Strings(orphans)
		for _, id := range orphans {
			r.Problems = append(r.Problems, Problem{Account: id, What: "transfers name an account that does not exist", Computed: computed[id]})
		}
		rows, err = tx.Query(ctx, `SELECT r.id, o.id FROM ledger_transfers r JOIN ledger_transfers o ON o.id = r.reverses
			WHERE r.debit_id <> o.credit_id OR r.credit_id <> o.debit_id OR r.amount <> o.amount`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rid, oid string
			if err := rows.Scan(&rid, &oid); err != nil {
				return err
			}
			r.Problems = append(r.Problems, Problem{Transfer: rid, What: "reversal does not mirror " + oid})
		}
		return rows.Err()
	})
	return r, err
}
