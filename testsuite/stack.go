package testsuite

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
	"github.com/hiresync/hiresync/temporalclient"
	"github.com/hiresync/hiresync/worker"
)

// TestSecret signs the harness's deliveries.
const TestSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// Routes are the harness's job routes: two routed jobs and a default.
var Routes = config.Routes{
	DefaultChannel: "C0HIRING",
	Jobs:           map[string]config.JobRoute{"job_BE42": {Channel: "C0BACKEND"}, "job_DS07": {Channel: "C0DESIGN"}},
}

// The recruiters of LoopRoutes: the default one by user id, job_DS07's and
// job_NUDGE's by an email the Slack double resolves (RecruiterUser).
const (
	DefaultRecruiter    = "U0LEAD"
	RecruiterEmail      = "maya@acme.example"
	RecruiterID         = "U0MAYA"
	ProvisioningChannel = "C0ITHIRES"
	// NudgedJob is the job whose applications are nudged after
	// NudgeQuiet in status applied.
	NudgedJob  = "job_NUDGE"
	NudgeQuiet = 2 * time.Second
)

// LoopRoutes are Routes with recruiters, a provisioning channel and short
// nudges for NudgedJob; pass RecruiterUser to the Slack double with them.
func LoopRoutes() *config.Routes {
	r := Routes
	r.DefaultRecruiter, r.ProvisioningChannel = DefaultRecruiter, ProvisioningChannel
	r.Jobs = map[string]config.JobRoute{
		"job_BE42": {Channel: "C0BACKEND"},
		"job_DS07": {Channel: "C0DESIGN", Recruiter: RecruiterEmail},
		NudgedJob:  {Channel: "C0BACKEND", Recruiter: RecruiterEmail, Nudges: map[string]time.Duration{string(hiresync.StatusApplied): NudgeQuiet}},
	}
	return &r
}

// RecruiterUser is the Slack double's member that LoopRoutes' email
// resolves to.
func RecruiterUser() slackdouble.Option { return slackdouble.WithUser(RecruiterID, RecruiterEmail) }

// Stack is hiresync running for real against a dev server, with the
// doubles: the ingress on a loopback port, a worker on its own task queue.
type Stack struct {
	Temporal client.Client
	Slack    *slackdouble.Server
	HubSpot  *hubspotdouble.Double
	// Handoff is the hand-off receiver, when StackOptions.Handoff.
	Handoff    *handoffdouble.Double
	WebhookURL string
	Sender     *clarityhire.Sender
	TaskQueue  string
	Config     *config.Config
	Logs       *SyncBuffer
	// IngressURL is the ingress's base URL (its /metrics, /healthz…).
	IngressURL string
	// Metrics is the registry of the stack's worker (kept across restarts)
	// and of the Temporal SDK's metrics of the stack's client.
	Metrics *prometheus.Registry

	log          *slog.Logger
	workerCancel context.CancelFunc
	workerDone   chan error
}

// StackOptions adjust a Stack.
type StackOptions struct {
	// SlackOptions configure the Slack double.
	SlackOptions []slackdouble.Option
	// HubSpot configures the HubSpot double.
	HubSpot hubspotdouble.Options
	// HubSpotLimit is the client's request budget (default 100 per 10 s).
	HubSpotLimit hubspot.Limit
	// SlackPerSecond is the poster's per-channel rate (default 50, fast).
	SlackPerSecond float64
	// NoWorker starts the ingress alone.
	NoWorker bool
	// PayloadKeys switch payload encryption on (HIRESYNC_PAYLOAD_KEY).
	PayloadKeys []codec.Key
	// Routes replace the harness's Routes (recruiters, a provisioning
	// channel, nudges).
	Routes *config.Routes
	// Handoff starts the hand-off receiver double and points the worker
	// at it, with attempts of HandoffTimeout (default 2 s).
	Handoff        bool
	HandoffOptions handoffdouble.Options
	HandoffTimeout time.Duration
}

