package audit_test

import (
	"context"
	"fmt"
	"testing"

	"civicgrid/internal/audit"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

func appendN(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := audit.Append(ctx, tx, audit.Entry{ActorID: "u1", Actor: "alice", Role: "official", Action: "person.reveal", ObjectType: "person", ObjectID: fmt.Sprint(i), RegionPath: "/371700/", IP: "127.0.0.1"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainVerifiesAndDetectsTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 5)
		res, err := audit.Verify(ctx, db)
		if err != nil || res.BadSeq != 0 || res.Entries != 5 {
			t.Fatalf("clean chain: %+v %v", res, err)
		}
		list, err := audit.List(ctx, db, audit.Filter{ObjectType: "person", Limit: 2})
		if err != nil || len(list) != 2 || list[0].Seq != 5 {
			t.Fatalf("list newest first: %+v %v", list, err)
		}

		// Rewriting history: change who did entry 3.
		if _, err := db.Raw().Exec(db.Dialect().Rebind("UPDATE audit_log SET actor = ? WHERE seq = ?"), "mallory", 3); err != nil {
			t.Fatal(err)
		}
		res, _ = audit.Verify(ctx, db)
		if res.BadSeq != 3 {
			t.Fatalf("tampered entry not found: %+v", res)
		}
		if _, err := db.Raw().Exec(db.Dialect().Rebind("UPDATE audit_log SET actor = ? WHERE seq = ?"), "alice", 3); err != nil {
			t.Fatal(err)
		}
		// Deleting the last entry: the head no longer matches.
		if _, err := db.Raw().Exec("DELETE FROM audit_log WHERE seq = 5"); err != nil {
			t.Fatal(err)
		}
		res, _ = audit.Verify(ctx, db)
		if res.BadSeq == 0 {
			t.Fatalf("truncation not detected: %+v", res)
		}
	})
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		done := make(chan struct{})
		for g := 0; g < 4; g++ {
			go func() { defer func() { done <- struct{}{} }(); appendN(t, db, 10) }()
		}
		for g := 0; g < 4; g++ {
			<-done
		}
		res, err := audit.Verify(context.Background(), db)
		if err != nil || res.BadSeq != 0 || res.Entries != 40 {
			t.Fatalf("%+v %v", res, err)
		}
	})
}
