package people_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/people"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region/regiontest"
	"civicgrid/internal/store"
	"civicgrid/internal/store/storetest"
)

const (
	phone = "13912345678"
	idno  = "371722199001011230" // valid GB 11643 check digit
	name  = "王秀英"
)

func setup(t *testing.T, db *store.DB) *people.Service {
	t.Helper()
	regions := regiontest.Load(t, db)
	key := bytes.Repeat([]byte{7}, 32)
	keys, err := privacy.NewKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	return people.NewService(db, keys, regions)
}

func gridWorker(grid string) auth.Actor {
	return auth.Actor{UserID: "gw", Username: "gw", Role: auth.GridWorker, RegionPath: "/371700/371722/371722001/" + grid[:12] + "/" + grid + "/", IP: "10.1.2.3"}
}

func TestEncryptedMaskedRevealedAudited(t *testing.T) {
	if _, err := privacy.NormalizeIDNumber(idno); err != nil {
		t.Fatalf("fixture ID invalid: %v", err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		gw := gridWorker(regiontest.GridA1a1)
		p, err := s.Create(ctx, gw, people.NewPerson{GridCode: regiontest.GridA1a1, Name: name, Phone: "+86 139-1234-5678", IDNumber: idno, Tags: []string{"独居老人"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Phone != "139****5678" || p.IDNumber != "371722********1230" || p.Name != "王**" {
			t.Fatalf("not masked: %+v", p)
		}
		got, err := s.Get(ctx, gw, p.ID)
		if err != nil || got.Phone != p.Phone || got.Tags[0] != "独居老人" {
			t.Fatalf("get: %+v %v", got, err)
		}
		// No plaintext in the table.
		err = db.Read(ctx, func(tx *store.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM people WHERE name_enc LIKE ? OR phone_enc LIKE ? OR idno_enc LIKE ? OR phone_hash = ?", "%"+name+"%", "%"+phone+"%", "%"+idno+"%", phone).Scan(&n); err != nil {
				return err
			}
			if n != 0 {
				t.Error("plaintext found in the people table")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Reveal writes an audit entry naming who, what and from where.
		v, err := s.Reveal(ctx, gw, p.ID, people.FieldPhone, "上门走访核实")
		if err != nil || v != phone {
			t.Fatalf("reveal: %q %v", v, err)
		}
		es, err := audit.List(ctx, db, audit.Filter{ObjectType: "person", ObjectID: p.ID})
		if err != nil || len(es) != 1 || es[0].Action != "person.reveal.phone" || es[0].Actor != "gw" || es[0].IP != "10.1.2.3" || es[0].Detail != "上门走访核实" {
			t.Fatalf("audit: %+v %v", es, err)
		}
		// Exact search by phone in any spelling, through the keyed hash; audited too.
		found, err := s.Find(ctx, gw, people.FieldPhone, "139 1234 5678")
		if err != nil || len(found) != 1 || found[0].ID != p.ID {
			t.Fatalf("find: %+v %v", found, err)
		}
		if found, _ := s.Find(ctx, gw, people.FieldID, idno); len(found) != 1 {
			t.Fatal("find by id number")
		}
		res, _ := audit.Verify(ctx, db)
		if res.BadSeq != 0 || res.Entries != 3 {
			t.Fatalf("audit chain: %+v", res)
		}
		// Scope: a grid worker of another grid sees nothing and cannot reveal.
		other := gridWorker(regiontest.GridA1a2)
		if _, err := s.Get(ctx, other, p.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("other grid get: %v", err)
		}
		if _, err := s.Reveal(ctx, other, p.ID, people.FieldPhone, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("other grid reveal: %v", err)
		}
		if found, _ := s.Find(ctx, other, people.FieldPhone, phone); len(found) != 0 {
			t.Fatal("find crosses scope")
		}
		// A department handler reads masked data but may not reveal.
		dept := auth.Actor{UserID: "d", Username: "d", Role: auth.DeptHandler, RegionPath: "/371700/371722/"}
		if _, err := s.Get(ctx, dept, p.ID); err != nil {
			t.Fatalf("dept read: %v", err)
		}
		if _, err := s.Reveal(ctx, dept, p.ID, people.FieldID, ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("dept reveal: %v", err)
		}
		res, _ = audit.Verify(ctx, db)
		if res.Entries != 3 {
			t.Fatalf("refused reveals were audited as reveals: %d entries", res.Entries)
		}
	})
}

func TestValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := setup(t, db)
		gw := gridWorker(regiontest.GridA1a1)
		for _, tc := range []struct {
			in    people.NewPerson
			field string
		}{
			{people.NewPerson{GridCode: regiontest.GridA1a1}, "name"},
			{people.NewPerson{GridCode: regiontest.GridA1a1, Name: "张三", Phone: "1391234"}, "phone"},
			{people.NewPerson{GridCode: regiontest.GridA1a1, Name: "张三", IDNumber: "371722199001011234"}, "id_number"},
			{people.NewPerson{GridCode: regiontest.VillA1a, Name: "张三"}, "grid_code"},
			{people.NewPerson{GridCode: regiontest.GridA1a1, Name: "张三", Tags: []string{"a,b"}}, "tags"},
		} {
			_, err := s.Create(context.Background(), gw, tc.in)
			if e := errs.As(err); e.Code != errs.Invalid || e.Field != tc.field {
				t.Errorf("%+v: got %v field %q, want invalid %q", tc.in, err, e.Field, tc.field)
			}
		}
	})
}

// TestNoPlaintextInSQLiteFile reads the raw database file, WAL included, and
// finds no phone number, ID number or name in clear.
func TestNoPlaintextInSQLiteFile(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	s := setup(t, db)
	gw := gridWorker(regiontest.GridA1a1)
	for i := 0; i < 50; i++ {
		if _, err := s.Create(ctx, gw, people.NewPerson{GridCode: regiontest.GridA1a1, Name: name, Phone: phone, IDNumber: idno}); err != nil {
			t.Fatal(err)
		}
	}
	for _, checkpoint := range []bool{false, true} {
		if checkpoint {
			if _, err := db.Raw().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				t.Fatal(err)
			}
		}
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(db.Path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if len(all) < 4096 {
			t.Fatalf("read only %d bytes: wrong file?", len(all))
		}
		for _, secret := range []string{phone, idno, name, "5678" + "139"} {
			if bytes.Contains(all, []byte(secret)) {
				t.Errorf("plaintext %q found in the database file (checkpoint=%v)", secret, checkpoint)
			}
		}
	}
}
