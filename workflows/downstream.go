package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// a is the typed nil handle through which activities are referenced.
var a *activities.Activities

// slackAttempt is how long an attempt to post one message may take.
const slackAttempt = 15 * time.Second

// slackOptions and hubspotOptions are each downstream's activity options:
// short attempts, retried durably for a day with backoff capped at 30 s (so
// a candidate's queue moves on soon after the downstream recovers; an open
// breaker fails those attempts fast); permanent errors are not retried,
// rate limits set their own next delay.
func slackOptions(ctx workflow.Context, summary string) workflow.Context {
	return downstreamOptions(ctx, summary, slackAttempt, activities.ErrSlackPermanent)
}

func hubspotOptions(ctx workflow.Context, summary string) workflow.Context {
	return downstreamOptions(ctx, summary, 30*time.Second, activities.ErrHubSpotPermanent)
}

func downstreamOptions(ctx workflow.Context, summary string, attempt time.Duration, permanent string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{permanent},
		},
		Summary: summary,
	})
}

// slack posts the application's root if it has none yet, else a reply in
// its thread, and updates the root when its status changed or a late
// application.submitted filled it in.
func (c *candidate) slack(ctx workflow.Context, ev hiresync.Event, app *hiresync.ApplicationState, statusChanged, fresh bool) []hiresync.Action {
	if app == nil {
		return []hiresync.Action{{Target: "slack", What: "post", Result: hiresync.ActionSkipped, Detail: "event has no application"}}
	}
	if app.RootTS == "" {
		req := activities.SlackRootRequest{
			EventID: ev.ID, CandidateID: c.CandidateID, JobID: app.JobID, Channel: app.Channel, View: c.view(app),
			Since: ev.ReceivedAt, Fresh: fresh,
		}
		var res activities.SlackResult
		err := workflow.ExecuteActivity(slackOptions(ctx, "Slack: post root for "+app.JobID), a.PostSlackRoot, req).Get(ctx, &res)
		act := slackAction("post root", res, err)
		if err == nil && res.Skipped == "" {
			app.Channel, app.RootTS, app.RootEventID = res.Channel, res.TS, ev.ID
		}
		return []hiresync.Action{act}
	}

	req := activities.SlackReplyRequest{Channel: app.Channel, ThreadTS: app.RootTS, Event: ev, Fresh: fresh}
	replySummary := fmt.Sprintf("Slack: reply %s in %s", ev.Type, app.Channel)
	if !statusChanged && ev.Type != hiresync.ApplicationSubmitted {
		var res activities.SlackResult
		err := workflow.ExecuteActivity(slackOptions(ctx, replySummary), a.PostSlackReply, req).Get(ctx, &res)
		return []hiresync.Action{slackAction("reply", res, err)}
	}

	upd := activities.SlackUpdateRequest{
		Channel: app.Channel, TS: app.RootTS, EventID: app.RootEventID, CandidateID: c.CandidateID, JobID: app.JobID, View: c.view(app),
	}
	updateSummary := fmt.Sprintf("Slack: update root to %q in %s", app.Status, app.Channel)
	if c.replyWithRoot {
		var res activities.SlackReplyAndRootResult
		err := workflow.ExecuteActivity(slackOptions(ctx, replySummary+", then root to "+strconv.Quote(app.Status)),
			a.PostSlackReplyAndUpdateRoot, activities.SlackReplyAndRootRequest{Reply: req, Root: upd}).Get(ctx, &res)
		reply := slackAction("reply", res.Reply, err)
		return []hiresync.Action{reply, rootUpdateAction(reply, res.Root, res.RootFailed)}
	}

	// Runs begun before replyWithRootChange keep their two activities.
	var res activities.SlackResult
	err := workflow.ExecuteActivity(slackOptions(ctx, replySummary), a.PostSlackReply, req).Get(ctx, &res)
	actions := []hiresync.Action{slackAction("reply", res, err)}
	err = workflow.ExecuteActivity(slackOptions(ctx, updateSummary), a.UpdateSlackRoot, upd).Get(ctx, &res)
	return append(actions, slackAction("update root", res, err))
}

// fresh tells the Slack activities that nothing asked for now can have been
// posted before (see activities.SlackReplyRequest.Fresh).
func (c *candidate) fresh() bool { return !c.resetRun && !c.redriving }

// rootUpdateAction is the action of a root update made after reply.
func rootUpdateAction(reply hiresync.Action, root activities.SlackResult, failed string) hiresync.Action {
	update := slackAction("update root", root, nil)
	switch {
	case reply.Result == hiresync.ActionFailed:
		update.Result, update.Detail = hiresync.ActionSkipped, "not tried: the reply failed"
	case failed != "":
		update.Result, update.Detail = hiresync.ActionFailed, failed
	}
	return update
}

func slackAction(what string, res activities.SlackResult, err error) hiresync.Action {
	act := hiresync.Action{Target: "slack", What: what}
	switch {
	case err != nil:
		act.Result, act.Detail = hiresync.ActionFailed, failure(err)
	case res.Skipped != "":
		act.Result, act.Detail = hiresync.ActionSkipped, res.Skipped
	default:
		act.Result = hiresync.ActionDone
		act.Detail = "in " + res.Channel + " ts " + res.TS
		if res.Adopted {
			act.Detail += " (found already posted)"
		}
	}
	return act
}

