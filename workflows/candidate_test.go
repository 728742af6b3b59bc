package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	sdktest "go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/workflows"
)

// activity is the typed nil handle through which activities are mocked.
var activity *activities.Activities

// sample reads one of ClarityHire's sample events.
func sample(t *testing.T, typ string) hiresync.Event {
	t.Helper()
	b, err := os.ReadFile("../doubles/clarityhire/events/" + typ + ".json")
	require.NoError(t, err)
	var e hiresync.Event
	require.NoError(t, json.Unmarshal(b, &e))
	e.ReceivedAt = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	return e
}

// calls records what the mocked activities were asked, in order.
type calls struct {
	mu      sync.Mutex
	roots   []activities.SlackRootRequest
	replies []activities.SlackReplyRequest
	updates []activities.SlackUpdateRequest
	changes []activities.ContactChange
	// threads counts the PostSlackThread activities, whose writes are
	// recorded with the others.
	threads int
	// threadAnswers, when set, answer the next PostSlackThread activities
	// instead of posting.
	threadAnswers []func(activities.SlackThreadRequest) (activities.SlackThreadResult, error)
}

// newEnv is a test workflow environment with the workflow and the
// activities registered, and no activity mocked yet.
func newEnv() *sdktest.TestWorkflowEnvironment {
	var s sdktest.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.CandidateWorkflow, workflow.RegisterOptions{Name: hiresync.WorkflowType})
	registerActivities(env)
	return env
}

// harness is a test workflow environment with recording activity mocks.
type harness struct {
	env   *sdktest.TestWorkflowEnvironment
	calls *calls
}

func newHarness(t *testing.T) *harness {
	env := newEnv()
	c := &calls{}
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.SlackRootRequest) (activities.SlackResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.roots = append(c.roots, r)
			return activities.SlackResult{Channel: "C0BACKEND", TS: "1.000" + r.JobID}, nil
		}).Maybe()
	env.OnActivity(activity.PostSlackReply, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.SlackReplyRequest) (activities.SlackResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.replies = append(c.replies, r)
			return activities.SlackResult{Channel: r.Channel, TS: "2.000"}, nil
		}).Maybe()
	env.OnActivity(activity.PostSlackReplyAndUpdateRoot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.SlackReplyAndRootRequest) (activities.SlackReplyAndRootResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.replies = append(c.replies, r.Reply)
			c.updates = append(c.updates, r.Root)
			return activities.SlackReplyAndRootResult{
				Reply: activities.SlackResult{Channel: r.Reply.Channel, TS: "2.000"},
				Root:  activities.SlackResult{Channel: r.Root.Channel, TS: r.Root.TS},
			}, nil
		}).Maybe()
	env.OnActivity(activity.PostSlackThread, mock.Anything, mock.Anything).Return(
		func(_ context.Context, r activities.SlackThreadRequest) (activities.SlackThreadResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.threads++
			if len(c.threadAnswers) > 0 {
				answer := c.threadAnswers[0]
				c.threadAnswers = c.threadAnswers[1:]
				return answer(r)
			}
			var res activities.SlackThreadResult
			channel, thread := r.Channel, r.ThreadTS
			if r.Root != nil {
				c.roots = append(c.roots, *r.Root)
				channel, thread = "C0BACKEND", "1.000"+r.Root.JobID
				res.Root = activities.SlackResult{Channel: channel, TS: thread}
			}
			for _, rep := range r.Replies {
				c.replies = append(c.replies, activities.SlackReplyRequest{Channel: channel, ThreadTS: thread, Event: rep.Event, Fresh: rep.Fresh})
				var out activities.SlackThreadReplyResult
				out.Reply = activities.SlackResult{Channel: channel, TS: "2.000"}
				if rep.Root != nil {
					upd := *rep.Root
					upd.Channel, upd.TS = channel, thread
					c.updates = append(c.updates, upd)
					out.Root = activities.SlackResult{Channel: channel, TS: thread}
				}
				res.Replies = append(res.Replies, out)
			}
			return res, nil
		}).Maybe()
	env.OnActivity(activity.SyncContact, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ch activities.ContactChange) (activities.ContactResult, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.changes = append(c.changes, ch)
			return activities.ContactResult{Written: 1}, nil
		}).Maybe()
	return &harness{env: env, calls: c}
}

