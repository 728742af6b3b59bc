package testsuite_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/testsuite"
)

// sharedAddr is the Temporal most tests share, each with its own task queue
// and candidates: a dev server started here, or with HIRESYNC_TEST_CLUSTER
// (`make test-cluster`) the PostgreSQL cluster.
var (
	sharedAddr string
	cluster    *testsuite.Cluster
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	c, err := testsuite.ClusterFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if c != nil {
		cluster, sharedAddr = c, c.Addr
		fmt.Fprintf(os.Stderr, "testing on the Temporal cluster at %s\n", c.Addr)
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	d, err := testsuite.StartDevServer(ctx, "")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer d.Stop()
	sharedAddr = d.Addr
	return m.Run()
}

func temporalAddr(*testing.T) string { return sharedAddr }

// restartable is a Temporal server, or one service of the cluster, that a
// test stops and starts again.
type restartable interface {
	Stop() error
	Start(context.Context) error
}

// disruptable is the Temporal a disruptive test runs on, and what it stops:
// on the cluster, the cluster and its service (killed with SIGKILL);
// otherwise a dev server of the test's own on a database file, stopped and
// started whole.
func disruptable(t *testing.T, service string) (addr string, r restartable) {
	if cluster != nil {
		return cluster.Addr, cluster.Service(service)
	}
	d := testsuite.StartTemporal(t, t.TempDir()+"/temporal.db")
	return d.Addr, d
}

// check waits for the candidates of ds to settle and then asserts that
// the timelines, Slack and HubSpot show exactly what they should.
func check(t *testing.T, s *testsuite.Stack, ds []clarityhire.Delivery, timeout time.Duration) (testsuite.Expectation, testsuite.Report) {
	t.Helper()
	x, err := testsuite.Expect(ds)
	require.NoError(t, err)
	s.WaitSettled(t, x.Events, timeout)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := s.Check(ctx, x)
	t.Log(r)
	require.Empty(t, r.Problems)
	require.Equal(t, r.Acknowledged, r.InTimeline)
	require.Equal(t, r.Applications, r.Roots)
	require.Equal(t, r.ExpectedReplies, r.Replies)
	require.Equal(t, r.Contacts, r.ContactsAsMapped)
	return x, r
}

// samplesFor is the eleven samples rewritten for another candidate.
func samplesFor(t *testing.T, candidate string) []clarityhire.Delivery {
	t.Helper()
	ds, err := clarityhire.Samples()
	require.NoError(t, err)
	if candidate == "cand_7Q2KXW" {
		return ds
	}
	out := make([]clarityhire.Delivery, len(ds))
	for i, d := range ds {
		body := strings.ReplaceAll(string(d.Body), "cand_7Q2KXW", candidate)
		body = strings.ReplaceAll(body, "ada.okafor@", candidate+"@")
		body = strings.ReplaceAll(body, d.ID, d.ID+"_"+candidate)
		out[i] = clarityhire.Delivery{ID: d.ID + "_" + candidate, Type: d.Type, CandidateID: candidate, Body: []byte(body)}
	}
	return out
}

func twice(ds []clarityhire.Delivery) []clarityhire.Delivery {
	var out []clarityhire.Delivery
	for _, d := range ds {
		out = append(out, d, d)
	}
	return out
}

// TestSamplesEndToEnd sends the eleven samples for one candidate and for a
// second, every delivery twice, through the real ingress and worker.
func TestSamplesEndToEnd(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := append(twice(samplesFor(t, "cand_7Q2KXW")), twice(samplesFor(t, "cand_SECOND1"))...)
	s.Send(t, ds...)
	x, _ := check(t, s, ds, 2*time.Minute)

	for cand := range x.Events {
		tl, err := s.Timeline(context.Background(), cand)
		require.NoError(t, err)
		require.Len(t, tl, 11, cand)
		ids := map[string]int{}
		for i, e := range tl {
			ids[e.EventID]++
			require.Equal(t, hiresync.EventTypes[i], e.Type, "arrival order")
			require.False(t, e.ReceivedAt.IsZero())
			for _, a := range e.Actions {
				require.NotEqual(t, hiresync.ActionFailed, a.Result, "%s %s: %+v", cand, e.Type, a)
			}
		}
		for id, n := range ids {
			require.Equal(t, 1, n, "event %s once in the timeline", id)
		}
	}
}

// TestSlackThreadsAcrossChannels: two candidates, one applying to two
// routed jobs and one to a routed and an unrouted job; full stories, every
// delivery duplicated and each candidate's deliveries shuffled.
func TestSlackThreadsAcrossChannels(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 2, Seed: 7, SecondApplication: 1, Duplicates: 1, Shuffle: true, Prefix: "thr",
	})
	s.Send(t, ds...)
	x, _ := check(t, s, ds, 2*time.Minute)
	require.Len(t, x.Roots, 4)
	channels := map[string]bool{}
	for _, ch := range x.Channel {
		channels[ch] = true
	}
	require.Len(t, channels, 3, "two routed channels and the default")
}

