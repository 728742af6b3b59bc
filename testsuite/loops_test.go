package testsuite_test

import (
	"context"
	"io"
	"net/http"
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

// loopStack is a stack with recruiters, a provisioning channel, nudges and
// the hand-off receiver.
func loopStack(t *testing.T, addr string, noWorker bool) *testsuite.Stack {
	return testsuite.StartStack(t, addr, testsuite.StackOptions{
		Routes: testsuite.LoopRoutes(), SlackOptions: []slackdouble.Option{testsuite.RecruiterUser()},
		Handoff: true, HandoffTimeout: time.Second, NoWorker: noWorker,
	})
}

// forJob rewrites deliveries of the samples' job_BE42 for job.
func forJob(ds []clarityhire.Delivery, job string) []clarityhire.Delivery {
	out := make([]clarityhire.Delivery, len(ds))
	for i, d := range ds {
		d.Body = []byte(strings.ReplaceAll(string(d.Body), `"job_BE42"`, `"`+job+`"`))
		out[i] = d
	}
	return out
}

// TestHireHandedOffOnceThroughReceiverFailures: the hand-off's receiver
// hangs past the attempt's timeout, answers 429, then 503, then takes the
// hand-off and loses the answer; the hire still ends as exactly one
// hand-off (the receiver, verifying with the Standard Webhooks library,
// dedupes the repeat by webhook-id) and one provisioning message. The test
// results mention the job's recruiter, by user id and by resolved email.
func TestHireHandedOffOnceThroughReceiverFailures(t *testing.T) {
	s := loopStack(t, temporalAddr(t), false)
	s.Handoff.DelayNext(1, 3*time.Second)
	s.Handoff.RateLimitNext(1, time.Second)
	s.Handoff.FailNext(1, http.StatusServiceUnavailable)
	s.Handoff.LoseNext(1, 0)

	design := forJob(samplesFor(t, "cand_DESIGN1")[:2], "job_DS07")
	// Candidate ids of this test's own: a workflow id is the namespace's,
	// whatever the stack's task queue.
	ds := append(twice(samplesFor(t, "cand_LOOPS1")), design...)
	s.Send(t, ds...)
	x, r := check(t, s, ds, 3*time.Minute)
	require.Equal(t, 1, r.Hires)
	require.Equal(t, r.Hires, r.Handoffs, "one hand-off per hire: %s", r)
	require.Equal(t, r.Hires, r.HireNotices, "one provisioning message per hire: %s", r)

	hire := x.Hires[0]
	st := s.Handoff.State()
	require.Len(t, st.Handoffs, 1)
	require.Equal(t, "handoff_"+hire, st.Handoffs[0].WebhookID)
	require.Contains(t, string(st.Handoffs[0].Body), `"email":"cand_LOOPS1@example.com"`, "the hand-off is where the email goes")
	require.GreaterOrEqual(t, st.Handoffs[0].Deliveries, 2, "the lost answer's hand-off was sent again")
	var faults []string
	for _, d := range st.Deliveries {
		require.Equal(t, "handoff_"+hire, d.WebhookID, "every attempt carries the same webhook-id")
		if d.Fault != "" {
			faults = append(faults, d.Fault)
		}
	}
	require.Equal(t, []string{"429", "fail", "lose"}, faults)
	require.GreaterOrEqual(t, s.Handoff.Arrived(), len(st.Deliveries)+1, "and the hung attempt reached it too")

	tl, err := s.Timeline(context.Background(), "cand_LOOPS1")
	require.NoError(t, err)
	acts := map[string]hiresync.Action{}
	for _, e := range tl {
		if e.EventID == hire {
			for _, a := range e.Actions {
				acts[a.Target+" "+a.What] = a
			}
		}
	}
	require.Equal(t, hiresync.ActionDone, acts["handoff hand off"].Result, "%+v", acts)
	require.Equal(t, hiresync.ActionDone, acts["slack provisioning message"].Result, "%+v", acts)

	notices := s.Slack.Messages(testsuite.ProvisioningChannel)
	require.Len(t, notices, 1)
	require.Contains(t, notices[0].Text, "Ada Okafor")
	require.Contains(t, notices[0].Text, "starting Mon 11 Jan 2027")

	// The test result pings the recruiter: the default one by id, job_DS07's
	// by the email the Slack double resolves.
	require.Contains(t, replyText(t, s, "C0BACKEND", "evt_01JC02Z8Q4_cand_LOOPS1"), "<@"+testsuite.DefaultRecruiter+">")
	require.Contains(t, replyText(t, s, "C0DESIGN", "evt_01JC02Z8Q4_cand_DESIGN1"), "<@"+testsuite.RecruiterID+">")
	page := get(t, s.Slack.URL()+slackdouble.PagePath)
	require.Contains(t, page, "passed · @"+testsuite.DefaultRecruiter, "the mention on the Slack double's page")
}

// replyText is the text of the reply for eventID in channel.
func replyText(t *testing.T, s *testsuite.Stack, channel, eventID string) string {
	t.Helper()
	for _, root := range s.Slack.Messages(channel) {
		for _, m := range s.Slack.Replies(channel, root.TS) {
			if m.EventID() == eventID {
				return m.Text
			}
		}
	}
	t.Fatalf("no reply for %s in %s", eventID, channel)
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// TestUnresolvableRecruiterRepliesWithoutTheMention: a recruiter whose
// email Slack does not know leaves the test reply unmentioned, and the
// timeline says why, without the email.
func TestUnresolvableRecruiterRepliesWithoutTheMention(t *testing.T) {
	routes := testsuite.Routes
	routes.Jobs = map[string]config.JobRoute{"job_BE42": {Channel: "C0BACKEND", Recruiter: "nobody@acme.example"}}
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{Routes: &routes})
	ds := samplesFor(t, "cand_NOMENTION")[:2]
	s.Send(t, ds...)
	tls := s.WaitSettled(t, map[string]int{"cand_NOMENTION": 2}, time.Minute)

	reply := replyText(t, s, "C0BACKEND", ds[1].ID)
	require.NotContains(t, reply, "<@")
	require.NotContains(t, reply, "nobody@")
	act := tls["cand_NOMENTION"][1].Actions[0]
	require.Equal(t, hiresync.ActionDone, act.Result, "the reply went out")
	require.Contains(t, act.Detail, "recruiter not mentioned")
	require.Contains(t, act.Detail, "users_not_found")
	require.NotContains(t, act.Detail, "nobody@")
}

// TestHandoffSurvivesTheWorkerKilledMidDelivery: the worker process is
// killed (SIGKILL) while its hand-off request hangs at the receiver; the
// next worker sends it again, under the same webhook-id, and the receiver
// holds exactly one hand-off.
func TestHandoffSurvivesTheWorkerKilledMidDelivery(t *testing.T) {
	s := loopStack(t, temporalAddr(t), true)
	s.Handoff.DelayNext(1, time.Minute)
	logs := &testsuite.SyncBuffer{}
	env := s.WorkerEnv(t)
	w := testsuite.StartProcess(t, env, logs, "worker")

	ds := samplesFor(t, "cand_KILLED1")
	s.Send(t, ds...)
	deadline := time.Now().Add(2 * time.Minute)
	for s.Handoff.Arrived() == 0 {
		require.True(t, time.Now().Before(deadline), "the hand-off never reached the receiver")
		time.Sleep(50 * time.Millisecond) // polling interval
	}
	require.NoError(t, w.Kill())
	require.Empty(t, s.Handoff.Handoffs(), "killed mid-delivery: nothing taken yet")
	w = testsuite.StartProcess(t, env, logs, "worker")

	_, r := check(t, s, ds, 3*time.Minute)
	require.Equal(t, 1, r.Handoffs, "%s", r)
	require.Equal(t, 1, r.HireNotices, "%s", r)
	require.Len(t, s.Handoff.Handoffs(), 1)
	require.NoError(t, w.Stop())
}
