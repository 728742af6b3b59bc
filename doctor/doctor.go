// Package doctor checks every connection and setting hiresync depends on
// (Temporal, the ClarityHire secrets, the routes, Slack, HubSpot, the hire
// hand-off) with few, short, read-only calls, and says for each one what is
// wrong and what to do about it. `hiresync doctor` prints its report;
// `serve` and `worker` log its failures at start-up and keep running.
package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync/config"
)

// DefaultTimeout bounds each call a check makes.
const DefaultTimeout = 5 * time.Second

// Status is how a check came out.
type Status int

// The statuses, from best to worst.
const (
	// Pass is a check that found nothing wrong.
	Pass Status = iota
	// Skip is a check not made: the setting is off, or an earlier check
	// failed and this one would only repeat it.
	Skip
	// Warn is something to look at that does not stop hiresync working.
	Warn
	// Fail is something that stops part of hiresync working.
	Fail
)

func (s Status) String() string {
	return [...]string{"ok", "skip", "warn", "FAIL"}[s]
}

// Check is one line of the report.
type Check struct {
	// Name says what was checked, like "slack: channel C0HIRING".
	Name   string
	Status Status
	// Detail says what was found.
	Detail string
	// Fix says what to do, for a warning or a failure.
	Fix string
}

// Report is every check, in the order made.
type Report struct {
	Checks []Check
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return len(r.Failures()) > 0 }

// Failures are the failed checks.
func (r Report) Failures() []Check { return r.with(Fail) }

// Warnings are the checks that warn.
func (r Report) Warnings() []Check { return r.with(Warn) }

func (r Report) with(s Status) []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == s {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the check of that name.
func (r Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// ANSI colours for a terminal.
var colours = map[Status]string{Pass: "\x1b[32m", Skip: "\x1b[2m", Warn: "\x1b[33m", Fail: "\x1b[31m"}

// Print writes one line per check, its fix indented under it, and a last
// line that counts failures and warnings; colour for a terminal.
func (r Report) Print(w io.Writer, colour bool) {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Checks {
		mark := fmt.Sprintf("%-4s", c.Status)
		if colour {
			mark = colours[c.Status] + mark + "\x1b[0m"
		}
		fmt.Fprintf(w, "%s  %-*s  %s\n", mark, width, c.Name, c.Detail)
		if c.Fix != "" && (c.Status == Fail || c.Status == Warn) {
			fmt.Fprintf(w, "      %*s  → %s\n", width, "", c.Fix)
		}
	}
	fails, warns := len(r.Failures()), len(r.Warnings())
	switch {
	case fails > 0:
		fmt.Fprintf(w, "%d failed, %d warning(s): fix the failures above, then run `hiresync doctor` again\n", fails, warns)
	case warns > 0:
		fmt.Fprintf(w, "all checks passed, %d warning(s)\n", warns)
	default:
		fmt.Fprintln(w, "all checks passed")
	}
}

// Params are what the checks read: the configuration as serve reads it,
// and the few settings it does not keep.
type Params struct {
	Config   *config.Config
	Temporal client.Client
	// Ingress and Worker say whose settings to check: the ClarityHire
	// secrets and the Slack signing secret are the ingress's; routes,
	// Slack, HubSpot and the hand-off the worker's.
	Ingress, Worker bool
	// ExpectWorker checks that a worker polls the task queue (not from
	// inside the worker itself).
	ExpectWorker bool
	// WebhookSecrets is CLARITYHIRE_WEBHOOK_SECRETS as set.
	WebhookSecrets string
	// HandoffURL and HandoffSecret are HIRESYNC_HANDOFF_URL and _SECRET.
	HandoffURL, HandoffSecret string
	// SendTestHandoff sends one signed test delivery to HandoffURL.
	SendTestHandoff bool
	// Timeout bounds each call; DefaultTimeout when zero.
	Timeout time.Duration
	// HTTPClient makes the Slack, HubSpot and hand-off calls; one with
	// Timeout when nil.
	HTTPClient *http.Client
}

// run holds one run's params and its report as it grows.
type run struct {
	Params
	report Report
}

func (r *run) add(c Check) { r.report.Checks = append(r.report.Checks, c) }

func (r *run) pass(name, detail string) { r.add(Check{Name: name, Status: Pass, Detail: detail}) }

func (r *run) skip(name, detail string) { r.add(Check{Name: name, Status: Skip, Detail: detail}) }

func (r *run) warn(name, detail, fix string) {
	r.add(Check{Name: name, Status: Warn, Detail: detail, Fix: fix})
}

func (r *run) fail(name, detail, fix string) {
	r.add(Check{Name: name, Status: Fail, Detail: detail, Fix: fix})
}

// call is a context for one call, bounded by the timeout.
func (r *run) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.Timeout)
}

// Run makes every check and returns the report.
func Run(ctx context.Context, p Params) Report {
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.HTTPClient == nil {
		p.HTTPClient = &http.Client{Timeout: p.Timeout}
	}
	r := &run{Params: p}
	r.checkTemporal(ctx)
	if p.Ingress {
		r.checkWebhookSecrets()
	}
	var routes *config.Routes
	if p.Worker {
		routes = r.checkRoutes()
	}
	if p.Worker || p.Ingress {
		r.checkSlack(ctx, routes)
	}
	if p.Worker {
		r.checkHubSpot(ctx)
		r.checkHandoff(ctx)
	}
	return r.report
}

// oneLine keeps an error's text to one line for the report.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
