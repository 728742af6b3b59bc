package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/testsuite"
	hsworker "github.com/hiresync/hiresync/worker"
)

// Row 7: how fresh Slack is. New applications arrive at a steady rate
// over ten routed jobs, each a channel of its own; the figure is the time
// from the ingress's 202 to the application's root post in its channel.
// Beside it, in the same run and at the same rate, the time from a direct
// signal-with-start to the do-nothing workflow's first completed workflow
// task: what Temporal alone takes to hand a new workflow to a worker and
// get its answer.
const (
	freshRate     = 2 // events a second, each side
	freshDuration = 60 * time.Second
	freshChannels = 10
	freshWarmUp   = 10 // applications per side first, not timed
)

func benchFreshness(t *testing.T, rep *report, kind engineKind) {
	eng := startEngine(t, rep, kind)
	s := testsuite.StartStack(t, eng.addr, unlimited())
	jobs, routes := freshRoutes(t)
	env, _ := workerEnv(t, s)
	env["HIRESYNC_ROUTES"] = routes
	workerLogs := &testsuite.SyncBuffer{}
	testsuite.StartProcess(t, env, workerLogs, "worker")
	ingressLogs := &testsuite.SyncBuffer{}
	webhook, _ := startIngress(t, s, ingressLogs)

	bw := worker.New(s.Temporal, baselineQueue, hsworker.Options())
	bw.RegisterWorkflowWithOptions(baselineWorkflow, workflow.RegisterOptions{Name: baselineWorkflowType})
	if err := bw.Start(); err != nil {
		t.Fatal(err)
	}
	defer bw.Stop()

	hc := httpClient(16)
	defer hc.CloseIdleConnections()
	viaIngress := viaHTTP(hc, webhook, s.Sender.Keys)
	direct := firstEventSender(s.Temporal)

	n := int(freshDuration.Seconds()) * freshRate
	ctx, cancel := context.WithTimeout(context.Background(), freshDuration+3*time.Minute)
	defer cancel()
	// Warm up both paths, one at a time, then the timed run.
	if _, err := paced(ctx, applications(t, "fwarm", freshWarmUp, jobs), viaIngress, 0); err != nil {
		t.Fatalf("warm-up: %v\nworker log tail:\n%s", err, tail(workerLogs.String(), 3000))
	}
	if _, err := paced(ctx, applications(t, "fbwarm", freshWarmUp, jobs), direct, 0); err != nil {
		t.Fatalf("baseline warm-up: %v", err)
	}
	apps, bapps := applications(t, "fresh", n, jobs), applications(t, "fbase", n, jobs)
	interval := time.Second / freshRate
	var acked, started map[string]time.Time
	var errH, errB error
	var wg sync.WaitGroup
	wg.Go(func() { acked, errH = paced(ctx, apps, viaIngress, interval) })
	wg.Go(func() {
		// Half an interval after hiresync's, so the two sides alternate.
		time.Sleep(interval / 2) // the schedule's offset, not a wait for an outcome
		started, errB = paced(ctx, bapps, direct, interval)
	})
	wg.Wait()
	if errH != nil {
		t.Fatalf("hiresync: %v\nthe ingress's 503 answers: %s", errH, unavailable(ingressLogs.String()))
	}
	if errB != nil {
		t.Fatalf("baseline: %v", errB)
	}

	// hiresync: when each application's root post reached Slack, in the
	// channel its job routes to.
	var lat []time.Duration
	misrouted := 0
	for _, it := range apps {
		m, err := rootPost(ctx, s, it.d.ID)
		if err != nil {
			t.Fatalf("%v\nworker log tail:\n%s", err, tail(workerLogs.String(), 3000))
		}
		if m.Channel != freshChannel(it.ev.Data.Application.Job.ID) {
			misrouted++
		}
		posted, err := tsTime(m.TS)
		if err != nil {
			t.Fatal(err)
		}
		lat = append(lat, posted.Sub(acked[it.d.ID]))
	}
	// The baseline: when each workflow's first workflow task completed, as
	// its history says.
	var blat []time.Duration
	for _, it := range bapps {
		done, err := firstTaskCompleted(ctx, s.Temporal, hiresync.WorkflowID(it.ev.Data.Candidate.ID))
		if err != nil {
			t.Fatal(err)
		}
		blat = append(blat, done.Sub(started[it.d.ID]))
	}
	t.Logf("%s: 202 to Slack p50 %s p99 %s; signal-with-start to first completed workflow task p50 %s p99 %s",
		kind, ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(percentile(blat, 50)), ms(percentile(blat, 99)))
	met := "—"
	if misrouted > 0 {
		met = fmt.Sprintf("**no**: %d posts in the wrong channel", misrouted)
	}
	rep.add(row{
		ID:       "7",
		Temporal: string(kind),
		What: fmt.Sprintf("freshness: from the ingress's 202 to the Slack post of an `application.submitted`, %d a second over %d routed channels for %.0f s",
			freshRate, freshChannels, freshDuration.Seconds()),
		Measured: fmt.Sprintf("p50 %s, p99 %s, max %s", ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(percentile(lat, 100))),
		Baseline: fmt.Sprintf("from a direct signal-with-start's answer to the do-nothing workflow's first completed workflow task: p50 %s, p99 %s, max %s",
			ms(percentile(blat, 50)), ms(percentile(blat, 99)), ms(percentile(blat, 100))),
		Target: "reported",
		Met:    met,
		Notes: fmt.Sprintf("%d applications each side, the two sides alternating every %s (%d events a second in all); each a new candidate; "+
			"Slack's time is the double's ts of the post, the workflow task's its history's; every post in its job's channel: %s",
			n, ms(interval/2), 2*freshRate, yes(misrouted == 0)),
	})
}

