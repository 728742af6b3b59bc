package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doctor"
	"github.com/hiresync/hiresync/temporalclient"
)

// runDoctor checks every connection and setting, prints one line each,
// and fails when any check fails.
func runDoctor(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	sendTest := fs.Bool("send-test-handoff", false, "send one signed test delivery to HIRESYNC_HANDOFF_URL and want a 2xx")
	timeout := fs.Duration("timeout", doctor.DefaultTimeout, "longest wait for each call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(nil, config.RoleClient)
	if err != nil {
		return err
	}
	// The client's own logs would only repeat the report's Temporal lines.
	c, err := temporalclient.New(cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		return err
	}
	defer c.Close()
	params := doctorParams(cfg, c, true, true)
	params.ExpectWorker = true
	params.SendTestHandoff = *sendTest
	params.Timeout = *timeout
	report := doctor.Run(ctx, params)
	report.Print(stdout, isTerminal(stdout))
	if n := len(report.Failures()); n > 0 {
		return fmt.Errorf("doctor: %d check(s) failed", n)
	}
	return nil
}

// doctorParams are the checks' inputs for a process with these roles: the
// configuration, and the settings config keeps only for some roles.
func doctorParams(cfg *config.Config, c client.Client, ingress, worker bool) doctor.Params {
	env := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	return doctor.Params{
		Config: cfg, Temporal: c, Ingress: ingress, Worker: worker,
		WebhookSecrets: env("CLARITYHIRE_WEBHOOK_SECRETS"),
		HandoffURL:     env("HIRESYNC_HANDOFF_URL"),
		HandoffSecret:  env("HIRESYNC_HANDOFF_SECRET"),
	}
}

// startupChecks runs doctor's checks once, in the background, for serve,
// ingress and worker: each failure is logged as a warning and the process
// keeps running (a wrong channel must not stop the whole service).
func startupChecks(ctx context.Context, log *slog.Logger, cfg *config.Config, c client.Client, ingress, worker bool) {
	params := doctorParams(cfg, c, ingress, worker)
	// A worker of its own would only find itself; an ingress alone hears
	// of a missing worker.
	params.ExpectWorker = !worker
	report := doctor.Run(ctx, params)
	if ctx.Err() != nil {
		return
	}
	for _, ch := range report.Checks {
		switch ch.Status {
		case doctor.Fail:
			log.Warn("start-up check failed: "+ch.Name, "detail", ch.Detail, "fix", ch.Fix)
		case doctor.Warn:
			log.Info("start-up check warns: "+ch.Name, "detail", ch.Detail, "fix", ch.Fix)
		}
	}
	log.Info("start-up checks done", "failed", len(report.Failures()), "warnings", len(report.Warnings()),
		"checks", len(report.Checks), "hint", "run `hiresync doctor` for the full report")
}

// isTerminal reports whether w is a terminal, for colour.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startupCheckDelay lets the ingress and the worker come up first: the
// checks never hold up serving.
const startupCheckDelay = 2 * time.Second