// run signals events one a minute apart, queries the timeline, then
// cancels the workflow, and returns the timeline.
func (h *harness) run(t *testing.T, state hiresync.CandidateState, events ...hiresync.Event) []hiresync.TimelineEntry {
	t.Helper()
	for i, ev := range events {
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, ev) }, time.Duration(i+1)*time.Minute)
	}
	var tl []hiresync.TimelineEntry
	h.env.RegisterDelayedCallback(func() {
		tl = timeline(t, h.env)
		h.env.CancelWorkflow()
	}, time.Duration(len(events)+1)*time.Minute)
	h.env.ExecuteWorkflow(hiresync.WorkflowType, state)
	require.True(t, h.env.IsWorkflowCompleted())
	return tl
}

// timeline queries the running workflow's timeline.
func timeline(t *testing.T, env *sdktest.TestWorkflowEnvironment) []hiresync.TimelineEntry {
	t.Helper()
	v, err := env.QueryWorkflow(hiresync.TimelineQuery)
	require.NoError(t, err)
	var tl []hiresync.TimelineEntry
	require.NoError(t, v.Get(&tl))
	return tl
}

// redriveAfter runs a new candidate's workflow: it signals events a minute
// apart, reads the timeline, signals a re-drive, reads the timeline again
// and cancels the workflow. It returns the two timelines.
func redriveAfter(t *testing.T, env *sdktest.TestWorkflowEnvironment, events ...hiresync.Event) (before, after []hiresync.TimelineEntry) {
	t.Helper()
	for i, ev := range events {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(hiresync.SignalName, ev) }, time.Duration(i+1)*time.Minute)
	}
	n := time.Duration(len(events))
	env.RegisterDelayedCallback(func() {
		before = timeline(t, env)
		env.SignalWorkflow(hiresync.RedriveSignal, nil)
	}, (n+1)*time.Minute)
	env.RegisterDelayedCallback(func() {
		after = timeline(t, env)
		env.CancelWorkflow()
	}, (n+2)*time.Minute)
	env.ExecuteWorkflow(hiresync.WorkflowType, hiresync.NewState("cand_7Q2KXW"))
	return before, after
}

func types(tl []hiresync.TimelineEntry) []string {
	var out []string
	for _, e := range tl {
		out = append(out, e.Type)
	}
	return out
}

func TestDedupeAndArrivalOrder(t *testing.T) {
	h := newHarness(t)
	sub, passed, stage := sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed), sample(t, hiresync.StageChanged)
	tl := h.run(t, hiresync.NewState("cand_7Q2KXW"), sub, sub, passed, sub, stage, passed)

	require.Equal(t, []string{hiresync.ApplicationSubmitted, hiresync.TestPassed, hiresync.StageChanged}, types(tl))
	require.Equal(t, sub.ReceivedAt, tl[0].ReceivedAt)
	require.Len(t, h.calls.roots, 1, "one root per application")
	require.Equal(t, "job_BE42", h.calls.roots[0].JobID)
	require.Equal(t, "https://app.clarityhire.com/candidates/cand_7Q2KXW", h.calls.roots[0].View.ProfileURL)
	require.Len(t, h.calls.replies, 2, "one reply per later event")
	require.Equal(t, passed.ID, h.calls.replies[0].Event.ID)
	require.Equal(t, stage.ID, h.calls.replies[1].Event.ID)
	require.Len(t, h.calls.updates, 2, "status changed twice")
	require.Equal(t, hiresync.Status("offer"), h.calls.updates[1].View.Status)
	require.Len(t, h.calls.changes, 2, "test.passed writes nothing to HubSpot")
	for _, e := range tl {
		require.NotEmpty(t, e.Actions)
		for _, act := range e.Actions {
			require.NotEqual(t, hiresync.ActionFailed, act.Result, act)
		}
	}
}

func TestLateSubmittedUpdatesRootAndOldEventsNeverMoveStatusBack(t *testing.T) {
	h := newHarness(t)
	hired, stage, sub := sample(t, hiresync.CandidateHired), sample(t, hiresync.StageChanged), sample(t, hiresync.ApplicationSubmitted)
	h.run(t, hiresync.NewState("cand_7Q2KXW"), hired, stage, sub)

	require.Len(t, h.calls.roots, 1)
	require.Equal(t, hiresync.StatusHired, h.calls.roots[0].View.Status)
	require.Len(t, h.calls.replies, 2)
	// The stage change is older than the hire: no update for it. The late
	// application.submitted updates the root, which still says hired.
	require.Len(t, h.calls.updates, 1)
	require.Equal(t, hiresync.StatusHired, h.calls.updates[0].View.Status)
	require.Equal(t, "LinkedIn", h.calls.updates[0].View.Source)
}