// hubspot writes the event's part of the contact, per PRODUCT.md's table.
func (c *candidate) hubspot(ctx workflow.Context, ev hiresync.Event) []hiresync.Action {
	change, why := c.contactChange(ctx, ev, c.Contact)
	if why != "" {
		return []hiresync.Action{contactSkipped(why)}
	}
	return []hiresync.Action{c.syncContact(ctx, &step{ev: ev, change: change})}
}

// syncContact writes the contact writes of steps (one event's, or several
// merged into one) and once it is done keeps what was written in the
// state. It returns the action each of those events gets.
func (c *candidate) syncContact(ctx workflow.Context, steps ...*step) hiresync.Action {
	change, summary, also := merged(steps), "HubSpot: upsert contact for "+steps[0].ev.Type, ""
	if n := len(steps); n > 1 {
		summary = fmt.Sprintf("HubSpot: upsert contact for %d events (%s … %s)", n, steps[0].ev.Type, steps[n-1].ev.Type)
		also = fmt.Sprintf(" (one write for %d events)", n)
	}
	act := hiresync.Action{Target: "hubspot", What: "upsert contact"}
	var res activities.ContactResult
	err := workflow.ExecuteActivity(hubspotOptions(ctx, summary), a.SyncContact, change).Get(ctx, &res)
	switch {
	case err != nil:
		act.Result, act.Detail = hiresync.ActionFailed, failure(err)
	case res.Skipped != "":
		act.Result, act.Detail = hiresync.ActionSkipped, res.Skipped
	default:
		act.Result = hiresync.ActionDone
		act.Detail = fmt.Sprintf("%d properties", res.Written)
		if res.LifecycleAfter != res.LifecycleBefore {
			act.Detail += fmt.Sprintf(", lifecycle %q → %q", res.LifecycleBefore, res.LifecycleAfter)
		}
		act.Detail += also
		for _, s := range steps {
			wrote(&c.Contact, s.change, s.ev)
		}
		if res.LifecycleAfter != "" {
			c.Contact.Lifecycle = res.LifecycleAfter
		}
	}
	return act
}

// contactSkipped is the action of an event that writes nothing to HubSpot.
func contactSkipped(why string) hiresync.Action {
	return hiresync.Action{Target: "hubspot", What: "upsert contact", Result: hiresync.ActionSkipped, Detail: why}
}

// wrote keeps in contact what an event's change wrote.
func wrote(contact *hiresync.ContactState, change activities.ContactChange, ev hiresync.Event) {
	if change.FirstName != "" || change.CandidateID != "" {
		contact.Created = true
	}
	if change.Stage != "" {
		contact.Stage, contact.StageAt = change.Stage, ev.CreatedAt
	}
	if change.TalentPool != "" {
		contact.TalentPool = change.TalentPool
	}
}

// latePassChange is the workflow change (workflow.GetVersion) that tags a
// rejected candidate for the talent pool when a passed test comes after the
// rejection. It is asked only when that happens, so other histories carry no
// marker for it.
const latePassChange = "talent-pool-on-late-test-pass"

// contactChange maps an event to its contact write, given what was written
// to the contact before it, or says why there is none.
func (c *candidate) contactChange(ctx workflow.Context, ev hiresync.Event, contact hiresync.ContactState) (activities.ContactChange, string) {
	if c.Candidate.Email == "" {
		return activities.ContactChange{}, "candidate has no email: not synced to HubSpot"
	}
	ch := activities.ContactChange{EventID: ev.ID, Email: c.Candidate.Email}
	if !contact.Created || ev.Type == hiresync.ApplicationSubmitted {
		ch.FirstName = c.Candidate.FirstName
		ch.LastName = c.Candidate.LastName
		ch.CandidateID = c.CandidateID
		ch.ProfileURL = c.Candidate.ProfileURL
		if app := ev.Data.Application; app != nil {
			ch.SourceJob = app.Job.Title
		}
		ch.Lifecycle = activities.LifecycleIfEmpty
	}
	// A stage older than the one written never overwrites it.
	fresh := contact.Stage == "" || !ev.CreatedAt.Before(contact.StageAt)
	switch ev.Type {
	case hiresync.StageChanged:
		if sc := ev.Data.StageChange; sc != nil && sc.To != "" && fresh {
			ch.Stage = sc.To
		}
	case hiresync.CandidateHired:
		ch.Lifecycle = activities.LifecycleHired
		if fresh {
			ch.Stage = hiresync.StatusHired
		}
	case hiresync.ApplicationRejected:
		if fresh {
			ch.Stage = hiresync.StatusRejected
		}
		if r := ev.Data.Rejection; r != nil && r.Qualified || c.PassedTest {
			ch.TalentPool = activities.TalentPoolQualified
		}
	case hiresync.TestPassed, hiresync.TestCompleted:
		// A test passed after the rejection (or delivered after it) makes
		// the rejected candidate qualified all the same.
		if c.PassedTest && c.Rejected && contact.TalentPool == "" &&
			workflow.GetVersion(ctx, latePassChange, workflow.DefaultVersion, 1) >= 1 {
			ch.TalentPool = activities.TalentPoolQualified
		}
	}
	if ch == (activities.ContactChange{EventID: ev.ID, Email: c.Candidate.Email}) {
		return ch, "no contact property for " + ev.Type
	}
	return ch, ""
}

// failure is the timeline's word for a failed activity: its error type and
// message, without the wrapping.
func failure(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.Type() != "" {
			return appErr.Type() + ": " + appErr.Message()
		}
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.TimeoutType().String()
	}
	return err.Error()
}
