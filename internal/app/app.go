// Package app wires civicgrid together in one place: configuration, the
// database, keys, domain services and the HTTP server. Main is used by the
// command and by end-to-end tests, which start the real server on :0.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"civicgrid/internal/account"
	"civicgrid/internal/auth"
	"civicgrid/internal/cases"
	"civicgrid/internal/demo"
	"civicgrid/internal/i18n"
	"civicgrid/internal/ledger"
	"civicgrid/internal/live"
	"civicgrid/internal/market"
	"civicgrid/internal/media"
	"civicgrid/internal/people"
	"civicgrid/internal/privacy"
	"civicgrid/internal/region"
	"civicgrid/internal/store"
	"civicgrid/internal/suggest"
	"civicgrid/internal/survey"
	"civicgrid/internal/volunteer"
	"civicgrid/internal/web"
	"civicgrid/internal/workcal"
)

// Version is set at build time with -ldflags "-X civicgrid/internal/app.Version=…".
var Version = "dev"

// Config is everything that can be configured, by flag or CIVICGRID_* variable.
type Config struct {
	Addr            string // listen address
	DataDir         string // SQLite file, key file, uploads
	DBURL           string // postgres://… ; empty = SQLite in DataDir
	Demo            bool   // load the Heze demo data on start
	KeyFile         string // default DataDir/civicgrid.key
	Key             string // CIVICGRID_KEY: base64 master key, overrides KeyFile
	TileURL         string
	TileAttribution string
	LogFormat       string // "text" or "json"
	LogLevel        slog.Level
	Out             io.Writer // where start-up messages go (stderr)
	// Cases are the deadline and duplicate settings (cases.DefaultConfig,
	// Shandong's hotline rules, when nil).
	Cases *cases.Config
	// PointsValidMonths is how long earned points stay valid; 0 = forever.
	PointsValidMonths int
}

// Main is a running (or ready-to-run) civicgrid.
type Main struct {
	Config   Config
	DB       *store.DB
	Keys     *privacy.Keys
	Catalog  *i18n.Catalog
	Regions  *region.Service
	Accounts *account.Service
	People   *people.Service
	Cases    *cases.Service
	Ledger   *ledger.Service
	Vol      *volunteer.Service
	Markets  *market.Service
	Surveys  *survey.Service
	Holidays *workcal.Book // the official calendar the deadlines count with
	Live     *live.Hub
	Photos   *media.Store
	Web      *web.Server
	Logger   *slog.Logger

	// DemoAccounts is filled when the demo was loaded.
	DemoAccounts []demo.Account

	// Suggestions is people's suggestions (人民建议征集).
	Suggestions *suggest.Service

	ln       net.Listener
	server   *http.Server
	stopLive context.CancelFunc
}

// NewMain returns a Main with cfg and defaults filled in.
func NewMain(cfg Config) *Main {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = filepath.Join(cfg.DataDir, "civicgrid.key")
	}
	if cfg.Out == nil {
		cfg.Out = os.Stderr
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	return &Main{Config: cfg}
}

func (m *Main) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: m.Config.LogLevel}
	var h slog.Handler
	if m.Config.LogFormat == "json" {
		h = slog.NewJSONHandler(m.Config.Out, opts)
	} else {
		h = slog.NewTextHandler(m.Config.Out, opts)
	}
	return slog.New(web.LogHandler(h))
}

