// Package audit owns the append-only, hash-chained audit log: who did what to
// which record, when and from where. Every reveal of personal data and every
// change to accounts writes an entry in the same transaction as the act.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"civicgrid/internal/errs"
	"civicgrid/internal/store"
)

// Entry is one audited act.
type Entry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	RegionPath string    `json:"region_path,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// Validate checks the fields every entry needs.
func (e *Entry) Validate() error {
	switch {
	case e.Action == "":
		return errs.Field("action", "err.required")
	case e.ObjectType == "":
		return errs.Field("object_type", "err.required")
	}
	return nil
}

// digest is the chained hash: it covers the previous hash and every field,
// each length-prefixed so that no two different entries hash alike.
func (e *Entry) digest() string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, strconv.FormatInt(e.Seq, 10), store.FormatTime(e.At), e.ActorID, e.Actor, e.Role,
		e.Action, e.ObjectType, e.ObjectID, e.RegionPath, e.IP, e.Detail,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Append adds e to the chain inside tx. It locks the chain head, so appends
// are serialised on PostgreSQL too; SQLite has one writer already.
func Append(ctx context.Context, tx *store.Tx, e Entry) (Entry, error) {
	if err := e.Validate(); err != nil {
		return e, err
	}
	var seq int64
	var prev string
	if err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1"+tx.Dialect().ForUpdate()).Scan(&seq, &prev); err != nil {
		return e, errs.Wrap(err, "audit head")
	}
	e.Seq, e.PrevHash, e.At = seq+1, prev, tx.Now()
	e.Hash = e.digest()
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log(seq, at, actor_id, actor, role, action, object_type, object_id, region_path, ip, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, store.FormatTime(e.At), e.ActorID, e.Actor, e.Role, e.Action, e.ObjectType, e.ObjectID, e.RegionPath, e.IP, e.Detail, e.PrevHash, e.Hash); err != nil {
		return e, errs.Wrap(err, "audit insert")
	}
	if _, err := tx.Exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", e.Seq, e.Hash); err != nil {
		return e, errs.Wrap(err, "audit head update")
	}
	return e, nil
}

const columns = "seq, at, actor_id, actor, role, action, object_type, object_id, region_path, ip, detail, prev_hash, hash"

func scan(rows interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var at string
	err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Actor, &e.Role, &e.Action, &e.ObjectType, &e.ObjectID, &e.RegionPath, &e.IP, &e.Detail, &e.PrevHash, &e.Hash)
	if err == nil {
		e.At, err = store.ParseTime(at)
	}
	return e, err
}

// Filter narrows a listing.
type Filter struct {
	RegionPath string // entries about records in this subtree ("" = all)
	ObjectType string
	ObjectID   string
	ActorID    string
	BeforeSeq  int64 // cursor: entries with seq < BeforeSeq (0 = newest)
	Limit      int
}

// List returns entries newest first.
func List(ctx context.Context, db *store.DB, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where []string
	var args []any
	if f.RegionPath != "" {
		where, args = append(where, "region_path LIKE ?"), append(args, f.RegionPath+"%")
	}
	if f.ObjectType != "" {
		where, args = append(where, "object_type = ?"), append(args, f.ObjectType)
	}
	if f.ObjectID != "" {
		where, args = append(where, "object_id = ?"), append(args, f.ObjectID)
	}
	if f.ActorID != "" {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if f.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, f.BeforeSeq)
	}
	q := "SELECT " + columns + " FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	args = append(args, f.Limit)
	var out []Entry
	err := db.Read(ctx, func(tx *store.Tx) error {
		found, err := store.All(ctx, tx, scan, q, args...)
		out = found
		return err
	})
	return out, errs.Wrap(err, "audit list")
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	Entries int64
	// BadSeq is the first entry whose hash or link is wrong (0 when the chain holds).
	BadSeq int64
	Reason string
}

// Verify walks the whole chain in order, recomputing every hash, and checks
// the head row points at the last entry. It streams, so the log can be large.
func Verify(ctx context.Context, db *store.DB) (VerifyResult, error) {
	var res VerifyResult
	err := db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Query(ctx, "SELECT "+columns+" FROM audit_log ORDER BY seq")
		if err != nil {
			return err
		}
		defer rows.Close()
		prev, want := "", int64(1)
		for rows.Next() {
			e, err := scan(rows)
			if err != nil {
				return err
			}
			res.Entries++
			switch {
			case e.Seq != want:
				res.BadSeq, res.Reason = e.Seq, fmt.Sprintf("gap: expected seq %d", want)
			case e.PrevHash != prev:
				res.BadSeq, res.Reason = e.Seq, "prev_hash does not match the previous entry"
			case e.digest() != e.Hash:
				res.BadSeq, res.Reason = e.Seq, "hash does not match the entry's contents"
			}
			if res.BadSeq != 0 {
				return nil
			}
			prev, want = e.Hash, e.Seq+1
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var headSeq int64
		var headHash string
		if err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&headSeq, &headHash); err != nil {
			return err
		}
		if headSeq != want-1 || headHash != prev {
			res.BadSeq, res.Reason = headSeq, fmt.Sprintf("head (seq %d) does not point at the last entry (seq %d): entries were removed from the end", headSeq, want-1)
		}
		return nil
	})
	return res, errs.Wrap(err, "audit verify")
}