// freshRoutes writes a routes file sending each of ten jobs to a channel
// of its own, and returns the jobs and the file.
func freshRoutes(t *testing.T) ([]string, string) {
	t.Helper()
	var jobs []string
	var b strings.Builder
	b.WriteString("default_channel: C0FRESHDEFAULT\njobs:\n")
	for i := range freshChannels {
		job := fmt.Sprintf("job_FR%02d", i)
		jobs = append(jobs, job)
		fmt.Fprintf(&b, "  %s: %s\n", job, freshChannel(job))
	}
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return jobs, path
}

func freshChannel(job string) string { return "C0" + strings.ToUpper(strings.TrimPrefix(job, "job_")) }

// applications are the first events of n new candidates' stories, an
// application.submitted each, spread over jobs.
func applications(t *testing.T, prefix string, n int, jobs []string) []item {
	t.Helper()
	ds := clarityhire.Stories(clarityhire.StoryOptions{Candidates: n, Seed: 1, Prefix: prefix, Jobs: jobs})
	// Stories come in rounds: the first n deliveries are each candidate's
	// first event.
	var out []item
	for _, d := range ds[:n] {
		ev, err := ingress.ParseEvent(d.Body)
		if err != nil {
			t.Fatalf("delivery %s: %v", d.ID, err)
		}
		if ev.Type != hiresync.ApplicationSubmitted {
			t.Fatalf("delivery %s is a %s, not an application", d.ID, ev.Type)
		}
		out = append(out, item{d: d, ev: ev})
	}
	return out
}

// paced delivers its one every interval (one after the other when 0),
// each in a goroutine of its own so a slow answer does not hold up the
// next, and returns when each was answered.
func paced(ctx context.Context, its []item, f sendFunc, interval time.Duration) (map[string]time.Time, error) {
	var mu sync.Mutex
	answered := map[string]time.Time{}
	var firstErr error
	var wg sync.WaitGroup
	tick := time.NewTicker(max(interval, time.Millisecond))
	defer tick.Stop()
	for i, it := range its {
		if i > 0 && interval > 0 {
			<-tick.C
		}
		call := func() {
			_, err := f(ctx, it)
			at := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("delivery %s: %w", it.d.ID, err)
			}
			answered[it.d.ID] = at
		}
		if interval == 0 {
			call()
			continue
		}
		wg.Go(call)
	}
	wg.Wait()
	return answered, firstErr
}

// firstEventSender signal-with-starts the do-nothing workflow with an
// event, the workflow completing on it.
func firstEventSender(c client.Client) sendFunc {
	return func(ctx context.Context, it item) (time.Duration, error) {
		ev := it.ev
		ev.ReceivedAt = time.Now().UTC()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.SignalWithStartWorkflow(ctx, hiresync.WorkflowID(ev.Data.Candidate.ID), hiresync.SignalName, ev,
			ingress.StartOptions(baselineQueue, ev), baselineWorkflowType, 1)
		return time.Since(start), err
	}
}

// rootPost waits for the Slack post of an event and returns it.
func rootPost(ctx context.Context, s *testsuite.Stack, eventID string) (msg slackMessage, err error) {
	for {
		if ms := s.Slack.MessagesForEvent(eventID); len(ms) > 0 {
			return slackMessage{Channel: ms[0].Channel, TS: ms[0].TS}, nil
		}
		select {
		case <-ctx.Done():
			return msg, fmt.Errorf("no Slack post for event %s: %w", eventID, ctx.Err())
		case <-time.After(50 * time.Millisecond): // polling interval
		}
	}
}

type slackMessage struct{ Channel, TS string }

// tsTime reads a Slack ts ("seconds.micros"), which the double takes from
// its clock when it stores the post.
func tsTime(ts string) (time.Time, error) {
	sec, frac, ok := strings.Cut(ts, ".")
	if !ok || len(frac) != 6 {
		return time.Time{}, fmt.Errorf("ts %q is not seconds.micros", ts)
	}
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return time.Time{}, fmt.Errorf("ts %q: %w", ts, err)
	}
	return time.Unix(s, us*1000), nil
}

// firstTaskCompleted waits for the workflow to complete and returns when
// its first workflow task completed, from its history.
func firstTaskCompleted(ctx context.Context, c client.Client, wid string) (time.Time, error) {
	if err := c.GetWorkflow(ctx, wid, "").Get(ctx, nil); err != nil {
		return time.Time{}, fmt.Errorf("baseline workflow %s: %w", wid, err)
	}
	it := c.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return time.Time{}, err
		}
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			return e.GetEventTime().AsTime(), nil
		}
	}
	return time.Time{}, fmt.Errorf("no completed workflow task in %s's history", wid)
}
