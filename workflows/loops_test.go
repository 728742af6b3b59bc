package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	sdktest "go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/workflows"
)

// handoffActivity is the typed nil handle of the hand-off's activities.
var handoffActivity *handoff.Activities

// registerActivities registers both activity structs on env, with mocks of
// the hire's and the nudges' activities that succeed, for the tests that
// do not look at them.
func registerActivities(env *sdktest.TestWorkflowEnvironment) {
	env.RegisterActivity(activity)
	env.RegisterActivity(handoffActivity)
	env.OnActivity(handoffActivity.SendHireHandoff, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r handoff.Request) (handoff.Result, error) {
			return handoff.Result{WebhookID: handoff.WebhookID(r.Event.ID)}, nil
		}).Maybe()
	env.OnActivity(activity.PostHireNotice, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C0ITHIRES", TS: "9.0"}, nil).Maybe()
	env.OnActivity(activity.PostSlackNudge, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C0BACKEND", TS: "8.0"}, nil).Maybe()
}

// nudged is a nudge the workflow asked for, and when.
type nudged struct {
	req activities.SlackNudgeRequest
	at  time.Time
}

// nudgeEnv is a test environment whose roots come with quiet times, and
// which records the nudges.
type nudgeEnv struct {
	env    *sdktest.TestWorkflowEnvironment
	mu     sync.Mutex
	nudges []nudged
	// handoffs are the hand-offs asked for; the first failHandoffs fail
	// for good.
	handoffs     []handoff.Request
	failHandoffs int
}

func newNudgeEnv(t *testing.T, quiet map[string]time.Duration) *nudgeEnv {
	t.Helper()
	var s sdktest.WorkflowTestSuite
	n := &nudgeEnv{env: s.NewTestWorkflowEnvironment()}
	env := n.env
	env.RegisterWorkflowWithOptions(workflows.CandidateWorkflow, workflow.RegisterOptions{Name: hiresync.WorkflowType})
	env.RegisterActivity(activity)
	env.RegisterActivity(handoffActivity)
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(
		activities.SlackResult{Channel: "C0BACKEND", TS: "1.0", Nudges: quiet}, nil).Maybe()
	env.OnActivity(activity.PostSlackReply, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C0BACKEND", TS: "2.0"}, nil).Maybe()
	env.OnActivity(activity.PostSlackReplyAndUpdateRoot, mock.Anything, mock.Anything).Return(activities.SlackReplyAndRootResult{
		Reply: activities.SlackResult{Channel: "C0BACKEND", TS: "2.0"}, Root: activities.SlackResult{Channel: "C0BACKEND", TS: "1.0"},
	}, nil).Maybe()
	env.OnActivity(activity.SyncContact, mock.Anything, mock.Anything).Return(activities.ContactResult{Written: 1}, nil).Maybe()
	env.OnActivity(activity.PostHireNotice, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C0ITHIRES", TS: "9.0"}, nil).Maybe()
	env.OnActivity(handoffActivity.SendHireHandoff, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r handoff.Request) (handoff.Result, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.handoffs = append(n.handoffs, r)
			if len(n.handoffs) <= n.failHandoffs {
				return handoff.Result{}, temporal.NewNonRetryableApplicationError(
					"deliver hand-off: hand-off receiver answered 410 Gone", handoff.ErrPermanent, nil)
			}
			return handoff.Result{WebhookID: handoff.WebhookID(r.Event.ID)}, nil
		}).Maybe()
	env.OnActivity(activity.PostSlackNudge, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.SlackNudgeRequest) (activities.SlackResult, error) {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.nudges = append(n.nudges, nudged{r, env.Now()})
			return activities.SlackResult{Channel: r.Channel, TS: "3.0"}, nil
		}).Maybe()
	return n
}

// signalAt signals ev once the workflow has run for at.
func (n *nudgeEnv) signalAt(ev hiresync.Event, at time.Duration) {
	n.env.RegisterDelayedCallback(func() { n.env.SignalWorkflow(hiresync.SignalName, ev) }, at)
}

// runFor runs the workflow from state for d, then returns its state and
// cancels it.
func (n *nudgeEnv) runFor(t *testing.T, state hiresync.CandidateState, d time.Duration) hiresync.CandidateState {
	t.Helper()
	var st hiresync.CandidateState
	n.env.RegisterDelayedCallback(func() {
		v, err := n.env.QueryWorkflow(hiresync.StateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&st))
		n.env.CancelWorkflow()
	}, d)
	n.env.ExecuteWorkflow(hiresync.WorkflowType, state)
	require.True(t, n.env.IsWorkflowCompleted())
	return st
}