func TestContactChanges(t *testing.T) {
	noEmail := sample(t, hiresync.ApplicationSubmitted)
	noEmail.Data.Candidate.Email = ""
	unqualified := sample(t, hiresync.ApplicationRejected)
	unqualified.Data.Rejection.Qualified = false
	passedAgain := sample(t, hiresync.TestPassed)
	passedAgain.ID = "evt_test_passed_again"

	tests := []struct {
		name   string
		events []hiresync.Event
		check  func(t *testing.T, ch []activities.ContactChange, tl []hiresync.TimelineEntry)
	}{
		{"first event writes the base and other-if-empty", []hiresync.Event{sample(t, hiresync.InterviewScheduled)},
			func(t *testing.T, ch []activities.ContactChange, _ []hiresync.TimelineEntry) {
				require.Len(t, ch, 1)
				require.Equal(t, activities.LifecycleIfEmpty, ch[0].Lifecycle)
				require.Equal(t, "Senior Backend Engineer", ch[0].SourceJob)
				require.Equal(t, "cand_7Q2KXW", ch[0].CandidateID)
				require.Equal(t, "ada.okafor@example.com", ch[0].Email)
			}},
		{"hired moves lifecycle and stage", []hiresync.Event{sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.CandidateHired)},
			func(t *testing.T, ch []activities.ContactChange, _ []hiresync.TimelineEntry) {
				require.Len(t, ch, 2)
				require.Equal(t, activities.LifecycleHired, ch[1].Lifecycle)
				require.Equal(t, hiresync.StatusHired, ch[1].Stage)
				require.Empty(t, ch[1].FirstName, "base properties only once")
			}},
		{"rejected qualified joins the talent pool", []hiresync.Event{sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.ApplicationRejected)},
			func(t *testing.T, ch []activities.ContactChange, _ []hiresync.TimelineEntry) {
				require.Equal(t, hiresync.StatusRejected, ch[1].Stage)
				require.Equal(t, hiresync.TalentPoolRejectedQualified, ch[1].TalentPool)
			}},
		{"rejected unqualified without a passed test does not", []hiresync.Event{sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestFailed), unqualified},
			func(t *testing.T, ch []activities.ContactChange, _ []hiresync.TimelineEntry) {
				require.Len(t, ch, 2)
				require.Empty(t, ch[1].TalentPool)
			}},
		{"rejected unqualified after a passed test does", []hiresync.Event{sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed), unqualified},
			func(t *testing.T, ch []activities.ContactChange, _ []hiresync.TimelineEntry) {
				require.Equal(t, hiresync.TalentPoolRejectedQualified, ch[1].TalentPool)
			}},
		{"a test passed after an unqualified rejection tags then, once", []hiresync.Event{sample(t, hiresync.ApplicationSubmitted), unqualified, sample(t, hiresync.TestPassed), passedAgain},
			func(t *testing.T, ch []activities.ContactChange, tl []hiresync.TimelineEntry) {
				require.Len(t, ch, 3, "the second pass writes nothing")
				require.Empty(t, ch[1].TalentPool)
				require.Equal(t, hiresync.TalentPoolRejectedQualified, ch[2].TalentPool)
				require.Empty(t, ch[2].Stage, "the late pass leaves the stage alone")
				require.Equal(t, hiresync.TestPassed, tl[2].Type)
			}},
		{"no email is not synced and the timeline says so", []hiresync.Event{noEmail},
			func(t *testing.T, ch []activities.ContactChange, tl []hiresync.TimelineEntry) {
				require.Empty(t, ch)
				hub := tl[0].Actions[len(tl[0].Actions)-1]
				require.Equal(t, "hubspot", hub.Target)
				require.Equal(t, hiresync.ActionSkipped, hub.Result)
				require.Contains(t, hub.Detail, "no email")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tl := h.run(t, hiresync.NewState("cand_7Q2KXW"), tt.events...)
			tt.check(t, h.calls.changes, tl)
		})
	}
}

