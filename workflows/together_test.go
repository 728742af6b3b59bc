package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// runGroups signals each group of events at once, a minute after the one
// before; then it reads the timeline and the state and cancels the
// workflow. The workflow takes a group's first event as soon as it comes;
// the others wait in the channel behind it while its actions run, and are
// taken together.
func (h *harness) runGroups(t *testing.T, groups ...[]hiresync.Event) ([]hiresync.TimelineEntry, hiresync.CandidateState) {
	t.Helper()
	for i, g := range groups {
		h.env.RegisterDelayedCallback(func() {
			for _, ev := range g {
				h.env.SignalWorkflow(hiresync.SignalName, ev)
			}
		}, time.Duration(i+1)*time.Minute)
	}
	var tl []hiresync.TimelineEntry
	var state hiresync.CandidateState
	h.env.RegisterDelayedCallback(func() {
		tl = timeline(t, h.env)
		v, err := h.env.QueryWorkflow(hiresync.StateQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
		h.env.CancelWorkflow()
	}, time.Duration(len(groups)+1)*time.Minute)
	h.env.ExecuteWorkflow(hiresync.WorkflowType, hiresync.NewState("cand_7Q2KXW"))
	require.True(t, h.env.IsWorkflowCompleted())
	return tl, state
}

// otherApplication is the candidate's application to another job, sent
// first in a group so that the group's other events wait together.
func otherApplication(t *testing.T) hiresync.Event {
	ev := sample(t, hiresync.ApplicationSubmitted)
	ev.ID = "evt_other_application"
	ev.Data.Application.ID = "app_OTHER"
	ev.Data.Application.Job = hiresync.Job{ID: "job_FE7", Title: "Frontend Engineer"}
	return ev
}

func TestEventsThatWaitTogetherShareTheirActivities(t *testing.T) {
	// The candidate's other application, then one application's story.
	story := func(t *testing.T) []hiresync.Event {
		return []hiresync.Event{
			otherApplication(t), sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed),
			sample(t, hiresync.InterviewScheduled), sample(t, hiresync.StageChanged), sample(t, hiresync.CandidateHired),
		}
	}
	// The same story one event at a time: what taking them together must
	// not change.
	alone := newHarness(t)
	var one [][]hiresync.Event
	for _, ev := range story(t) {
		one = append(one, []hiresync.Event{ev})
	}
	aloneTL, aloneState := alone.runGroups(t, one...)
	require.Zero(t, alone.calls.threads, "one event at a time uses the single activities")
	require.Len(t, alone.calls.changes, 4)

	for _, tt := range []struct {
		name   string
		groups func(evs []hiresync.Event) [][]hiresync.Event
		writes int
	}{
		// The other application's event is taken alone; the story's five
		// (and a repeated delivery) wait behind it.
		{"a new thread", func(evs []hiresync.Event) [][]hiresync.Event { return [][]hiresync.Event{evs} }, 2},
		// The submitted event is taken alone and posts the root; the
		// story's four others wait behind it.
		{"an existing thread", func(evs []hiresync.Event) [][]hiresync.Event { return [][]hiresync.Event{evs[:1], evs[1:]} }, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			evs := story(t)
			tl, state := h.runGroups(t, tt.groups(append(evs, evs[3]))...)

			require.Equal(t, 1, h.calls.threads, "one Slack activity for the events that waited")
			require.Len(t, h.calls.changes, tt.writes, "one contact write for the events that waited")

			// Slack gets the same messages, in the same order.
			require.Len(t, h.calls.roots, 2)
			for i, r := range h.calls.roots {
				require.Equal(t, alone.calls.roots[i].View, r.View)
				require.Equal(t, alone.calls.roots[i].EventID, r.EventID)
				require.True(t, r.Fresh)
			}
			require.Len(t, h.calls.replies, len(alone.calls.replies))
			for i, r := range h.calls.replies {
				require.Equal(t, alone.calls.replies[i].Event.ID, r.Event.ID)
				require.Equal(t, "1.000job_BE42", r.ThreadTS)
				require.True(t, r.Fresh)
			}
			require.Len(t, h.calls.updates, len(alone.calls.updates))
			for i, u := range h.calls.updates {
				require.Equal(t, alone.calls.updates[i].View, u.View, "update %d", i)
				require.Equal(t, evs[1].ID, u.EventID, "the root keeps its event's metadata")
			}

			// HubSpot gets the last value of each property, and the hire.
			last := h.calls.changes[len(h.calls.changes)-1]
			require.Equal(t, activities.LifecycleHired, last.Lifecycle)
			require.Equal(t, hiresync.StatusHired, last.Stage)
			require.Equal(t, evs[5].ID, last.EventID)
			require.Equal(t, "ada.okafor@example.com", last.Email)
			if tt.name == "a new thread" {
				require.Equal(t, "Ada", last.FirstName, "the submitted event's base properties are in the merged write")
				require.Equal(t, "Senior Backend Engineer", last.SourceJob)
			}

			// The state and the timeline read as if taken one at a time.
			require.Equal(t, aloneState.Contact, state.Contact)
			// Each application went quiet when its last event was taken,
			// later when taken one at a time.
			require.Equal(t, withoutQuietSince(aloneState.Applications), withoutQuietSince(state.Applications))
			require.Equal(t, types(aloneTL), types(tl))
			for i, e := range tl {
				require.Len(t, e.Actions, len(aloneTL[i].Actions), "%s", e.Type)
				for j, act := range e.Actions {
					want := aloneTL[i].Actions[j]
					require.Equal(t, want.Target+" "+want.What+" "+want.Result, act.Target+" "+act.What+" "+act.Result, "%s", e.Type)
				}
			}
			require.Contains(t, tl[5].Actions[2].Detail, "one write for", "the timeline says the write was shared")
		})
	}
}