func nudgeEntries(tl []hiresync.TimelineEntry) []hiresync.TimelineEntry {
	var out []hiresync.TimelineEntry
	for _, e := range tl {
		if e.Type == hiresync.NudgeEntry {
			out = append(out, e)
		}
	}
	return out
}

// TestStalledApplicationIsNudgedOnceAndRemindedOnce: an application quiet
// in a status with a quiet time gets a nudge when it has passed, a
// reminder after the same time again, and nothing more, however long it
// stays quiet; each is a timeline entry.
func TestStalledApplicationIsNudgedOnceAndRemindedOnce(t *testing.T) {
	n := newNudgeEnv(t, map[string]time.Duration{string(hiresync.StatusApplied): 72 * time.Hour})
	start := n.env.Now()
	sub := sample(t, hiresync.ApplicationSubmitted)
	n.signalAt(sub, time.Minute)
	st := n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 20*24*time.Hour)

	require.Len(t, n.nudges, 2, "a nudge and a reminder, no more")
	first, second := n.nudges[0], n.nudges[1]
	require.True(t, start.Add(time.Minute+72*time.Hour).Equal(first.at), "nudged when the quiet time passed: %v", first.at.Sub(start))
	require.True(t, start.Add(time.Minute+144*time.Hour).Equal(second.at), "reminded after the same time again: %v", second.at.Sub(start))
	require.Equal(t, sub.ID+":nudge:1", first.req.NudgeID)
	require.Equal(t, sub.ID+":nudge:2", second.req.NudgeID)
	require.False(t, first.req.Reminder)
	require.True(t, second.req.Reminder)
	require.Equal(t, 72*time.Hour, first.req.Quiet)
	require.Equal(t, "1.0", first.req.ThreadTS, "in the application's thread")
	require.Equal(t, hiresync.ApplicationSubmitted, first.req.Since.Type)
	require.Empty(t, first.req.Since.Data.Candidate.Email, "no email in the nudge's request")

	entries := nudgeEntries(st.Timeline)
	require.Len(t, entries, 2)
	require.Equal(t, first.req.NudgeID, entries[0].EventID)
	require.Equal(t, "nudge", entries[0].Actions[0].What)
	require.Equal(t, "reminder", entries[1].Actions[0].What)
	require.Equal(t, hiresync.ActionDone, entries[1].Actions[0].Result)
}

// TestNewEventReArmsTheNudge: an event for the application starts its
// quiet time again, and the nudge then speaks of that event.
func TestNewEventReArmsTheNudge(t *testing.T) {
	n := newNudgeEnv(t, map[string]time.Duration{string(hiresync.StatusApplied): 72 * time.Hour})
	start := n.env.Now()
	n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
	completed := sample(t, hiresync.TestCompleted)
	n.signalAt(completed, 70*time.Hour)
	n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 100*time.Hour)

	require.Len(t, n.nudges, 0, "no nudge at 72h: the test result re-armed it")
	n = newNudgeEnv(t, map[string]time.Duration{string(hiresync.StatusApplied): 72 * time.Hour})
	start = n.env.Now()
	n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
	n.signalAt(completed, 70*time.Hour)
	n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 150*time.Hour)
	require.Len(t, n.nudges, 1)
	require.True(t, start.Add(142*time.Hour).Equal(n.nudges[0].at), "%v", n.nudges[0].at.Sub(start))
	require.Equal(t, completed.ID+":nudge:1", n.nudges[0].req.NudgeID)
	require.Equal(t, "Go systems assessment", n.nudges[0].req.Since.Data.Test.Name)
}

