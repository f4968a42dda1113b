// Package e2e drives the real civicgrid server with a real headless
// Chromium (chromedp): the journeys a county official, a town official, an
// auditor and an account administrator take on a phone and on a desktop.
//
// The browser is /usr/bin/chromium, or $CIVICGRID_CHROMIUM. Without one the
// tests skip, except when $CI is set: in CI a skipped browser test is a
// failure. With $CIVICGRID_SCREENSHOTS set, full-page screenshots go to
// screenshots/ at the repository root (or to the folder the variable names,
// if it is not "1" or "true").
package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"civicgrid/internal/app"
)

const (
	demoPassword = "Heze@2025"
	// stepTimeout bounds one browser step, so a hang fails well within a minute.
	stepTimeout = 20 * time.Second
	// startTimeout bounds starting the browser.
	startTimeout = 30 * time.Second
)

var han = regexp.MustCompile(`\p{Han}`)

// ---- the server: one per test binary ---------------------------------------

var server struct {
	once    sync.Once
	main    *app.Main
	url     string
	err     error
	dataDir string
	cancel  context.CancelFunc
	done    chan error
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopServer()
	os.Exit(code)
}

// baseURL starts the shared server with the demo data on first use and
// returns its URL.
func baseURL(t *testing.T) string {
	t.Helper()
	server.once.Do(startServer)
	if server.err != nil {
		t.Fatalf("start server: %v", server.err)
	}
	return server.url
}

func startServer() {
	// One server serves every test, so its data outlives any one test's
	// t.TempDir; TestMain removes it.
	dir, err := os.MkdirTemp("", "civicgrid-e2e-")
	if err != nil {
		server.err = err
		return
	}
	server.dataDir = dir
	var out io.Writer = io.Discard
	if os.Getenv("CIVICGRID_E2E_LOG") != "" {
		out = os.Stderr
	}
	m := app.NewMain(app.Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: true, Out: out})
	octx, ocancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer ocancel()
	if err := m.Open(octx); err != nil {
		server.err = fmt.Errorf("open: %w", err)
		m.Close()
		return
	}
	if err := m.Listen(); err != nil {
		server.err = fmt.Errorf("listen: %w", err)
		m.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	server.main, server.url, server.cancel, server.done = m, m.URL(), cancel, make(chan error, 1)
	go func() { server.done <- m.Serve(ctx) }()
}

func stopServer() {
	if server.main == nil {
		if server.dataDir != "" {
			os.RemoveAll(server.dataDir)
		}
		return
	}
	server.cancel()
	select {
	case <-server.done:
	case <-time.After(20 * time.Second):
	}
	server.main.Close()
	os.RemoveAll(server.dataDir)
}

// ---- the browser ----------------------------------------------------------

// chromiumPath returns the browser to run, or skips (locally) or fails (in
// CI) when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CIVICGRID_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s (set CIVICGRID_CHROMIUM, or apt-get install chromium fonts-wqy-microhei): %v", p, err)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium fonts-wqy-microhei, or set CIVICGRID_CHROMIUM): %v", p, err)
	}
	return p
}

// device is a viewport to emulate.
type device struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	phone   = device{name: "phone", width: 375, height: 812, mobile: true}
	desktop = device{name: "desktop", width: 1366, height: 900}
)

// browser is one tab of a headless Chromium, bound to a test.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; steps derive their timeouts from it
	base string
	dev  device

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts a fresh Chromium (own profile) with one tab emulating
// dev. Everything is closed when the test ends.
func newBrowser(t *testing.T, dev device) *browser {
	t.Helper()
	exe := chromiumPath(t)
	base := baseURL(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(dev.width), int(dev.height)),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancel(); acancel() })

	// The first Do starts the browser and binds it to ctx, so it cannot run
	// under a timeout context; a watchdog bounds it instead.
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		t.Fatalf("starting Chromium took longer than %v", startTimeout)
	}
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return attach(t, ctx, base, dev)
}

