package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync/testsuite"
	hsworker "github.com/hiresync/hiresync/worker"
)

// Row 5b: the backlog that builds up while no worker runs (a deploy, an
// outage), drained once one starts. A candidate's waiting events are taken
// together (one Slack activity per application, one contact write), so a
// backlog drains with far fewer activities and workflow tasks than the
// same events one at a time.
const (
	backlogCandidates = 150
	// backlogMaxActions is row 5b's target: Temporal actions per event.
	backlogMaxActions = 1.5
)

func benchBacklog(t *testing.T, rep *report, kind engineKind) {
	eng := startEngine(t, rep, kind)
	s := testsuite.StartStack(t, eng.addr, unlimited())
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	defer cancel()
	hc := httpClient(e2eSenders)
	defer hc.CloseIdleConnections()
	var retries atomic.Int64
	viaIngress := retried(viaHTTP(hc, s.WebhookURL, s.Sender.Keys), e2eAttempts, e2eRetryPause, nil, &retries)
	direct := retried(baselineSender(s.Temporal), e2eAttempts, e2eRetryPause, nil, &retries)

	// hiresync: the backlog through the ingress, then the worker.
	actions0 := actionMetric(eng.metrics)
	x, events := backlog(ctx, t, "blg", viaIngress)
	posts := 0
	for a := range x.Roots {
		posts += 1 + len(x.Replies[a])
	}
	workerLogs := &testsuite.SyncBuffer{}
	start := time.Now()
	wp := testsuite.StartProcess(t, s.WorkerEnv(t), workerLogs, "worker")
	ps := eng.procs(proc{"worker", wp.Pid()})
	cpu0 := ps.cpu()
	_, end, err := settled(ctx, s, x.Events, posts)
	if err != nil {
		t.Fatalf("hiresync: %v\nworker log tail:\n%s", err, tail(workerLogs.String(), 3000))
	}
	h := run{wall: end.Sub(start), cpu: since(cpu0, ps.cpu())}
	metric := diff(actions0, actionMetric(eng.metrics))
	check := s.Check(ctx, x)
	if len(check.Problems) > 0 {
		t.Errorf("the drained backlog is not what the events call for: %s; first problems: %v", check, check.Problems[:min(5, len(check.Problems))])
	}
	var cands []string
	for c := range x.Events {
		cands = append(cands, c)
	}
	a, err := countActions(ctx, s.Temporal, cands)
	if err != nil {
		t.Fatal(err)
	}
	perEvent := float64(a.billed()) / float64(events)
	crossed, metricBilled := crossCheck(metric, a)

	// The baseline: the same signals into do-nothing workflows, then their
	// worker.
	bx, _ := backlog(ctx, t, "bblg", direct)
	start = time.Now()
	bw := worker.New(s.Temporal, baselineQueue, hsworker.Options())
	bw.RegisterWorkflowWithOptions(baselineWorkflow, workflow.RegisterOptions{Name: baselineWorkflowType})
	if err := bw.Start(); err != nil {
		t.Fatal(err)
	}
	defer bw.Stop()
	last, err := completed(ctx, s.Temporal, bx.Events)
	if err != nil {
		t.Fatal(err)
	}
	b := last.Sub(start)

	heps, beps := float64(events)/h.wall.Seconds(), float64(events)/b.Seconds()
	t.Logf("%s: backlog of %d events drained in %s (%.0f/s), baseline %s (%.0f/s); %.2f actions per event; %s", kind, events, h.wall, heps, b, beps, perEvent, crossed)
	rep.add(row{
		ID:       "5b",
		Temporal: string(kind),
		What:     fmt.Sprintf("a backlog drained: %d candidates' full stories sent while no worker ran, then the worker started", backlogCandidates),
		Measured: fmt.Sprintf("%d events in %.1f s: %.0f events/s", events, h.wall.Seconds(), heps),
		Baseline: fmt.Sprintf("the same signals waiting for the do-nothing workflow's worker: %.1f s, %.0f events/s", b.Seconds(), beps),
		Ratio:    ratio(heps / beps),
		Target:   "for reading row 5",
		Met:      "—",
		Notes: fmt.Sprintf("timed from the worker's start (hiresync's worker is a process started then; the baseline's is in this one) until every action was done; "+
			"checker: %d lost, %d duplicate roots, %d duplicate replies, %d/%d contacts as mapped, %d problems; worker CPU %.1f s per 1,000 events",
			check.Lost, check.DuplicateRoots, check.DuplicateReplies, check.ContactsAsMapped, check.Contacts, len(check.Problems),
			h.cpuPer1000(events)[ps.engine]),
	})
	rep.add(row{
		ID:       "5b",
		Temporal: string(kind),
		What:     "Temporal actions per event in that backlog, as Temporal Cloud bills them",
		Measured: a.measured(events),
		Baseline: "—",
		Target:   fmt.Sprintf("≤ %.1f per event", backlogMaxActions),
		Met:      yes(perEvent <= backlogMaxActions),
		Notes: fmt.Sprintf("counted in the histories of all %d candidates; %d of the %d signals were taken together with another; "+
			"exempt and left out: %d TemporalChangeVersion upserts; cross-check with the frontend's `action` counter from the first "+
			"delivery until the backlog was drained, %s; billable by the metric (TemporalChangeVersion's upserts, as the histories count them, left out): %.0f, %.2f per event",
			len(cands), a.together, a.signals, a.versionUpserts, crossed, metricBilled, metricBilled/float64(events)),
	})
	verdict := "met"
	if perEvent > backlogMaxActions {
		verdict = "missed"
	}
	loops, timers := a.leverable()
	perCand := func(n int) float64 { return float64(n) / float64(len(cands)) }
	rep.finding("**Row 5b (backlog, %s): actions per event, %s.** %s In a backlog each candidate's waiting events "+
		"are taken together, so its activities are one Slack activity per application and one HubSpot write, "+
		"whatever the number of events. With both levers a candidate's own work would be %.2f actions (its Slack "+
		"activity, its contact write, one upsert of its stage and one timer) against the %.2f the target leaves for a "+
		"story of %.1f events: taking events together cannot reach the target for such a story; longer stories, or one "+
		"of those four gone, could.", kind, verdict, perCandidate(a, events, len(cands), backlogMaxActions),
		perCand(a.billed()-a.signals-loops-timers), backlogMaxActions*float64(events)/float64(len(cands))-perCand(a.signals),
		float64(events)/float64(len(cands)))
}

// backlog sends backlogCandidates' stories through send, candidates'
// ids prefixed, and returns what they call for and how many events they
// are.
func backlog(ctx context.Context, t *testing.T, prefix string, send sendFunc) (testsuite.Expectation, int) {
	t.Helper()
	its := items(t, backlogCandidates, prefix, 0)
	x, err := testsuite.Expect(deliveries(its))
	if err != nil {
		t.Fatal(err)
	}
	if r := sendOrdered(ctx, its, e2eSenders, send); r.errors > 0 {
		t.Fatalf("%d of %d deliveries failed, the first: %v", r.errors, len(its), r.first)
	}
	return x, len(its)
}
