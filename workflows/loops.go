package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// handoffActivity is the typed nil handle of the hand-off's activities.
var handoffActivity *handoff.Activities

// handoffAttempt is how long one delivery attempt of a hand-off may take.
const handoffAttempt = 30 * time.Second

// closeLoops does what a hire asks beyond its Slack reply and contact
// write: the hand-off to IT and finance, and the provisioning channel's
// message, side by side. It returns their actions.
func (c *candidate) closeLoops(ctx workflow.Context, ev hiresync.Event, redo hiresync.FailedEvent) (handOff, provision *hiresync.Action) {
	var branches []func(workflow.Context)
	if redo.Handoff {
		branches = append(branches, func(ctx workflow.Context) {
			act := c.handOff(ctx, ev)
			handOff = &act
		})
	}
	if redo.Provisioning {
		branches = append(branches, func(ctx workflow.Context) {
			act := c.postHireNotice(ctx, ev)
			provision = &act
		})
	}
	inParallel(ctx, branches...)
	return handOff, provision
}

// handOff sends the hire's hand-off: durable retries for 408, 429, 5xx and
// network errors, a failed action for any other 4xx (re-driven by
// RedriveSignal). Every attempt carries the same webhook-id.
func (c *candidate) handOff(ctx workflow.Context, ev hiresync.Event) hiresync.Action {
	opts := downstreamOptions(ctx, "Hand-off of hire "+ev.ID+" to IT and finance", handoffAttempt, handoff.ErrPermanent)
	var res handoff.Result
	err := workflow.ExecuteActivity(opts, handoffActivity.SendHireHandoff, handoff.Request{Event: ev}).Get(ctx, &res)
	act := actionOf("handoff", "hand off", err, res.Skipped)
	if act.Result == hiresync.ActionDone {
		act.Detail = "webhook-id " + res.WebhookID
	}
	return act
}

// postHireNotice posts the hire's message in the provisioning channel.
func (c *candidate) postHireNotice(ctx workflow.Context, ev hiresync.Event) hiresync.Action {
	req := activities.NewHireNoticeRequest(ev, c.neverAskedBefore())
	var res activities.SlackResult
	err := workflow.ExecuteActivity(slackOptions(ctx, "Slack: provisioning message for hire "+ev.ID),
		activity.PostHireNotice, req).Get(ctx, &res)
	return slackAction("provisioning message", res, err)
}

// rearmNudges starts the application's quiet spell again at the event just
// taken: no nudge is due before its whole quiet time has passed.
func rearmNudges(ctx workflow.Context, app *hiresync.ApplicationState, ev hiresync.Event) {
	app.QuietSince, app.Nudged = workflow.Now(ctx), 0
	app.QuietEvent = &hiresync.Event{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt, Data: hiresync.EventData{
		Test: ev.Data.Test, Interview: ev.Data.Interview, StageChange: ev.Data.StageChange,
	}}
	if iv := app.QuietEvent.Data.Interview; iv != nil && len(iv.Interviewers) > 0 {
		trimmed := *iv
		trimmed.Interviewers = nil
		app.QuietEvent.Data.Interview = &trimmed
	}
}

// nextNudge is when the earliest nudge of the open applications is due.
func (c *candidate) nextNudge() (time.Time, bool) {
	var next time.Time
	for _, app := range c.orderedApplications() {
		if due, ok := app.NudgeDue(); ok && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return next, !next.IsZero()
}

// nudgeTimer is the pending timer of the next nudge, at. A timer already
// pending for no later than at is kept: when it fires, nothing may be due
// yet (an event re-armed the quiet spell), and the next one is armed then.
// Only an earlier deadline cancels it. So an event costs no timer commands.
func (c *candidate) nudgeTimer(ctx workflow.Context, at time.Time) workflow.Future {
	if c.nudge != nil && !c.nudgeAt.After(at) {
		return c.nudge
	}
	if c.cancelNudge != nil {
		c.cancelNudge()
	}
	tctx, cancel := workflow.WithCancel(ctx)
	c.nudge, c.nudgeAt, c.cancelNudge = workflow.NewTimerWithOptions(tctx, max(at.Sub(workflow.Now(ctx)), time.Second),
		workflow.TimerOptions{Summary: "nudge the recruiter of a quiet application"}), at, cancel
	return c.nudge
}

// sendDueNudges is called when the nudge timer fired: it nudges every open
// application whose quiet time has passed, in order, each a timeline entry.
func (c *candidate) sendDueNudges(ctx workflow.Context) {
	c.nudge, c.cancelNudge = nil, nil
	now := workflow.Now(ctx)
	sent := false
	for _, app := range c.orderedApplications() {
		due, ok := app.NudgeDue()
		if !ok || due.After(now) {
			continue
		}
		n := app.Nudged + 1
		req := activities.SlackNudgeRequest{
			Channel: app.Channel, ThreadTS: app.RootTS, NudgeID: slackpost.NudgeID(app.QuietEvent.ID, n),
			CandidateID: c.CandidateID, JobID: app.JobID, Quiet: now.Sub(app.QuietSince), Reminder: n == hiresync.MaxNudges,
			Since: *app.QuietEvent, Fresh: c.neverAskedBefore(),
		}
		var res activities.SlackResult
		err := workflow.ExecuteActivity(slackOptions(ctx, fmt.Sprintf("Slack: nudge %d for %s in %s", n, app.JobID, app.Channel)),
			activity.PostSlackNudge, req).Get(ctx, &res)
		app.Nudged = n
		what := "nudge"
		if req.Reminder {
			what = "reminder"
		}
		act := slackAction(what, res, err)
		if act.Result == hiresync.ActionDone {
			act.Detail = fmt.Sprintf("quiet %s in status %s; %s", req.Quiet, app.Status, act.Detail)
		}
		c.Timeline = append(c.Timeline, hiresync.TimelineEntry{
			EventID: req.NudgeID, Type: hiresync.NudgeEntry, ReceivedAt: now,
			Application: app.Key, JobID: app.JobID, Actions: []hiresync.Action{act},
		})
		sent = true
	}
	if sent {
		c.publish(ctx)
	}
}

// stalledSince is since when the candidate's longest-quiet nudged open
// application has been quiet; zero when none is nudged.
func (c *candidate) stalledSince() time.Time {
	var since time.Time
	for _, app := range c.orderedApplications() {
		if !app.Closed && app.Nudged > 0 && (since.IsZero() || app.QuietSince.Before(since)) {
			since = app.QuietSince
		}
	}
	return since
}
