// Command hiresync receives ClarityHire webhooks and keeps Slack and HubSpot
// in step with every candidate, durably, on Temporal.
//
//	hiresync serve          ingress and worker in one process
//	hiresync ingress        the webhook receiver alone
//	hiresync worker         the Temporal worker alone
//	hiresync setup          register hiresync's search attributes
//	hiresync hubspot setup  create hiresync's HubSpot contact properties
//	hiresync doctor         check every connection and setting, one line each
//	hiresync simulate       send signed sample events or generated stories
//	hiresync doubles        serve the local Slack and HubSpot doubles
//	hiresync healthcheck    GET a health URL, exit 1 unless it answers 2xx
//	hiresync replay         replay recorded histories against this binary
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
	"syscall"
)

const usage = `hiresync — ClarityHire webhooks into Slack and HubSpot, on Temporal

usage: hiresync <command> [flags]

commands:
  serve            run the ingress and the worker in one process
  ingress          run the webhook ingress alone
  worker           run the Temporal worker alone
  setup            register the search attributes (CandidateId, JobIds, HiringStage, StalledSince)
  hubspot setup    create the HubSpot property group and contact properties
  doctor           check every connection and setting, one line each; exit 1 on any failure
                   (-send-test-handoff also sends a signed test hand-off)
  simulate         sign and send sample events or generated candidate stories
  doubles          serve the local Slack and HubSpot doubles (for make run)
  codec-server     decode encrypted payloads for the Web UI and temporal CLI
  healthcheck      GET -url (default http://127.0.0.1:8080/healthz); exit 1 unless 2xx
  replay           replay histories (-workflow-id, -query or -file) against this
                   binary's workflow code; exit 1 when any does not replay

Configuration is read from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hiresync:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	log := newLogger(stderr)
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, log, true, true)
	case "ingress":
		return runServe(ctx, log, true, false)
	case "worker":
		return runServe(ctx, log, false, true)
	case "setup":
		return runSetup(ctx, log, stdout)
	case "hubspot":
		if len(rest) == 0 || rest[0] != "setup" {
			return errors.New("usage: hiresync hubspot setup")
		}
		return runHubSpotSetup(ctx, log, stdout)
	case "doctor":
		return runDoctor(ctx, rest, stdout)
	case "simulate":
		return runSimulate(ctx, rest, stdout, stderr)
	case "doubles":
		return runDoubles(ctx, rest, log)
	case "codec-server":
		return runCodecServer(ctx, rest, log)
	case "healthcheck":
		return runHealthcheck(ctx, rest, stderr)
	case "replay":
		return runReplay(ctx, rest, log, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// newLogger is the process's one logger: text for people, JSON with
// HIRESYNC_LOG_FORMAT=json for machines.
func newLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if os.Getenv("HIRESYNC_LOG_LEVEL") == "debug" {
		opts.Level = slog.LevelDebug
	}
	if os.Getenv("HIRESYNC_LOG_FORMAT") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
