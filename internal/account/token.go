package account

import (
	"context"
	"strings"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// CreateToken issues an API token for an integration acting as user id. The
// plaintext is returned once; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, actor auth.Actor, userID, name string) (string, error) {
	u, err := s.Get(ctx, actor, userID)
	if err != nil {
		return "", err
	}
	if actor.UserID != userID {
		if err := actor.Authorize(auth.AccountWrite, u.RegionPath); err != nil {
			return "", err
		}
		// A token acts with the account's full rights: only someone who could
		// appoint that role may mint one.
		if !actor.Role.CanAssign(u.Role) {
			return "", errs.New(errs.Forbidden, "err.account.cannot_assign")
		}
	}
	if u.Status != "active" {
		return "", errs.New(errs.Invalid, "err.account.disabled")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api"
	}
	tok := randomToken("cg_")
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		id := newID()
		if _, err := tx.Exec(ctx, "INSERT INTO api_tokens(id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
			id, userID, name, tokenHash(tok), tx.NowText()); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, entry(actor, "token.create", "user", userID, u.RegionPath, name))
		return err
	})
	return tok, err
}

// TokenActor returns the actor of a live API token.
func (s *Service) TokenActor(ctx context.Context, token, ip string) (auth.Actor, error) {
	if !strings.HasPrefix(token, "cg_") {
		return auth.Actor{}, errs.New(errs.Unauthorized, "err.token.invalid")
	}
	h := tokenHash(token)
	var u User
	var revoked, lastUsed string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		row := tx.QueryRow(ctx, `SELECT t.revoked_at, t.last_used_at, u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
			FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, h)
		var err error
		u, err = s.scanUser(scanPrefix{row, []any{&revoked, &lastUsed}})
		return err
	})
	if err != nil || revoked != "" || u.Status != "active" {
		return auth.Actor{}, errs.New(errs.Unauthorized, "err.token.invalid")
	}
	if t, _ := store.ParseTime(lastUsed); s.db.Now().Sub(t) > touchEvery {
		_ = s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?", tx.NowText(), h)
			return err
		})
	}
	return u.Actor(ip, "api"), nil
}