func TestPermanentSlackFailureIsRecordedAndRedriven(t *testing.T) {
	env := newEnv()
	perm := temporal.NewNonRetryableApplicationError("post: not_in_channel", activities.ErrSlackPermanent, nil)
	var fresh []bool
	root := func(res activities.SlackResult, err error) func(context.Context, activities.SlackRootRequest) (activities.SlackResult, error) {
		return func(_ context.Context, r activities.SlackRootRequest) (activities.SlackResult, error) {
			fresh = append(fresh, r.Fresh)
			return res, err
		}
	}
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(root(activities.SlackResult{}, perm)).Once()
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(root(activities.SlackResult{Channel: "C1", TS: "1.0"}, nil)).Once()
	env.OnActivity(activity.SyncContact, mock.Anything, mock.Anything).Return(activities.ContactResult{Written: 5}, nil)

	before, after := redriveAfter(t, env, sample(t, hiresync.ApplicationSubmitted))

	require.Equal(t, []bool{true, false}, fresh,
		"the first post is fresh; a re-drive's may have happened before, so it looks first")

	require.Len(t, before, 1)
	require.Equal(t, hiresync.ActionFailed, before[0].Actions[0].Result)
	require.Contains(t, before[0].Actions[0].Detail, "not_in_channel")
	require.Equal(t, hiresync.ActionDone, before[0].Actions[1].Result, "HubSpot went on")
	require.Len(t, after, 1, "a re-drive adds to the event's entry, not a new one")
	require.Len(t, after[0].Actions, 3, "only the failed Slack action ran again")
	require.Equal(t, hiresync.ActionDone, after[0].Actions[2].Result)
	env.AssertNumberOfCalls(t, "SyncContact", 1)
}

// TestRootUpdateFailureKeepsTheReply: a status change's reply and root
// update are one activity; an update that failed for good is recorded as
// failed beside the reply that was posted, and a re-drive runs them again.
func TestRootUpdateFailureKeepsTheReply(t *testing.T) {
	env := newEnv()
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C1", TS: "1.0"}, nil)
	env.OnActivity(activity.SyncContact, mock.Anything, mock.Anything).Return(activities.ContactResult{Written: 1}, nil)
	posted := activities.SlackResult{Channel: "C1", TS: "2.0"}
	env.OnActivity(activity.PostSlackReplyAndUpdateRoot, mock.Anything, mock.Anything).Return(
		activities.SlackReplyAndRootResult{Reply: posted, RootFailed: "SlackPermanent: update root: cant_update_message"}, nil).Once()
	env.OnActivity(activity.PostSlackReplyAndUpdateRoot, mock.Anything, mock.Anything).Return(
		activities.SlackReplyAndRootResult{Reply: activities.SlackResult{Channel: "C1", TS: "2.0", Adopted: true}, Root: activities.SlackResult{Channel: "C1", TS: "1.0"}}, nil).Once()

	before, after := redriveAfter(t, env, sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed))

	require.Len(t, before, 2)
	acts := before[1].Actions
	require.Equal(t, "reply", acts[0].What)
	require.Equal(t, hiresync.ActionDone, acts[0].Result)
	require.Equal(t, "update root", acts[1].What)
	require.Equal(t, hiresync.ActionFailed, acts[1].Result)
	require.Contains(t, acts[1].Detail, "cant_update_message")
	redriven := after[1].Actions[len(acts):]
	require.Len(t, redriven, 2, "the re-drive ran the event's Slack actions again")
	require.Equal(t, hiresync.ActionDone, redriven[0].Result)
	require.Contains(t, redriven[0].Detail, "found already posted")
	require.Equal(t, hiresync.ActionDone, redriven[1].Result)
	env.AssertNumberOfCalls(t, "PostSlackReplyAndUpdateRoot", 2)
}

func TestContinueAsNewKeepsDedupeAndThreads(t *testing.T) {
	h := newHarness(t)
	state := hiresync.NewState("cand_7Q2KXW")
	state.Options.MaxEventsPerRun = 2
	sub, passed := sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sub) }, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, passed) }, 2*time.Minute)
	h.env.ExecuteWorkflow(hiresync.WorkflowType, state)

	next := continueAsNew(t, h.env)
	require.True(t, next.Seen[sub.ID] && next.Seen[passed.ID])
	require.Equal(t, 1, next.Runs)
	app := next.Applications["app_91XR3"]
	require.NotNil(t, app)
	require.NotEmpty(t, app.RootTS)
	require.Len(t, next.Timeline, 2)
	require.True(t, next.PassedTest)
	require.Equal(t, hiresync.StatusTestPassed, next.Stage, "the candidate's stage is carried")
	require.True(t, next.Contact.Created, "the contact state is carried")
	require.Equal(t, hiresync.StatusTestPassed, app.Status)
}

