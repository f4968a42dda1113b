package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"civicgrid/internal/loadtest"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "ledger" {
		return cmdBenchLedger(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "survey" {
		return cmdBenchSurvey(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "intake" {
		return fmt.Errorf("bench: want: bench intake|ledger|survey [--n N] [--concurrency C]")
	}
	fs := newFlags("bench intake", stderr)
	n := fs.Int("n", 20000, "reports to post")
	c := fs.Int("concurrency", 64, "concurrent clients")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the posting phase to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := loadtest.IntakeConfig{N: *n, Concurrency: *c, Out: stderr}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Profile = f
	}
	res, err := loadtest.Intake(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res.Line())
	return nil
}