// StartStack runs the ingress and a worker against the dev server at addr,
// on a task queue of the test's own, until the test ends.
func StartStack(t testing.TB, addr string, o StackOptions) *Stack {
	t.Helper()
	slack := slackdouble.Start(t, o.SlackOptions...)
	hub, err := hubspotdouble.Start(o.HubSpot)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hub.Close() })

	keys, err := signature.ParseSecrets(TestSecret)
	if err != nil {
		t.Fatal(err)
	}
	routes := Routes
	if o.Routes != nil {
		routes = *o.Routes
	}
	if o.SlackPerSecond == 0 {
		o.SlackPerSecond = 50
	}
	if o.HubSpotLimit.Requests == 0 {
		o.HubSpotLimit = hubspot.DefaultLimit
	}
	cfg := &config.Config{
		Temporal:       client.Options{HostPort: addr, Namespace: "default"},
		TaskQueue:      "hiresync-" + sanitize(t.Name()),
		WebhookKeys:    keys,
		Routes:         &routes,
		SlackToken:     slack.Token(),
		SlackAPIURL:    slack.APIURL(),
		SlackPerSecond: o.SlackPerSecond,
		HubSpotToken:   hub.Token(),
		HubSpotAPIURL:  hub.URL(),
		HubSpotRate:    o.HubSpotLimit.Requests,
		HubSpotWindow:  o.HubSpotLimit.Interval,
		HireStage:      hubspot.DefaultHireStage,
		PayloadKeys:    o.PayloadKeys,
	}
	var hand *handoffdouble.Double
	if o.Handoff {
		hand = handoffdouble.Start(t, o.HandoffOptions)
		cfg.HandoffURL, cfg.HandoffSecret = hand.HookURL(), hand.Secret()
		cfg.HandoffTimeout = o.HandoffTimeout
		if cfg.HandoffTimeout == 0 {
			cfg.HandoffTimeout = 2 * time.Second
		}
	}
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := hubspot.Setup(ctx, hubspot.New(hubspot.Config{BaseURL: hub.URL(), Token: hub.Token()}), slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	metrics := prometheus.NewRegistry()
	c, err := temporalclient.New(cfg, log, metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	in := ingress.New(ingress.Config{TaskQueue: cfg.TaskQueue, Keys: keys}, c, log, prometheus.NewRegistry())
	srv := httptest.NewServer(in.Handler())
	t.Cleanup(srv.Close)

	s := &Stack{
		Temporal:   c,
		Slack:      slack,
		HubSpot:    hub,
		Handoff:    hand,
		WebhookURL: srv.URL + hiresync.WebhookPath,
		Sender:     &clarityhire.Sender{URL: srv.URL + hiresync.WebhookPath, Keys: keys, Attempts: 30, Backoff: 100 * time.Millisecond},
		TaskQueue:  cfg.TaskQueue,
		Config:     cfg,
		Logs:       logs,
		IngressURL: srv.URL,
		Metrics:    metrics,
		log:        log,
	}
	if !o.NoWorker {
		s.StartWorker(t)
	}
	t.Cleanup(s.StopWorker)
	return s
}

// StartWorker starts the stack's worker (again).
func (s *Stack) StartWorker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s.workerCancel = cancel
	s.workerDone = make(chan error, 1)
	go func() {
		s.workerDone <- worker.Run(ctx, s.Config, s.Temporal, s.log, s.Metrics, false)
	}()
}

// StopWorker stops the stack's worker gracefully and waits for it.
func (s *Stack) StopWorker() {
	if s.workerCancel == nil {
		return
	}
	s.workerCancel()
	<-s.workerDone
	s.workerCancel = nil
}

// Send delivers each in order, as ClarityHire would (retrying), and fails
// the test for any delivery not answered 202.
func (s *Stack) Send(t testing.TB, ds ...clarityhire.Delivery) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, d := range ds {
		res, err := s.Sender.Send(ctx, d)
		if err != nil {
			t.Fatalf("deliver %s: %v", d.ID, err)
		}
		if res.Status != 202 {
			t.Fatalf("deliver %s: status %d: %s", d.ID, res.Status, res.Body)
		}
	}
}

// Timeline queries a candidate's timeline.
func (s *Stack) Timeline(ctx context.Context, candidateID string) ([]hiresync.TimelineEntry, error) {
	var tl []hiresync.TimelineEntry
	return tl, s.query(ctx, candidateID, hiresync.TimelineQuery, &tl)
}