func TestCompletesAfterRetentionOnceEveryApplicationIsClosed(t *testing.T) {
	h := newHarness(t)
	state := hiresync.NewState("cand_7Q2KXW")
	state.Options.Retention = 48 * time.Hour
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sample(t, hiresync.ApplicationSubmitted)) }, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sample(t, hiresync.ApplicationWithdrawn)) }, 2*time.Minute)
	// A late event inside the window is still handled, and the window
	// restarts; so do repeated deliveries, which are otherwise ignored.
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sample(t, hiresync.InterviewCancelled)) }, 24*time.Hour)
	for _, at := range []time.Duration{25 * time.Hour, 26 * time.Hour} {
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sample(t, hiresync.ApplicationWithdrawn)) }, at)
	}
	timers := 0
	h.env.SetOnTimerScheduledListener(func(_ string, d time.Duration) {
		if d != hiresync.DefaultMaxRunAge {
			timers++
		}
	})
	start := h.env.Now()
	h.env.ExecuteWorkflow(hiresync.WorkflowType, state)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.Len(t, h.calls.replies, 2)
	took := h.env.Now().Sub(start)
	require.GreaterOrEqual(t, took, 26*time.Hour+48*time.Hour, "completed only a full window after the last delivery")
	require.Less(t, took, 26*time.Hour+48*time.Hour+time.Minute, "and then at once")
	require.Equal(t, 2, timers, "one retention timer, re-armed once for the rest of the window, not one per delivery")
}

// continueAsNew is the input of the next run of a workflow that continued
// as new.
func continueAsNew(t *testing.T, env *sdktest.TestWorkflowEnvironment) hiresync.CandidateState {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	var next hiresync.CandidateState
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return next
}

// TestContinuesAsNewAtMaxRunAge: a run that took few events still
// continues as new once it is MaxRunAge old, so that no run keeps an old
// side of a workflow change for longer; the retention window carries on
// from the last signal.
func TestContinuesAsNewAtMaxRunAge(t *testing.T) {
	h := newHarness(t)
	state := hiresync.NewState("cand_7Q2KXW")
	state.Options.MaxRunAge = 24 * time.Hour
	sub := sample(t, hiresync.ApplicationSubmitted)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(hiresync.SignalName, sub) }, time.Minute)
	start := h.env.Now()
	h.env.ExecuteWorkflow(hiresync.WorkflowType, state)

	next := continueAsNew(t, h.env)
	require.Equal(t, 24*time.Hour, h.env.Now().Sub(start), "continued as new at the run's maximum age")
	require.True(t, next.Seen[sub.ID])
	require.Equal(t, 1, next.Runs)
	require.Equal(t, 24*time.Hour, next.Options.MaxRunAge, "the next run keeps the bound")
	require.True(t, start.Add(time.Minute).Equal(next.LastSignalAt), "the retention window runs from the last signal, across runs: %v", next.LastSignalAt)
}

// TestRedriveInTheTaskThatContinuesAsNewIsNotLost: a re-drive that comes
// with the event that ends the run is taken before the run continues as
// new, and the failed actions run again.
func TestRedriveInTheTaskThatContinuesAsNewIsNotLost(t *testing.T) {
	env := newEnv()
	perm := temporal.NewNonRetryableApplicationError("post: not_in_channel", activities.ErrSlackPermanent, nil)
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(activities.SlackResult{}, perm).Once()
	env.OnActivity(activity.PostSlackRoot, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C1", TS: "1.0"}, nil)
	env.OnActivity(activity.PostSlackReplyAndUpdateRoot, mock.Anything, mock.Anything).Return(
		activities.SlackReplyAndRootResult{Reply: activities.SlackResult{Channel: "C1", TS: "2.0"}, Root: activities.SlackResult{Channel: "C1", TS: "1.0"}}, nil)
	env.OnActivity(activity.PostSlackReply, mock.Anything, mock.Anything).Return(activities.SlackResult{Channel: "C1", TS: "3.0"}, nil)
	env.OnActivity(activity.SyncContact, mock.Anything, mock.Anything).Return(activities.ContactResult{Written: 1}, nil)

	state := hiresync.NewState("cand_7Q2KXW")
	state.Options.MaxEventsPerRun = 2
	sub, scheduled := sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.InterviewScheduled)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(hiresync.SignalName, sub) }, time.Minute)
	// The run's last event and the re-drive, in one workflow task.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(hiresync.SignalName, scheduled)
		env.SignalWorkflow(hiresync.RedriveSignal, nil)
	}, 2*time.Minute)
	env.ExecuteWorkflow(hiresync.WorkflowType, state)

	next := continueAsNew(t, env)
	require.Empty(t, next.Failed, "the re-drive ran before the run continued as new")
	require.Len(t, next.Timeline, 2)
	acts := next.Timeline[0].Actions
	require.Equal(t, hiresync.ActionFailed, acts[0].Result, "the submitted event's root failed")
	last := acts[len(acts)-1]
	require.Equal(t, "slack", last.Target)
	require.Equal(t, hiresync.ActionDone, last.Result, "and its Slack action was re-driven: %+v", acts)
}
