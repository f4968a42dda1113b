package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"civicgrid/internal/account"
	"civicgrid/internal/audit"
	"civicgrid/internal/auth"
	"civicgrid/internal/errs"
	"civicgrid/internal/i18n"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
)

// cliError renders a domain error for the terminal in Chinese and English.
func cliError(cat *i18n.Catalog, err error) error {
	var e *errs.Error
	if cat == nil || !errors.As(err, &e) || e.Code == errs.Internal {
		return err
	}
	msg := cat.Error(i18n.ZH, e) + " / " + cat.Error(i18n.EN, e)
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	for _, sub := range e.List {
		msg += "\n  - " + sub.Field + ": " + cat.Error(i18n.ZH, sub) + " / " + cat.Error(i18n.EN, sub)
	}
	return errors.New(msg)
}

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("user: want a subcommand: add, list")
	}
	fs := newFlags("user "+args[0], stderr)
	var c common
	c.register(fs)
	switch args[0] {
	case "add":
		var in account.NewUser
		var role string
		fs.StringVar(&in.Username, "username", "", "login name")
		fs.StringVar(&in.Password, "password", "", "password (at least 8 characters)")
		fs.StringVar(&role, "role", "", "role: city_admin official dept_handler grid_leader grid_worker parttime_worker volunteer resident auditor")
		fs.StringVar(&in.RegionCode, "region", "", "region code the account is scoped to")
		fs.StringVar(&in.DisplayName, "name", "", "display name")
		fs.StringVar(&in.Unit, "unit", "", "unit or department")
		fs.StringVar(&in.Phone, "phone", "", "mobile phone (stored encrypted)")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		in.Role = auth.Role(role)
		// The operator on the server acts as the system: full scope.
		u, err := m.Accounts.Create(ctx, auth.System("cli"), in)
		if err != nil {
			return cliError(m.Catalog, err)
		}
		fmt.Fprintf(stdout, "created %s (%s, %s %s) id %s\n", u.Username, u.Role, u.RegionCode, u.RegionName, u.ID)
		return nil
	case "list":
		regionCode := fs.String("region", "", "region subtree")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		after := ""
		for {
			us, next, err := m.Accounts.List(ctx, auth.System("cli"), account.ListFilter{RegionCode: *regionCode, After: after, Limit: 200})
			if err != nil {
				return cliError(m.Catalog, err)
			}
			for _, u := range us {
				fmt.Fprintf(stdout, "%-20s %-16s %-16s %-8s %s\n", u.Username, u.Role, u.RegionCode, u.Status, u.RegionName)
			}
			if next == "" {
				return nil
			}
			after = next
		}
	}
	return fmt.Errorf("user: unknown subcommand %q", args[0])
}

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("token: want: token create --username U")
	}
	fs := newFlags("token create", stderr)
	var c common
	c.register(fs)
	username := fs.String("username", "", "account the token acts as")
	name := fs.String("name", "cli", "a label for the token")
	m, err := open(ctx, fs, &c, args[1:], stderr, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	u, err := m.Accounts.ByUsername(ctx, *username)
	if err != nil {
		return cliError(m.Catalog, err)
	}
	tok, err := m.Accounts.CreateToken(ctx, auth.System("cli"), u.ID, *name)
	if err != nil {
		return cliError(m.Catalog, err)
	}
	fmt.Fprintf(stderr, "API token for %s (shown once; send as Authorization: Bearer …):\n", u.Username)
	fmt.Fprintln(stdout, tok)
	return nil
}

func cmdRegions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("regions: want a subcommand: import, export")
	}
	fs := newFlags("regions "+args[0], stderr)
	var c common
	c.register(fs)
	switch args[0] {
	case "import":
		file := fs.String("file", "", "GeoJSON FeatureCollection with code, name, parent, level properties")
		crsName := fs.String("crs", "wgs84", "coordinates: wgs84 or gcj02")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		crs, err := region.ParseCRS(*crsName)
		if err != nil {
			return cliError(m.Catalog, err)
		}
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		res, err := m.Regions.Import(ctx, auth.System("cli"), bufio.NewReader(f), crs)
		if err != nil {
			return cliError(m.Catalog, err)
		}
		fmt.Fprintf(stdout, "imported %d features: %d created, %d updated\n", res.Features, res.Created, res.Updated)
		return nil
	case "export":
		code := fs.String("region", "", "region code")
		level := fs.String("level", "grid", "which level under the region")
		out := fs.String("out", "-", "output file (- for stdout)")
		m, err := open(ctx, fs, &c, args[1:], stderr, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		w := stdout
		if *out != "-" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return cliError(m.Catalog, m.Regions.WriteGeoJSON(ctx, auth.System("cli"), *code, region.Level(*level), w))
	}
	return fmt.Errorf("regions: unknown subcommand %q", args[0])
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("audit: want: audit verify")
	}
	fs := newFlags("audit verify", stderr)
	var c common
	c.register(fs)
	m, err := open(ctx, fs, &c, args[1:], stderr, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	res, err := audit.Verify(ctx, m.DB)
	if err != nil {
		return err
	}
	if res.BadSeq != 0 {
		fmt.Fprintf(stdout, "verify: FAILED at entry %d: %s (%d entries read)\n", res.BadSeq, res.Reason, res.Entries)
		return &exitError{code: 1, msg: "audit chain broken"}
	}
	fmt.Fprintf(stdout, "verify: ok (%d entries)\n", res.Entries)
	return nil
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	var c common
	c.register(fs)
	out := fs.String("out", "", "backup file to write (must not exist)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("backup: --out FILE is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists; refusing to overwrite", *out)
	}
	db, err := store.Open(ctx, store.Options{URL: c.db, DataDir: c.data})
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Dialect() != store.SQLite {
		return fmt.Errorf("backup: for PostgreSQL use pg_dump (see README: Backups)")
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	// VACUUM INTO writes a consistent, compacted copy from one read
	// transaction while the server keeps running.
	if _, err := db.Raw().ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes)\n", abs, st.Size())
	fmt.Fprintln(stderr, "备份不含密钥文件，请另行妥善保存 civicgrid.key / the backup does not include the key file: keep civicgrid.key safe separately.")
	return nil
}
