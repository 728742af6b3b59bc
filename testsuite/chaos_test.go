package testsuite_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/testsuite"
)

// chaosCandidates is the short profile's size; HIRESYNC_CHAOS_CANDIDATES
// sets the long one (see docs/reliability.md).
func chaosCandidates(t *testing.T) int {
	if s := os.Getenv("HIRESYNC_CHAOS_CANDIDATES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		return n
	}
	return 50
}

// TestChaos is the proof of "nothing lost, nothing twice": candidates' full
// stories (some with two applications), 20% duplicate deliveries, shuffled
// within each candidate, while Slack and HubSpot fail about 30% of calls
// (5xx, 429, stored-but-lost answers, slow answers: the Slack double's
// injected failures plus the failures Temporal's retries meet again), the worker process is
// killed (SIGKILL) and restarted twice and the dev server once (on the
// cluster, `make test-cluster`: its history service, SIGKILL). The hires
// are handed off to a receiver failing the same way. The checker then
// counts every event in its timeline, every Slack root and reply, every
// HubSpot contact, and one hand-off and one provisioning message per hire.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos run skipped in -short mode")
	}
	n := chaosCandidates(t)
	addr, d := disruptable(t, "history")
	what, stop := "dev server", d.Stop
	if svc, ok := d.(*testsuite.ClusterService); ok {
		what, stop = "cluster's history service (SIGKILL)", svc.Kill
	}
	s := testsuite.StartStack(t, addr, testsuite.StackOptions{
		NoWorker:     true,
		SlackOptions: []slackdouble.Option{slackdouble.WithSeed(42), testsuite.RecruiterUser()},
		// Recruiters, a provisioning channel and the hand-off: every hire
		// is handed off once and announced once, through the same chaos.
		Routes:         testsuite.LoopRoutes(),
		Handoff:        true,
		HandoffOptions: handoffdouble.Options{Seed: 42},
		// HubSpot's limit below the client's, so HubSpot answers 429 too
		// (time-scaled: per second rather than per 10 seconds).
		HubSpot:      hubspotdouble.Options{RandSeed: 42, RateLimit: 15, RateWindow: time.Second},
		HubSpotLimit: hubspot.Limit{Requests: 50, Interval: time.Second},
	})
	logs := &testsuite.SyncBuffer{}
	env := s.WorkerEnv(t)
	w := testsuite.StartProcess(t, env, logs, "worker")

	// About 30% of calls fail, in every way the doubles know.
	for _, m := range []string{slackdouble.MethodPostMessage, slackdouble.MethodUpdate,
		slackdouble.MethodConversationsHistory, slackdouble.MethodConversationsReplies} {
		s.Slack.SetFailureRate(m, 0.25, 503)
	}
	s.Slack.SetLossRate(slackdouble.MethodPostMessage, 0.05, 0)
	s.Slack.SetLossRate(slackdouble.MethodUpdate, 0.05, 502)
	s.Slack.RateLimitNext(slackdouble.MethodPostMessage, n/5, time.Second)
	s.Slack.SetDelay("", 5*time.Millisecond)
	s.HubSpot.SetFaults(hubspotdouble.Faults{FailRate: 0.25, FailStatus: 503, LoseRate: 0.05, Latency: 10 * time.Millisecond})
	s.Handoff.SetFailureRate(0.25, 503)
	s.Handoff.SetLossRate(0.1, 0)
	s.Handoff.RateLimitNext(3, time.Second)

	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: n, Seed: 2026, SecondApplication: 0.3, Duplicates: 0.2, Shuffle: true, Prefix: "chaos",
	})
	byCandidate := map[string][]clarityhire.Delivery{}
	var order []string
	for _, d := range ds {
		if byCandidate[d.CandidateID] == nil {
			order = append(order, d.CandidateID)
		}
		byCandidate[d.CandidateID] = append(byCandidate[d.CandidateID], d)
	}

	// Send every candidate's story, candidates in parallel, and disrupt the
	// run at a third and two thirds of the deliveries.
	var sent atomic.Int64
	// Time bounds grow with the profile: 15 minutes to settle per 50 candidates
	// (a passing short profile settles in about 4; a retried Slack post now
	// looks twice, 2 s apart, so a candidate whose calls fail many times in
	// a row takes longer than the 8 minutes this used to allow).
	settle := time.Duration(max(1, n/50)) * 15 * time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), settle+10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var sendErr atomic.Value
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cand := range work {
				for _, d := range byCandidate[cand] {
					res, err := s.Sender.Send(ctx, d)
					if err != nil || res.Status != 202 {
						sendErr.Store(d.ID + ": " + res.Body)
					}
					sent.Add(1)
				}
			}
		}()
	}
	disrupted := make(chan error, 1)
	go func() {
		total := int64(len(ds))
		at := func(frac float64) { waitFor(ctx, func() bool { return float64(sent.Load()) >= frac*float64(total) }) }
		at(1.0 / 3)
		if err := w.Kill(); err != nil {
			disrupted <- err
			return
		}
		t.Logf("worker killed (SIGKILL) at %d/%d deliveries", sent.Load(), total)
		w = testsuite.StartProcess(t, env, logs, "worker")

		at(1.0 / 2)
		if err := stop(); err != nil {
			t.Logf("temporal stop: %v", err) // an interrupted dev server exits non-zero
		}
		t.Logf("%s stopped at %d/%d deliveries", what, sent.Load(), total)
		if err := d.Start(ctx); err != nil {
			disrupted <- err
			return
		}
		t.Logf("%s restarted on the same database", what)

		at(2.0 / 3)
		if err := w.Kill(); err != nil {
			disrupted <- err
			return
		}
		t.Logf("worker killed (SIGKILL) at %d/%d deliveries", sent.Load(), total)
		w = testsuite.StartProcess(t, env, logs, "worker")
		disrupted <- nil
	}()
	for _, cand := range order {
		work <- cand
	}
	close(work)
	wg.Wait()
	require.NoError(t, <-disrupted)
	require.Nil(t, sendErr.Load(), "every delivery acknowledged")

	// The failures go on while the workflows catch up.
	x, err := testsuite.Expect(ds)
	require.NoError(t, err)
	s.WaitSettled(t, x.Events, settle)
	r := s.Check(ctx, x)
	t.Logf("chaos: %s", r)
	sl, hs := s.Slack.Stats(), s.HubSpot.Counters()
	t.Logf("slack double: %+v", sl)
	t.Logf("hubspot double: %+v", hs)
	t.Logf("calls failed on purpose: Slack %.0f%%, HubSpot %.0f%%",
		100*float64(sl.FailuresInjected+sl.ResponsesLost+sl.RateLimited)/float64(sum(sl.Requests)),
		100*float64(hs.Failed+hs.Lost+hs.RateLimited)/float64(sum(hs.Calls)))
	require.Empty(t, r.Problems)
	require.Zero(t, r.Lost)
	require.Zero(t, r.TimelineDuplicates+r.DuplicateRoots+r.DuplicateReplies)
	require.Equal(t, r.Contacts, r.ContactsAsMapped)
	require.Positive(t, r.Hires)
	require.Equal(t, r.Hires, r.Handoffs, "one hand-off per hire, verified by the receiver")
	require.Equal(t, r.Hires, r.HireNotices, "one provisioning message per hire")
	t.Logf("hand-off receiver: %d deliveries for %d hand-offs", len(s.Handoff.State().Deliveries), r.Handoffs)
	require.Positive(t, sl.RateLimited, "Slack answered 429 during the run")
	require.NoError(t, w.Stop(), "the worker stops gracefully on SIGTERM")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) {
	for !cond() && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}
