package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// randomToken makes a 256-bit secret for a session or API token. Only its
// SHA-256 is stored, so a copy of the database opens no session.
func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// Login checks a username and password and opens a session. A wrong
// password counts towards lockout; a locked or disabled account cannot log
// in; an unknown username costs the same time as a wrong password.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (token string, u User, err error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return "", u, errs.Field("username", "err.login.required")
	}
	var id, hash, status, locked, regionPath string
	var failures int
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, "SELECT id, password_hash, status, failed_logins, locked_until, region_path FROM users WHERE username = ?", username).
			Scan(&id, &hash, &status, &failures, &locked, &regionPath)
	})
	if errs.Is(err, errs.NotFound) {
		CheckPassword(dummyHash(), password)
		return "", u, errs.New(errs.Unauthorized, "err.login.failed")
	}
	if err != nil {
		return "", u, errs.Wrap(err, "login lookup")
	}
	now := s.db.Now().UTC()
	if locked != "" {
		if until, _ := store.ParseTime(locked); now.Before(until) {
			return "", u, errs.New(errs.Unauthorized, "err.login.locked", until.In(chinaTime).Format("15:04"))
		}
	}
	if !CheckPassword(hash, password) {
		werr := s.db.Write(ctx, func(tx *store.Tx) error {
			// Count inside the transaction so concurrent guesses all count.
			var n int
			if err := tx.QueryRow(ctx, "SELECT failed_logins FROM users WHERE id = ?"+tx.Dialect().ForUpdate(), id).Scan(&n); err != nil {
				return err
			}
			n++
			lockUntil := ""
			if n >= s.cfg.MaxFailures {
				lockUntil, n = store.FormatTime(tx.Now().Add(s.cfg.LockoutFor)), 0
			}
			_, err := tx.Exec(ctx, "UPDATE users SET failed_logins = ?, locked_until = CASE WHEN ? = '' THEN locked_until ELSE ? END WHERE id = ?", n, lockUntil, lockUntil, id)
			if err == nil && lockUntil != "" {
				_, err = audit.Append(ctx, tx, audit.Entry{ActorID: id, Actor: username, Action: "login.locked", ObjectType: "user", ObjectID: id, RegionPath: regionPath, IP: ip})
			}
			return err
		})
		if werr != nil {
			return "", u, errs.Wrap(werr, "record failure")
		}
		return "", u, errs.New(errs.Unauthorized, "err.login.failed")
	}
	if status != "active" {
		return "", u, errs.New(errs.Unauthorized, "err.login.disabled")
	}
	token = randomToken("s_")
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		now := tx.NowText()
		if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = 0, locked_until = '', last_login_at = ? WHERE id = ?", now, id); err != nil {
			return err
		}
		if len(userAgent) > 300 {
			userAgent = userAgent[:300]
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions(id_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
			tokenHash(token), id, now, now, store.FormatTime(tx.Now().Add(s.cfg.SessionAbsolute)), ip, userAgent)
		return err
	})
	if err != nil {
		return "", u, errs.Wrap(err, "open session")
	}
	u, err = s.Get(ctx, auth.Actor{UserID: id}, id)
	return token, u, err
}

var chinaTime = time.FixedZone("CST", 8*3600)

// touchEvery limits how often a session's last-seen time is written, so
// browsing is not one write per page.
const touchEvery = time.Minute

// SessionActor returns the actor of a live session. Sessions end after the
// idle timeout, at the absolute expiry, or when the account is disabled.
func (s *Service) SessionActor(ctx context.Context, token, ip string) (auth.Actor, error) {
	if !strings.HasPrefix(token, "s_") {
		return auth.Actor{}, errs.New(errs.Unauthorized, "err.unauthorized")
	}
	h := tokenHash(token)
	var u User
	var lastSeen, expires string
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		row := tx.QueryRow(ctx, `SELECT s.last_seen_at, s.expires_at, u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+`
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, h)
		var err error
		u, err = s.scanUser(scanPrefix{row, []any{&lastSeen, &expires}})
		return err
	})
	if err != nil {
		return auth.Actor{}, errs.New(errs.Unauthorized, "err.session.expired")
	}
	now := s.db.Now().UTC()
	seen, _ := store.ParseTime(lastSeen)
	exp, _ := store.ParseTime(expires)
	if u.Status != "active" || now.After(exp) || now.Sub(seen) > s.cfg.SessionIdle {
		s.Logout(ctx, token)
		return auth.Actor{}, errs.New(errs.Unauthorized, "err.session.expired")
	}
	if now.Sub(seen) > touchEvery {
		_ = s.db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", tx.NowText(), h)
			return err
		})
	}
	return u.Actor(ip, "web"), nil
}

// scanPrefix scans leading extra columns before a user row.
type scanPrefix struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (p scanPrefix) Scan(dest ...any) error { return p.row.Scan(append(p.extra, dest...)...) }

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", tokenHash(token))
		return err
	})
}

// PurgeSessions deletes sessions past their expiry or idle limit.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", tx.NowText(), store.FormatTime(tx.Now().Add(-s.cfg.SessionIdle)))
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	return n, err
}
