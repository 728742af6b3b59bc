package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/replay"
	"github.com/hiresync/hiresync/temporalclient"
)

// runReplay replays recorded CandidateWorkflow histories against this
// binary's workflow code: one workflow (-workflow-id), every workflow a
// visibility query lists (-query), or an exported history (-file). It
// prints one line per workflow and fails when any does not replay.
func runReplay(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workflowID := fs.String("workflow-id", "", "replay this workflow's history from Temporal (candidate:<id>)")
	runID := fs.String("run-id", "", "with -workflow-id: this run (default the latest)")
	query := fs.String("query", "", `replay every workflow this visibility query lists, e.g. 'ExecutionStatus="Running"'`)
	limit := fs.Int("limit", 1000, "with -query: replay at most this many workflows")
	perSecond := fs.Float64("rate", 5, "with -query: Temporal calls a second (list pages and histories)")
	file := fs.String("file", "", "replay a history file exported with temporal workflow show -o json")
	verbose := fs.Bool("v", false, "show the SDK's replay logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sources := 0
	for _, set := range []bool{*workflowID != "", *query != "", *file != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		fs.Usage()
		return errors.New("replay: give one of -workflow-id, -query or -file")
	}
	if *limit < 1 || *perSecond <= 0 {
		return errors.New("replay: -limit and -rate must be positive")
	}

	cfg, err := config.Load(nil, config.RoleClient)
	if err != nil {
		return err
	}
	var dc converter.DataConverter
	var fc converter.FailureConverter
	if len(cfg.PayloadKeys) > 0 {
		dc = codec.DataConverter(cfg.PayloadKeys)
		fc = codec.FailureConverter(dc)
	}
	var replayLog sdklog.Logger
	if *verbose {
		replayLog = sdklog.NewStructuredLogger(log)
	}
	r := replay.New(dc, fc, replayLog)

	if *file != "" {
		h, err := replay.LoadFile(*file)
		if err != nil {
			return err
		}
		res := r.Replay("", "", h)
		res.WorkflowID = *file // a file holds no workflow id: its name stands for one
		return reportOne(stdout, res)
	}

	c, err := temporalclient.New(cfg, log, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if *workflowID != "" {
		h, err := replay.Fetch(ctx, c, *workflowID, *runID)
		if err != nil {
			return err
		}
		return reportOne(stdout, r.Replay(*workflowID, *runID, h))
	}

	failed, err := r.ReplayQuery(ctx, c, replay.Query{
		Query: *query, Limit: *limit, PerSecond: *perSecond,
		Progress: func(done, failed, total int) {
			if done%25 == 0 || done == total {
				fmt.Fprintf(stderr, "replayed %d of %d (%d failed)\n", done, total, failed)
			}
		},
	}, func(res replay.Result) { fmt.Fprintln(stdout, res) })
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("replay: %d workflows did not replay", failed)
	}
	return nil
}

func reportOne(stdout io.Writer, res replay.Result) error {
	fmt.Fprintln(stdout, res)
	if !res.OK() {
		return errors.New("replay: the workflow did not replay")
	}
	return nil
}