// TestRoutesChangeNeverSplitsAThread: the channel is chosen when an
// application's thread is created and kept in the workflow, so a worker
// restarted with other routes keeps replying in the old thread.
func TestRoutesChangeNeverSplitsAThread(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := samplesFor(t, "cand_ROUTES1")
	s.Send(t, ds[0])
	check(t, s, ds[:1], time.Minute)

	s.StopWorker()
	s.Config.Routes = &config.Routes{DefaultChannel: "C0MOVED", Jobs: map[string]config.JobRoute{"job_BE42": {Channel: "C0MOVED"}}}
	s.StartWorker(t)
	s.Send(t, ds[1:]...)
	check(t, s, ds, 2*time.Minute)
	roots := s.Slack.Messages("C0BACKEND")
	require.Len(t, roots, 1)
	require.Len(t, s.Slack.Replies("C0BACKEND", roots[0].TS), len(ds)-1, "every later event replied in the first thread")
	require.Empty(t, s.Slack.Messages("C0MOVED"), "nothing went to the new route")
}

// TestSlackFailuresPostNothingTwice: the same with the double failing 30%
// of posts with 5xx and losing the answer of 10% after storing them. The
// first two posts fail and the next two successful ones lose their answer
// whatever the random draws, so the run always contains both faults (the
// draws depend on the order the worker's calls arrive in).
func TestSlackFailuresPostNothingTwice(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{
		SlackOptions: []slackdouble.Option{slackdouble.WithSeed(3)},
	})
	s.Slack.FailNext(slackdouble.MethodPostMessage, 2, 500)
	s.Slack.SetFailureRate(slackdouble.MethodPostMessage, 0.3, 500)
	s.Slack.LoseNext(slackdouble.MethodPostMessage, 2, 0)
	s.Slack.SetLossRate(slackdouble.MethodPostMessage, 0.1, 0)
	s.Slack.SetLossRate(slackdouble.MethodUpdate, 0.1, 502)
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 3, Seed: 11, SecondApplication: 0.5, Duplicates: 1, Shuffle: true, Prefix: "flt",
	})
	s.Send(t, ds...)
	check(t, s, ds, 4*time.Minute)
	st := s.Slack.Stats()
	require.GreaterOrEqual(t, st.FailuresInjected, 2)
	require.GreaterOrEqual(t, st.ResponsesLost, 2)
}

// TestSlackBurstStaysUnderTheRate: 50 events into one channel with the
// double enforcing a per-channel rate receive no 429 (time-scaled: 10 a
// second on both sides instead of 1; the double allows a burst of 2, as
// Slack allows short bursts, so loopback jitter of a millisecond is not a
// 429).
func TestSlackBurstStaysUnderTheRate(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{
		SlackOptions:   []slackdouble.Option{slackdouble.WithPostRate(10, 2)},
		SlackPerSecond: 10,
	})
	ds := clarityhire.Stories(clarityhire.StoryOptions{Candidates: 8, Seed: 5, Jobs: []string{"job_BE42"}, Prefix: "bst"})
	require.Greater(t, len(ds), 50)
	ds = ds[:50] // a burst of 50 events, the last story cut short
	s.Send(t, ds...)
	check(t, s, ds, 3*time.Minute)
	require.Zero(t, s.Slack.Stats().RateLimited, "no 429")
}

// TestHubSpotContacts: several candidates' stories, duplicated and
// shuffled; each contact ends exactly as the mapping table gives.
func TestHubSpotContacts(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 18, Seed: 21, SecondApplication: 0.3, Duplicates: 0.5, Shuffle: true, Prefix: "hub",
	})
	s.Send(t, ds...)
	check(t, s, ds, 3*time.Minute)
	require.Zero(t, s.HubSpot.Counters().RateLimited)
}

// TestTemporalOutage: with the dev server (on the cluster: its frontend)
// down the ingress answers 503 with Retry-After; once it is back,
// ClarityHire's retry lands and nothing is lost.
func TestTemporalOutage(t *testing.T) {
	addr, d := disruptable(t, "frontend")
	s := testsuite.StartStack(t, addr, testsuite.StackOptions{})
	ds := samplesFor(t, "cand_OUTAGE1")
	s.Send(t, ds[0])
	check(t, s, ds[:1], time.Minute)

	require.NoError(t, d.Stop())
	one := *s.Sender
	one.Attempts = 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := one.Send(ctx, ds[1])
	require.Error(t, err)
	require.Equal(t, 503, res.Status)
	require.Contains(t, res.Body, "retry")

	restarted := make(chan error, 1)
	go func() { restarted <- d.Start(ctx) }()
	s.Send(t, ds[1:]...) // the sender retries until the server is back
	require.NoError(t, <-restarted)
	check(t, s, ds, 2*time.Minute)
}