func TestEventsTogetherWriteEachEmailsContact(t *testing.T) {
	h := newHarness(t)
	moved, hired := sample(t, hiresync.StageChanged), sample(t, hiresync.CandidateHired)
	moved.Data.Candidate.Email = "ada@new.example.com"
	hired.Data.Candidate.Email = "ada@new.example.com"
	h.runGroups(t, []hiresync.Event{otherApplication(t), sample(t, hiresync.ApplicationSubmitted), moved, hired})

	require.Len(t, h.calls.changes, 3, "the other application's write, then the old email's, then the new one's")
	require.Equal(t, "ada.okafor@example.com", h.calls.changes[1].Email)
	require.Equal(t, "ada@new.example.com", h.calls.changes[2].Email)
	require.Equal(t, activities.LifecycleHired, h.calls.changes[2].Lifecycle)
	require.Equal(t, hiresync.StatusHired, h.calls.changes[2].Stage)
}

func TestEventsTogetherRejectedAfterPassedTestJoinTheTalentPool(t *testing.T) {
	h := newHarness(t)
	unqualified := sample(t, hiresync.ApplicationRejected)
	unqualified.Data.Rejection.Qualified = false
	h.runGroups(t, []hiresync.Event{otherApplication(t), sample(t, hiresync.ApplicationSubmitted), unqualified, sample(t, hiresync.TestPassed)})

	require.Len(t, h.calls.changes, 2)
	ch := h.calls.changes[1]
	require.Equal(t, hiresync.TalentPoolRejectedQualified, ch.TalentPool, "the late pass tags the rejected candidate")
	require.Equal(t, hiresync.StatusRejected, ch.Stage)
	require.Equal(t, activities.LifecycleIfEmpty, ch.Lifecycle)
}

// TestEventsTogetherAfterAFailedRootAreRedriven: when the new thread's
// root fails for good, its replies are not tried; all of them are failed
// actions, and a re-drive posts the root and the replies in order.
func TestEventsTogetherAfterAFailedRootAreRedriven(t *testing.T) {
	h := newHarness(t)
	h.calls.threadAnswers = append(h.calls.threadAnswers, func(r activities.SlackThreadRequest) (activities.SlackThreadResult, error) {
		res := activities.SlackThreadResult{RootFailed: "SlackPermanent: post: not_in_channel"}
		for range r.Replies {
			res.Replies = append(res.Replies, activities.SlackThreadReplyResult{ReplyFailed: "not tried: the root was not posted"})
		}
		return res, nil
	})
	evs := []hiresync.Event{otherApplication(t), sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed), sample(t, hiresync.StageChanged)}
	h.env.RegisterDelayedCallback(func() {
		for _, ev := range evs {
			h.env.SignalWorkflow(hiresync.SignalName, ev)
		}
	}, time.Minute)
	var before, after []hiresync.TimelineEntry
	h.env.RegisterDelayedCallback(func() {
		before = timeline(t, h.env)
		h.env.SignalWorkflow(hiresync.RedriveSignal, nil)
	}, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		after = timeline(t, h.env)
		h.env.CancelWorkflow()
	}, 3*time.Minute)
	h.env.ExecuteWorkflow(hiresync.WorkflowType, hiresync.NewState("cand_7Q2KXW"))

	require.Equal(t, 1, h.calls.threads)
	require.Len(t, before, 4)
	require.Equal(t, "post root", before[1].Actions[0].What)
	require.Equal(t, hiresync.ActionFailed, before[1].Actions[0].Result)
	require.Contains(t, before[1].Actions[0].Detail, "not_in_channel")
	for _, e := range before[2:] {
		require.Equal(t, hiresync.ActionFailed, e.Actions[0].Result, "%s", e.Type)
		require.Contains(t, e.Actions[0].Detail, "root was not posted")
	}

	// The re-drive takes the failed events one at a time, in order.
	require.Len(t, h.calls.roots, 2, "the other application's root, then the re-driven one")
	require.Equal(t, evs[1].ID, h.calls.roots[1].EventID)
	require.False(t, h.calls.roots[1].Fresh, "a re-drive looks before posting")
	require.Len(t, h.calls.replies, 2)
	require.Equal(t, evs[2].ID, h.calls.replies[0].Event.ID)
	require.Equal(t, evs[3].ID, h.calls.replies[1].Event.ID)
	for _, e := range after {
		last := e.Actions[len(e.Actions)-1]
		require.Equal(t, hiresync.ActionDone, last.Result, "%s: %v", e.Type, e.Actions)
	}
}

