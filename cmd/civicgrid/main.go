// Command civicgrid runs the grassroots-governance platform and its
// operator tools: serve, migrate, demo, user, token, regions, audit, backup.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"civicgrid/internal/app"
	"civicgrid/internal/cases"
)

const usage = `civicgrid — 基层治理平台 (grassroots governance platform)

Usage:
  civicgrid serve   [--addr HOST:PORT] [--data DIR] [--db URL] [--demo] [--tile-url URL]
                    [--remind 4h] [--escalate-days 1] [--duplicate-radius M] [--duplicate-window 72h] [--points-valid MONTHS]
  civicgrid migrate [--data DIR] [--db URL]
  civicgrid demo    [--data DIR] [--db URL]
  civicgrid user add --username U --password P --role ROLE --region CODE [--name N] [--unit U] [--phone P]
  civicgrid user list [--region CODE]
  civicgrid token create --username U [--name NAME]
  civicgrid regions import --file F.geojson [--crs wgs84|gcj02]
  civicgrid regions export --region CODE [--level grid] [--out F.geojson]
  civicgrid holidays list [--year Y]
  civicgrid holidays import --file YEAR.json
  civicgrid audit verify
  civicgrid backup --out FILE
  civicgrid ledger verify
  civicgrid bench intake [--n N] [--concurrency C]
  civicgrid bench ledger [--n N] [--concurrency C] [--wallets W]
  civicgrid bench survey [--n N] [--concurrency C]
  civicgrid version

Every command takes --data DIR and --db URL. Flags can also be given as
CIVICGRID_<FLAG> environment variables (e.g. CIVICGRID_ADDR, CIVICGRID_DB).
Roles: city_admin official dept_handler grid_leader grid_worker parttime_worker volunteer resident auditor
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "civicgrid:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (e.g. a failed verification).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "regions":
		return cmdRegions(ctx, rest, stdout, stderr)
	case "ledger":
		return cmdLedger(ctx, rest, stdout, stderr)
	case "audit":
		return cmdAudit(ctx, rest, stdout, stderr)
	case "holidays":
		return cmdHolidays(ctx, rest, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr)
	case "bench":
		return cmdBench(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "civicgrid", app.Version)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// common holds the flags every command shares.
type common struct {
	data, db, logFormat, logLevel string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("CIVICGRID_" + name); ok {
		return v
	}
	return def
}

// envFlags sets flags from their CIVICGRID_ variables through the flag
// package, so a value that does not parse is refused as a bad flag would be
// (flags on the command line still win: they are parsed afterwards).
func envFlags(fs *flag.FlagSet, names map[string]string) error {
	for flagName, envName := range names {
		if v, ok := os.LookupEnv("CIVICGRID_" + envName); ok {
			if err := fs.Set(flagName, v); err != nil {
				return fmt.Errorf("CIVICGRID_%s=%q: %w", envName, v, err)
			}
		}
	}
	return nil
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", env("DATA", "data"), "data directory (SQLite file, key file, uploads) [CIVICGRID_DATA]")
	fs.StringVar(&c.db, "db", env("DB", ""), "database URL: postgres://… (default: SQLite in --data) [CIVICGRID_DB]")
	fs.StringVar(&c.logFormat, "log-format", env("LOG_FORMAT", "text"), "log format: text or json [CIVICGRID_LOG_FORMAT]")
	fs.StringVar(&c.logLevel, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn, error [CIVICGRID_LOG_LEVEL]")
}

func (c *common) config(stderr io.Writer) (app.Config, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return app.Config{}, fmt.Errorf("--log-level: %w", err)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return app.Config{}, fmt.Errorf("--log-format must be text or json")
	}
	return app.Config{DataDir: c.data, DBURL: c.db, Key: os.Getenv("CIVICGRID_KEY"), LogFormat: c.logFormat, LogLevel: lvl, Out: stderr}, nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// open parses flags and opens the platform without serving.
func open(ctx context.Context, fs *flag.FlagSet, c *common, args []string, stderr io.Writer, mutate func(*app.Config)) (*app.Main, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg, err := c.config(stderr)
	if err != nil {
		return nil, err
	}
	if mutate != nil {
		mutate(&cfg)
	}
	m := app.NewMain(cfg)
	if err := m.Open(ctx); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", env("ADDR", "127.0.0.1:8080"), "listen address [CIVICGRID_ADDR]")
	demoFlag := fs.Bool("demo", env("DEMO", "") == "1" || env("DEMO", "") == "true", "load the Heze demo data (idempotent) [CIVICGRID_DEMO=1]")
	tiles := fs.String("tile-url", env("TILE_URL", ""), "map tile URL template, e.g. 天地图; empty draws polygons on a plain background [CIVICGRID_TILE_URL]")
	attribution := fs.String("tile-attribution", env("TILE_ATTRIBUTION", ""), "attribution text for the tiles [CIVICGRID_TILE_ATTRIBUTION]")
	def := cases.DefaultConfig
	remind := fs.Duration("remind", def.RemindBefore, "remind a handler when this much working time is left before a deadline [CIVICGRID_REMIND]")
	escalate := fs.Int("escalate-days", def.EscalateDays, "escalate (督办) an overdue stage after this many working days [CIVICGRID_ESCALATE_DAYS]")
	dupRadius := fs.Float64("duplicate-radius", def.DuplicateRadiusM, "offer open cases of the same subcategory within this many metres as likely duplicates [CIVICGRID_DUPLICATE_RADIUS]")
	dupWindow := fs.Duration("duplicate-window", def.DuplicateWindow, "… reported within this long before [CIVICGRID_DUPLICATE_WINDOW]")
	pointsValid := fs.Int("points-valid", 0, "months earned points stay valid, oldest spent first; 0 = they never expire [CIVICGRID_POINTS_VALID]")
	if err := envFlags(fs, map[string]string{"remind": "REMIND", "escalate-days": "ESCALATE_DAYS", "duplicate-radius": "DUPLICATE_RADIUS", "duplicate-window": "DUPLICATE_WINDOW", "points-valid": "POINTS_VALID"}); err != nil {
		return err
	}
	m, err := open(ctx, fs, &c, args, stderr, func(cfg *app.Config) {
		cfg.Addr, cfg.Demo, cfg.TileURL, cfg.TileAttribution = *addr, *demoFlag, *tiles, *attribution
		cc := def
		cc.RemindBefore, cc.EscalateDays, cc.DuplicateRadiusM, cc.DuplicateWindow = *remind, *escalate, *dupRadius, *dupWindow
		cfg.Cases = &cc
		cfg.PointsValidMonths = *pointsValid
	})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Listen(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "civicgrid 已启动 / is running: %s\n", m.URL())
	return m.Serve(ctx)
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	var c common
	c.register(fs)
	m, err := open(ctx, fs, &c, args, stderr, nil)
	if err != nil {
		return err
	}
	defer m.Close()
	v, err := m.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d (%s)\n", v, m.DB.Dialect())
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	var c common
	c.register(fs)
	m, err := open(ctx, fs, &c, args, stderr, func(cfg *app.Config) { cfg.Demo = true })
	if err != nil {
		return err
	}
	return m.Close()
}