// Open connects the database, applies migrations, loads keys and services
// and, if asked, the demo data. It does not listen yet.
func (m *Main) Open(ctx context.Context) error {
	m.Logger = m.logger()
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	db, err := store.Open(ctx, store.Options{URL: m.Config.DBURL, DataDir: m.Config.DataDir})
	if err != nil {
		return err
	}
	m.DB = db
	if n, err := db.Migrate(ctx); err != nil {
		return err
	} else if n > 0 {
		m.Logger.Info("migrated", "applied", n, "database", db.Dialect().String())
	}
	keys, created, err := privacy.LoadOrCreate(m.Config.Key, m.Config.KeyFile)
	if err != nil {
		return err
	}
	if created {
		abs, _ := filepath.Abs(m.Config.KeyFile)
		fmt.Fprintf(m.Config.Out, "新的数据加密密钥已生成 / a new data encryption key was generated: %s\n  备份此文件：丢失即无法解密居民个人信息 / back it up: without it personal data cannot be decrypted.\n", abs)
	}
	m.Keys = keys
	if m.Catalog, err = i18n.Load(); err != nil {
		return err
	}
	m.Regions = region.NewService(db)
	if err := m.Regions.Load(ctx); err != nil {
		return err
	}
	m.Accounts = account.NewService(db, keys, m.Regions, account.DefaultConfig)
	m.People = people.NewService(db, keys, m.Regions)
	if m.Holidays, err = workcal.Open(ctx, db); err != nil {
		return err
	}
	if err := db.Write(ctx, func(tx *store.Tx) error { return cases.SeedCategories(ctx, tx) }); err != nil {
		return fmt.Errorf("seed categories: %w", err)
	}
	if m.Photos, err = media.NewStore(filepath.Join(m.Config.DataDir, "photos"), media.DefaultLimits); err != nil {
		return err
	}
	m.Live = live.NewHub()
	if db.Dialect() == store.Postgres {
		// Every server process on the database hears every change.
		lctx, cancel := context.WithCancel(context.Background())
		m.stopLive = cancel
		if err := m.Live.UsePostgres(lctx, m.Config.DBURL, m.Logger); err != nil {
			return fmt.Errorf("listen for changes: %w", err)
		}
	}
	caseCfg := cases.DefaultConfig
	if m.Config.Cases != nil {
		caseCfg = *m.Config.Cases
	}
	if err := caseCfg.Validate(); err != nil {
		return err
	}
	if v := m.Config.PointsValidMonths; v < 0 || v > 120 {
		return fmt.Errorf("points valid: %d months is out of range (0 = never expire, at most 120)", v)
	}
	m.Cases = cases.New(db, m.Regions, m.Regions, m.Holidays, keys, caseCfg, func(id, path string) {
		m.Live.Publish(live.Event{Topic: "case", ID: id, Path: path})
	})
	m.Cases.CheckPhotos(m.Photos.Exists)
	// A valid report earns its reporter points, in the accepting transaction.
	m.Cases.OnAccept(func(ctx context.Context, tx *store.Tx, c cases.Case) error {
		switch auth.Role(c.ReporterRole) {
		case auth.PartTimeWorker, auth.Resident, auth.Volunteer:
			return ledger.Earner{}.AwardCase(ctx, tx, c.ID, c.RegionPath, c.ReporterID)
		}
		return nil
	})
	m.Ledger = ledger.NewService(db)
	m.Vol = volunteer.New(db, keys, m.Regions, ledger.Earner{}, volunteer.DefaultConfig)
	m.Markets = market.New(db, m.Regions)
	m.Markets.SetCounterCodes(func(userID string, window int64) string {
		// Six digits from a keyed hash of the person and the time window.
		h := keys.BlindIndex("counter", userID+"/"+strconv.FormatInt(window, 10))
		n, _ := strconv.ParseUint(h[:12], 16, 64)
		return fmt.Sprintf("%06d", n%1_000_000)
	})
	m.Suggestions = suggest.New(db, keys, m.Regions)
	m.Surveys = survey.New(db, m.Regions, filepath.Join(m.Config.DataDir, "exports"))
	m.Surveys.OnNamedResponse(ledger.Earner{}.AwardSurvey)
	if m.Config.Demo {
		if err := m.LoadDemo(ctx); err != nil {
			return err
		}
	}
	// Loading parses every boundary once; hand the garbage back to the OS
	// so a long-running server's RSS reflects what it keeps (the tree).
	debug.FreeOSMemory()
	m.Web, err = web.New(web.Config{Version: Version, TileURL: m.Config.TileURL, TileAttribution: m.Config.TileAttribution, Demo: m.Config.Demo, PointsValidMonths: m.Config.PointsValidMonths},
		web.Deps{DB: db, Catalog: m.Catalog, Regions: m.Regions, Accounts: m.Accounts, People: m.People, Cases: m.Cases, Live: m.Live, Photos: m.Photos, Logger: m.Logger,
			Volunteers: m.Vol, Ledger: m.Ledger, Markets: m.Markets, Surveys: m.Surveys, Suggestions: m.Suggestions, Holidays: m.Holidays})
	return err
}