// TestEventsTogetherWhenTheThreadActivityFails: an activity that failed
// for good fails every event's Slack action, and nothing is taken as
// posted.
func TestEventsTogetherWhenTheThreadActivityFails(t *testing.T) {
	h := newHarness(t)
	h.calls.threadAnswers = append(h.calls.threadAnswers, func(activities.SlackThreadRequest) (activities.SlackThreadResult, error) {
		return activities.SlackThreadResult{}, temporal.NewNonRetryableApplicationError("post: channel_not_found", activities.ErrSlackPermanent, nil)
	})
	tl, state := h.runGroups(t, []hiresync.Event{otherApplication(t), sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.StageChanged)})

	require.Len(t, tl, 3)
	require.Equal(t, hiresync.ActionFailed, tl[1].Actions[0].Result)
	require.Contains(t, tl[1].Actions[0].Detail, "channel_not_found")
	require.Equal(t, hiresync.ActionFailed, tl[2].Actions[0].Result)
	require.Equal(t, "update root", tl[2].Actions[1].What)
	require.Equal(t, hiresync.ActionSkipped, tl[2].Actions[1].Result)
	require.Len(t, state.Failed, 2)
	require.Empty(t, state.Applications["app_91XR3"].RootTS)
}

// TestEventsTogetherStoppedEarlyGoOnOneAtATime: when the thread's activity
// stops at a failure a retry could fix, what it did stands and the rest is
// posted one activity each. The post it stopped at may have happened, so
// that one looks first; after a retry of the activity any of them may have,
// so all of them look.
func TestEventsTogetherStoppedEarlyGoOnOneAtATime(t *testing.T) {
	for _, retry := range []bool{false, true} {
		t.Run(fmt.Sprintf("retry=%v", retry), func(t *testing.T) {
			h := newHarness(t)
			h.calls.threadAnswers = append(h.calls.threadAnswers, func(r activities.SlackThreadRequest) (activities.SlackThreadResult, error) {
				return activities.SlackThreadResult{
					Root:    activities.SlackResult{Channel: "C0BACKEND", TS: "1.000job_BE42"},
					Stopped: "SlackUnavailable: post: Slack circuit breaker is open",
					Retry:   retry,
				}, nil
			})
			evs := []hiresync.Event{otherApplication(t), sample(t, hiresync.ApplicationSubmitted), sample(t, hiresync.TestPassed), sample(t, hiresync.InterviewScheduled)}
			tl, state := h.runGroups(t, evs)

			require.Equal(t, 1, h.calls.threads)
			require.Len(t, h.calls.replies, 2, "the two replies, one activity each")
			require.Equal(t, evs[2].ID, h.calls.replies[0].Event.ID)
			require.False(t, h.calls.replies[0].Fresh, "the post it stopped at may have happened")
			require.Equal(t, "1.000job_BE42", h.calls.replies[0].ThreadTS, "in the thread the activity started")
			require.Equal(t, evs[3].ID, h.calls.replies[1].Event.ID)
			require.Equal(t, !retry, h.calls.replies[1].Fresh, "after a retry, any may have happened")
			require.Len(t, h.calls.updates, 1, "test.passed changed the status")
			for _, e := range tl {
				for _, act := range e.Actions {
					if act.Target == "slack" {
						require.Equal(t, hiresync.ActionDone, act.Result, "%s: %+v", e.Type, act)
					}
				}
			}
			require.Equal(t, "1.000job_BE42", state.Applications["app_91XR3"].RootTS)
			require.Empty(t, state.Failed)
		})
	}
}

// withoutQuietSince is a copy of apps without the time each went quiet.
func withoutQuietSince(apps map[string]*hiresync.ApplicationState) map[string]hiresync.ApplicationState {
	out := map[string]hiresync.ApplicationState{}
	for k, app := range apps {
		a := *app
		a.QuietSince = time.Time{}
		out[k] = a
	}
	return out
}