// incognito opens a tab in a new browser context of the same Chromium: no
// cookies shared with b, as a second person on another machine.
func (b *browser) incognito(dev device) *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		b.t.Fatalf("opening a tab took longer than %v", startTimeout)
	}
	if err != nil {
		b.t.Fatalf("open a tab in a new browser context: %v", err)
	}
	return attach(b.t, ctx, b.base, dev)
}

func attach(t *testing.T, ctx context.Context, base string, dev device) *browser {
	b := &browser{t: t, ctx: ctx, base: base, dev: dev}
	vp := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if dev.mobile {
		vp = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch}
	}
	b.do("emulate "+dev.name, chromedp.EmulateViewport(dev.width, dev.height, vp...))

	// Keep what the page says on the console (script errors, refused
	// resources, CSP violations) for the report.
	msgs := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		<-done
		for _, m := range b.consoleMessages() {
			t.Logf("console %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	})
	return b
}

func (b *browser) consoleMessages() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// pageErrors returns uncaught script errors and CSP refusals seen so far.
func (b *browser) pageErrors() []string {
	var out []string
	for _, m := range b.consoleMessages() {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.Text)
		}
	}
	return out
}

// ---- steps ------------------------------------------------------------------

// do runs actions as one step with a timeout; on failure the test stops with
// where the browser was and what it showed.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// run runs one action that returns a value, as one step with a timeout.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// load runs actions that navigate (a click on a link or a submit button) and
// waits until the next page has loaded; it returns that page's response.
func (b *browser) load(what string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.fail(what, err)
	}
	return resp
}

// open navigates to a path of the server and returns the response.
func (b *browser) open(path string) *network.Response {
	b.t.Helper()
	return run(b, "open "+path, chromedp.NavigateResponse(b.base+path))
}

func (b *browser) fail(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len([]rune(body)) > 1500 {
		body = string([]rune(body)[:1500]) + "…"
	}
	if dir := screenshotDir(); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			name := "FAIL-" + strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()) + ".png"
			os.WriteFile(filepath.Join(dir, name), png, 0o644)
		}
	}
	b.t.Fatalf("%s: %v\n  at %s\n  page text:\n%s", what, err, loc, indent(body))
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}

// path is the current location's path and query.
func (b *browser) path() string {
	b.t.Helper()
	return run(b, "read location", chromedp.Evaluate[string](`location.pathname + location.search`))
}

// text is the visible text of the first element matching a CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "read text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, what, js string) T {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[T](js))
}

// testid is a CSS selector for a data-testid attribute.
func testid(id string) string { return `[data-testid="` + id + `"]` }

// login signs in through the login form and returns where it landed.
func (b *browser) login(user, password string) *network.Response {
	b.t.Helper()
	b.open("/login")
	b.do("fill the login form as "+user,
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
	)
	return b.load("submit the login form as "+user, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`), chromedp.NodeVisible))
}

// mustLogin signs in and checks that it worked.
func (b *browser) mustLogin(user string) {
	b.t.Helper()
	resp := b.login(user, demoPassword)
	if resp == nil || resp.Status != 200 {
		b.fail("login as "+user, fmt.Errorf("response %+v", statusOf(resp)))
	}
	if p := b.path(); strings.HasPrefix(p, "/login") {
		b.fail("login as "+user, fmt.Errorf("still on %s", p))
	}
	if who := b.whoami(); !strings.HasPrefix(who, user) {
		b.fail("login as "+user, fmt.Errorf("whoami says %q", who))
	}
}

func (b *browser) whoami() string {
	b.t.Helper()
	return b.text(testid("whoami"))
}

func statusOf(r *network.Response) string {
	if r == nil {
		return "no response"
	}
	return fmt.Sprintf("%d %s", r.Status, r.URL)
}

// ---- screenshots -------------------------------------------------------------

// screenshotDir is where screenshots go, or "" when they are not wanted.
func screenshotDir() string {
	v := os.Getenv("CIVICGRID_SCREENSHOTS")
	if v == "" || v == "0" || v == "false" {
		return ""
	}
	dir := v
	if v == "1" || v == "true" {
		dir = filepath.Join("..", "..", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	return dir
}

// shot saves a full-page PNG as screenshots/<name>.png when screenshots are
// wanted.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := screenshotDir()
	if dir == "" {
		return
	}
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}