// State queries a candidate's whole state.
func (s *Stack) State(ctx context.Context, candidateID string) (hiresync.CandidateState, error) {
	var st hiresync.CandidateState
	return st, s.query(ctx, candidateID, hiresync.StateQuery, &st)
}

func (s *Stack) query(ctx context.Context, candidateID, name string, out any) error {
	v, err := s.Temporal.QueryWorkflow(ctx, hiresync.WorkflowID(candidateID), "", name)
	if err != nil {
		return err
	}
	return v.Get(out)
}

// WaitSettled waits until each candidate's timeline holds want[candidate]
// events, every one with its actions done (none in flight), and returns
// the timelines. Call it once every delivery was acknowledged. On timeout it reports what each unsettled candidate is
// waiting for.
func (s *Stack) WaitSettled(t testing.TB, want map[string]int, timeout time.Duration) map[string][]hiresync.TimelineEntry {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := map[string][]hiresync.TimelineEntry{}
	settled := map[string]bool{} // all events are sent: a settled candidate stays settled
	for {
		var unsettled []string
		for cand, n := range want {
			if settled[cand] {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			tl, err := s.Timeline(ctx, cand)
			cancel()
			switch {
			case err != nil:
				unsettled = append(unsettled, cand+": "+err.Error())
			case len(tl) != n || !allActed(tl):
				unsettled = append(unsettled, cand)
			default:
				settled[cand] = true
			}
			got[cand] = tl
		}
		if len(unsettled) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for i, cand := range unsettled {
				if i == 5 {
					fmt.Fprintf(&b, "… and %d more\n", len(unsettled)-5)
					break
				}
				b.WriteString(s.diagnose(cand, want[cand], got[cand]))
			}
			t.Fatalf("%d timelines did not settle within %s:\n%s", len(unsettled), timeout, b.String())
		}
		time.Sleep(200 * time.Millisecond) // polling interval, not a wait for an outcome
	}
}

// diagnose says why a candidate's timeline is not settled: events missing,
// actions in flight, and the workflow's pending activities.
func (s *Stack) diagnose(cand string, want int, tl []hiresync.TimelineEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d events", cand, len(tl), want)
	for _, e := range tl {
		if len(e.Actions) == 0 {
			fmt.Fprintf(&b, "; %s (%s) in flight", e.EventID, e.Type)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d, err := s.Temporal.DescribeWorkflowExecution(ctx, hiresync.WorkflowID(cand), ""); err == nil {
		fmt.Fprintf(&b, "; status %s", d.GetWorkflowExecutionInfo().GetStatus())
		for _, p := range d.GetPendingActivities() {
			fmt.Fprintf(&b, "; pending %s attempt %d state %s last failure %q next at %s",
				p.GetActivityType().GetName(), p.GetAttempt(), p.GetState(), p.GetLastFailure().GetMessage(),
				p.GetNextAttemptScheduleTime().AsTime().Format(time.TimeOnly))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func allActed(tl []hiresync.TimelineEntry) bool {
	for _, e := range tl {
		if len(e.Actions) == 0 {
			return false
		}
	}
	return true
}

// History returns the latest run's whole history as JSON, for leak checks
// and replay fixtures.
func (s *Stack) History(ctx context.Context, workflowID string) ([]byte, error) {
	return s.HistoryRun(ctx, workflowID, "")
}

// HistoryRun returns one run's history as JSON, in the format the SDK's
// replayer and `temporal workflow show -o json` use.
func (s *Stack) HistoryRun(ctx context.Context, workflowID, runID string) ([]byte, error) {
	iter := s.Temporal.GetWorkflowHistory(ctx, workflowID, runID, false, 0)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, err
		}
		h.Events = append(h.Events, e)
	}
	return temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
}

var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]+)"`)

// Readable is a history as JSON with every payload's data decoded from
// base64 and appended, so a search of it sees what payloads carry.
func Readable(history []byte) string {
	var b strings.Builder
	b.Write(history)
	for _, m := range payloadData.FindAllSubmatch(history, -1) {
		if raw, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			b.WriteByte('\n')
			b.Write(raw)
		}
	}
	return b.String()
}

// SyncBuffer is a bytes buffer safe for concurrent writers (log capture).
type SyncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func sanitize(name string) string {
	out := []byte(name)
	for i, c := range out {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			out[i] = '-'
		}
	}
	return string(out)
}
