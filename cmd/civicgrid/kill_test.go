package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"civicgrid/internal/app"
	"civicgrid/internal/store"
)

// TestMain lets the test binary act as the server in a child process, so the
// crash test can SIGKILL a real server without building the command first.
func TestMain(m *testing.M) {
	if os.Getenv("CIVICGRID_TEST_CHILD") == "serve" {
		err := run(context.Background(), []string{"serve", "--data", os.Getenv("CIVICGRID_TEST_DATA"), "--addr", os.Getenv("CIVICGRID_TEST_ADDR"), "--log-level", "error"}, io.Discard, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T, dir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CIVICGRID_TEST_CHILD=serve", "CIVICGRID_TEST_DATA="+dir, "CIVICGRID_TEST_ADDR="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("server did not come up")
	return nil
}

// killMidLoad serves dir from a child process, runs post from 16 clients
// until want requests were acknowledged (post returns the stored id, or ""),
// pulls the plug with SIGKILL, then restarts the server once on the crashed
// data and stops it. It returns what was acknowledged before the kill.
func killMidLoad(t *testing.T, dir string, want int, post func(addr string, g, i int) string) []string {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	child := startChild(t, dir, addr)
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if id := post(addr, g, i); id != "" {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= want {
			break
		}
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 100 {
		t.Fatalf("only %d requests acknowledged before the kill", len(acked))
	}
	// Restart: the server must come up on the crashed database.
	child = startChild(t, dir, addr)
	child.Process.Signal(syscall.SIGTERM)
	child.Wait()
	return acked
}

// TestKillDuringIntake kills the server with SIGKILL in the middle of a
// load, restarts it, and checks that every report that was answered 2xx is
// stored, whole: with its history entry, and the database is intact.
func TestKillDuringIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short")
	}
	dir := t.TempDir()
	ctx := context.Background()
	m := app.NewMain(app.Config{DataDir: dir, Demo: true, Out: io.Discard})
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	grid, _ := m.Regions.Tree().Get("371722001001001")
	p := grid.Boundary.InteriorPoint()
	m.Close()

	client := &http.Client{Timeout: 5 * time.Second}
	acked := killMidLoad(t, dir, 300, func(addr string, g, i int) string {
		body, _ := json.Marshal(map[string]any{"channel": "web", "category": "1101", "description": "崩溃测试", "lng": p.Lng, "lat": p.Lat, "idempotency_key": fmt.Sprintf("kill-%d-%d", g, i)})
		resp, err := client.Post("http://"+addr+"/api/v1/cases", "application/json", bytes.NewReader(body))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var out struct{ Case struct{ ID string } }
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusCreated {
			return ""
		}
		return out.Case.ID
	})

	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.Raw().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var missing, halfWritten, total int
	err = db.Read(ctx, func(tx *store.Tx) error {
		for _, id := range acked {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM cases WHERE id = ?", id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				missing++
			}
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'report')").Scan(&halfWritten); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*) FROM cases").Scan(&total)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged before SIGKILL, %d stored after restart", len(acked), total)
	if missing > 0 {
		t.Fatalf("%d acknowledged reports lost", missing)
	}
	if halfWritten > 0 {
		t.Fatalf("%d cases without their history entry", halfWritten)
	}
}