// LoadDemo loads the Heze demo data (idempotent) and prints the accounts.
func (m *Main) LoadDemo(ctx context.Context) error {
	start := time.Now()
	accs, err := demo.Load(ctx, m.DB, m.Regions, m.Accounts, m.People, m.Cases, &demo.BarProgress{W: m.Config.Out})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := demo.LoadVolunteers(ctx, m.DB, m.Regions, m.Accounts, m.Vol, m.Ledger, m.Markets); err != nil {
		return fmt.Errorf("demo volunteers: %w", err)
	}
	if err := demo.LoadSuggestions(ctx, m.DB, m.Regions, m.Accounts, m.Suggestions, m.Cases); err != nil {
		return fmt.Errorf("demo suggestions: %w", err)
	}
	if err := demo.LoadSurveys(ctx, m.DB, m.Surveys); err != nil {
		return fmt.Errorf("demo surveys: %w", err)
	}
	m.DemoAccounts = accs
	t := m.Regions.Tree()
	fmt.Fprintf(m.Config.Out, "演示数据就绪 / demo data ready: %d regions, %d grids (%.1fs)\n", t.Len(), t.GridCount(), time.Since(start).Seconds())
	fmt.Fprintf(m.Config.Out, "⚠ 以下为演示账号，密码均为 %s，切勿用于生产环境 / DEMO accounts, password %s — never use them in production:\n", demo.Password, demo.Password)
	for _, a := range accs {
		fmt.Fprintf(m.Config.Out, "  %-15s %-16s %s %s\n", a.Username, a.Role, a.Region, a.RegionName)
	}
	return nil
}

// Listen binds the address (":0" picks a free port; see URL).
func (m *Main) Listen() error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.ln = ln
	m.server = &http.Server{
		Handler:           m.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large GeoJSON uploads on slow links
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Serve serves until ctx is cancelled, then shuts down gracefully, letting
// requests in flight finish for up to 15 seconds.
func (m *Main) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- m.server.Serve(m.ln) }()
	// Deadlines: reminders, overdue marks and escalation once a minute;
	// group commit for intake.
	schedCtx, stopSched := context.WithCancel(ctx)
	defer stopSched()
	m.Cases.StartBatching(schedCtx, 256)
	go m.Cases.Run(schedCtx, time.Minute, func(f string, a ...any) { m.Logger.Info(fmt.Sprintf(f, a...)) })
	go m.periodically(schedCtx, time.Minute, "expire orders", m.expireOrders)
	if months := m.Config.PointsValidMonths; months > 0 {
		go m.periodically(schedCtx, time.Hour, "expire points", func(ctx context.Context) error {
			w, n, err := m.Ledger.ExpireDue(ctx, ledger.Cutoff(time.Now(), months))
			if n > 0 {
				m.Logger.Info("points expired", "wallets", w, "points", n)
			}
			return err
		})
	}
	// A year imported from the command line while the server runs is used
	// without a restart (an import through the API takes effect at once).
	go m.periodically(schedCtx, 5*time.Minute, "reload the holiday calendar", m.Holidays.Reload)
	if missing := m.Holidays.Missing(time.Now()); len(missing) > 0 {
		m.Logger.Warn("no official holiday calendar for these years: their deadlines count Monday to Friday only; import the State Council's notice with `civicgrid holidays import`",
			"years", missing, "have", m.Holidays.Describe())
	}
	m.Logger.Info("listening", "url", m.URL(), "database", m.DB.Dialect().String(), "regions", m.Regions.Tree().Len())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := m.server.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	m.Logger.Info("stopped")
	return err
}

// periodically runs job now and then every interval until ctx ends,
// logging what fails: the background chores below.
func (m *Main) periodically(ctx context.Context, every time.Duration, what string, job func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			m.Logger.Error(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// expireOrders releases the points and stock of orders not collected by
// the end of their redemption day.
func (m *Main) expireOrders(ctx context.Context) error {
	n, err := m.Markets.ExpireDue(ctx)
	if n > 0 {
		m.Logger.Info("orders expired", "count", n)
	}
	return err
}

// Close releases the database.
func (m *Main) Close() error {
	if m.server != nil {
		m.server.Close()
	}
	if m.stopLive != nil {
		m.stopLive()
	}
	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}
