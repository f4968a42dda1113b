package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"civicgrid/internal/app"
	"civicgrid/internal/auth"
	"civicgrid/internal/ledger"
	"civicgrid/internal/store"
)

// TestKillDuringLedgerLoad kills the server with SIGKILL while awards and
// spends are posted, restarts it, and checks the books: every transfer that
// got a 201 is stored, and every balance still equals its transfers.
func TestKillDuringLedgerLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short")
	}
	dir := t.TempDir()
	ctx := context.Background()
	m := app.NewMain(app.Config{DataDir: dir, Demo: true, Out: io.Discard})
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := m.Accounts.ByUsername(ctx, "demo_city")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Accounts.CreateToken(ctx, auth.System("test"), admin.ID, "kill")
	if err != nil {
		t.Fatal(err)
	}
	shops, err := m.Markets.List(ctx, "")
	if err != nil || len(shops) == 0 {
		t.Fatal("no demo supermarket", err)
	}
	city, _ := m.Regions.Lookup("371700")
	var issuer string
	wallets := make([]string, 50)
	err = m.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if issuer, err = ledger.EnsureAccount(ctx, tx, ledger.Issuer, city.Code, city.Code, city.Path, ""); err != nil {
			return err
		}
		for i := range wallets {
			if wallets[i], err = ledger.EnsureAccount(ctx, tx, ledger.Wallet, fmt.Sprintf("kill-%d", i), city.Code, city.Path, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	client := &http.Client{Timeout: 5 * time.Second}
	acked := killMidLoad(t, dir, 500, func(addr string, g, i int) string {
		tr := ledger.NewTransfer{Key: fmt.Sprintf("kill-%d-%d", g, i), Debit: issuer, Credit: wallets[(g+i)%len(wallets)], Amount: 5, Reason: ledger.ReasonAward}
		if i%2 == 1 {
			tr = ledger.NewTransfer{Key: tr.Key, Debit: wallets[(g+i)%len(wallets)], Credit: shops[0].AccountID, Amount: 4, Reason: ledger.ReasonRedeem}
		}
		body, _ := json.Marshal(tr)
		req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/ledger/transfers", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var out ledger.Transfer
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusCreated {
			return ""
		}
		return out.ID
	})

	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := ledger.Verify(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("books broken after SIGKILL: %v", r.Problems)
	}
	missing := 0
	err = db.Read(ctx, func(tx *store.Tx) error {
		for _, id := range acked {
			if _, err := ledger.GetTransfer(ctx, tx, id); err != nil {
				missing++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d transfers acknowledged before SIGKILL, %d stored after restart; verify ok", len(acked), r.Transfers)
	if missing > 0 {
		t.Fatalf("%d acknowledged transfers lost", missing)
	}
}

// TestLedgerVerifyCommand: `ledger verify` passes on sound books, and exits
// non-zero naming the account when a balance was edited behind the ledger.
func TestLedgerVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var wallet string
	err = ledger.Retry(ctx, db, func(tx *store.Tx) error {
		issuer, err := ledger.EnsureAccount(ctx, tx, ledger.Issuer, "371700", "371700", "/371700/", "")
		if err != nil {
			return err
		}
		if wallet, err = ledger.EnsureAccount(ctx, tx, ledger.Wallet, "u1", "371700", "/371700/", ""); err != nil {
			return err
		}
		_, _, err = ledger.Post(ctx, tx, ledger.NewTransfer{Key: "a", Debit: issuer, Credit: wallet, Amount: 7, Reason: ledger.ReasonAward}, "t")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, err := runCmd(t, "ledger", "verify", "--data", dir)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out), "verify: ok") {
		t.Fatalf("sound books: %v %s", err, out)
	}
	db, _ = store.Open(ctx, store.Options{DataDir: dir})
	if _, err := db.Raw().Exec(`UPDATE ledger_accounts SET balance = 70 WHERE id = ?`, wallet); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, err = runCmd(t, "ledger", "verify", "--data", dir)
	if exitCode(err) != 1 || !strings.Contains(out, wallet) || !strings.HasPrefix(lastLine(out), "verify: FAILED") {
		t.Fatalf("tampered books: exit %d\n%s", exitCode(err), out)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