// TestClosedApplicationsAreNotNudged: a withdrawn or hired application gets
// no nudge, and a status without a quiet time none either.
func TestClosedApplicationsAreNotNudged(t *testing.T) {
	for _, closing := range []string{hiresync.ApplicationWithdrawn, hiresync.CandidateHired, hiresync.ApplicationRejected} {
		t.Run(closing, func(t *testing.T) {
			n := newNudgeEnv(t, map[string]time.Duration{string(hiresync.StatusApplied): time.Hour})
			n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
			n.signalAt(sample(t, closing), 30*time.Minute)
			st := n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 10*24*time.Hour)
			require.Empty(t, n.nudges)
			require.Empty(t, nudgeEntries(st.Timeline))
		})
	}
	n := newNudgeEnv(t, map[string]time.Duration{string(hiresync.StatusTestPassed): time.Hour})
	n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
	n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 10*24*time.Hour)
	require.Empty(t, n.nudges, "applied has no quiet time here")
}

// TestNudgeDeadlineCarriesAcrossContinueAsNew: a run that continues as new
// before the nudge is due hands the deadline on; the next run nudges when
// it was due, not a whole quiet time after its own start.
func TestNudgeDeadlineCarriesAcrossContinueAsNew(t *testing.T) {
	quiet := map[string]time.Duration{string(hiresync.StatusApplied): 72 * time.Hour}
	n := newNudgeEnv(t, quiet)
	start := n.env.Now()
	state := hiresync.NewState("cand_7Q2KXW")
	state.Options.MaxRunAge = 48 * time.Hour
	n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
	n.env.ExecuteWorkflow(hiresync.WorkflowType, state)
	next := continueAsNew(t, n.env)
	require.Empty(t, n.nudges, "not due in the first run")
	app := next.Applications["app_91XR3"]
	require.True(t, start.Add(time.Minute).Equal(app.QuietSince), "the quiet spell is carried in the state: %v", app.QuietSince)
	require.Equal(t, quiet, app.Nudges)

	second := newNudgeEnv(t, quiet)
	second.env.SetStartTime(n.env.Now())
	next.Options.MaxRunAge = 0 // the default: this run lasts past both deadlines
	second.runFor(t, next, 5*24*time.Hour)
	require.Len(t, second.nudges, 2)
	require.True(t, start.Add(time.Minute+72*time.Hour).Equal(second.nudges[0].at),
		"due when it was due, not 72h after the new run started: %v", second.nudges[0].at.Sub(start))
	require.True(t, start.Add(time.Minute+144*time.Hour).Equal(second.nudges[1].at))
}

// TestHireHandsOffAndPostsTheProvisioningMessage: a hire sends its
// hand-off and its provisioning message once each, with timeline actions;
// a permanent hand-off failure is kept and re-driven.
func TestHireHandsOffAndPostsTheProvisioningMessage(t *testing.T) {
	n := newNudgeEnv(t, nil)
	n.failHandoffs = 1
	hired := sample(t, hiresync.CandidateHired)
	n.signalAt(sample(t, hiresync.ApplicationSubmitted), time.Minute)
	n.signalAt(hired, 2*time.Minute)
	var before hiresync.CandidateState
	n.env.RegisterDelayedCallback(func() {
		v, err := n.env.QueryWorkflow(hiresync.StateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&before))
		n.env.SignalWorkflow(hiresync.RedriveSignal, nil)
	}, 3*time.Minute)
	st := n.runFor(t, hiresync.NewState("cand_7Q2KXW"), 4*time.Minute)

	require.Len(t, before.Failed, 1)
	require.True(t, before.Failed[0].Handoff)
	require.False(t, before.Failed[0].Provisioning)
	require.Len(t, n.handoffs, 2, "sent, failed for good, re-driven")
	require.Equal(t, hired.ID, n.handoffs[1].Event.ID)
	require.Empty(t, st.Failed)
	acts := st.Timeline[1].Actions
	var what []string
	for _, a := range acts {
		what = append(what, a.Target+" "+a.What+" "+a.Result)
	}
	require.Equal(t, []string{"slack reply done", "slack update root done", "hubspot upsert contact done",
		"handoff hand off failed", "slack provisioning message done", "handoff hand off done"}, what)
	require.Equal(t, "webhook-id handoff_"+hired.ID, acts[5].Detail)
}
