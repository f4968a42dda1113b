package main

import (
	"context"
	"fmt"
	"io"

	"civicgrid/internal/ledger"
	"civicgrid/internal/loadtest"
	"civicgrid/internal/store"
)

// cmdLedger is `civicgrid ledger verify`: recompute every balance from the
// transfers and check the books; exit 1 naming the accounts if anything is
// wrong.
func cmdLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("ledger: want: ledger verify [--data DIR] [--db URL]")
	}
	fs := newFlags("ledger verify", stderr)
	var c common
	c.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	// Open the database only: verification must not migrate or seed.
	db, err := store.Open(ctx, store.Options{URL: c.db, DataDir: c.data})
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := ledger.Verify(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d accounts, %d transfers, %d points issued\n", r.Accounts, r.Transfers, r.Points)
	if !r.OK() {
		for _, p := range r.Problems {
			fmt.Fprintln(stdout, "  ", p)
		}
		fmt.Fprintf(stdout, "verify: FAILED: %d problems\n", len(r.Problems))
		return &exitError{code: 1, msg: "ledger invariants broken"}
	}
	fmt.Fprintln(stdout, "verify: ok")
	return nil
}

// cmdBenchLedger is `civicgrid bench ledger`.
func cmdBenchLedger(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench ledger", stderr)
	n := fs.Int("n", 50000, "transfers to post")
	c := fs.Int("concurrency", 64, "concurrent clients")
	w := fs.Int("wallets", 2000, "wallets to spread transfers over")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := loadtest.Ledger(ctx, loadtest.LedgerConfig{N: *n, Concurrency: *c, Wallets: *w, Out: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Line())
	if !res.OK() {
		return &exitError{code: 1, msg: "ledger invariants broken after the bench"}
	}
	return nil
}

// cmdBenchSurvey is `civicgrid bench survey`.
func cmdBenchSurvey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench survey", stderr)
	n := fs.Int("n", 100000, "responses to post")
	c := fs.Int("concurrency", 64, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := loadtest.Survey(ctx, loadtest.SurveyConfig{N: *n, Concurrency: *c, Out: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Line())
	return nil
}
