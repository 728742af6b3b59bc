package workflows

import (
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// slackAttempt is how long an attempt to post one message may take.
const slackAttempt = 15 * time.Second

func slackOptions(ctx workflow.Context, summary string) workflow.Context {
	return downstreamOptions(ctx, summary, slackAttempt, activities.ErrSlackPermanent)
}

// neverAskedBefore tells the Slack activities that nothing asked for now
// can have been posted before (see activities.SlackReplyRequest.Fresh).
func (c *candidate) neverAskedBefore() bool { return !c.resetRun && !c.redriving }

// postSlack posts the step's application's root if it has none yet, else a
// reply in its thread, and updates the root when its status changed or a
// late application.submitted filled it in. fresh is the requests' Fresh.
func (c *candidate) postSlack(ctx workflow.Context, s *step, fresh bool) []hiresync.Action {
	ev, app := s.ev, s.app
	if app == nil {
		return []hiresync.Action{{Target: "slack", What: "post", Result: hiresync.ActionSkipped, Detail: "event has no application"}}
	}
	if app.RootTS == "" {
		req := activities.SlackRootRequest{
			EventID: ev.ID, CandidateID: c.CandidateID, JobID: app.JobID, Channel: app.Channel, View: c.view(app),
			Since: ev.ReceivedAt, Fresh: fresh,
		}
		var res activities.SlackResult
		err := workflow.ExecuteActivity(slackOptions(ctx, "Slack: post root for "+app.JobID), activity.PostSlackRoot, req).Get(ctx, &res)
		act := slackAction("post root", res, err)
		if err == nil && res.Skipped == "" {
			app.Channel, app.RootTS, app.RootEventID, app.Nudges = res.Channel, res.TS, ev.ID, res.Nudges
		}
		return []hiresync.Action{act}
	}

	req := activities.SlackReplyRequest{Channel: app.Channel, ThreadTS: app.RootTS, Event: ev, Fresh: fresh}
	summary := fmt.Sprintf("Slack: reply %s in %s", ev.Type, app.Channel)
	if !s.statusChanged && ev.Type != hiresync.ApplicationSubmitted {
		var res activities.SlackResult
		err := workflow.ExecuteActivity(slackOptions(ctx, summary), activity.PostSlackReply, req).Get(ctx, &res)
		return []hiresync.Action{slackAction("reply", res, err)}
	}

	upd := activities.SlackUpdateRequest{
		Channel: app.Channel, TS: app.RootTS, EventID: app.RootEventID, CandidateID: c.CandidateID, JobID: app.JobID, View: c.view(app),
	}
	var res activities.SlackReplyAndRootResult
	err := workflow.ExecuteActivity(slackOptions(ctx, summary+", then root to "+strconv.Quote(string(app.Status))),
		activity.PostSlackReplyAndUpdateRoot, activities.SlackReplyAndRootRequest{Reply: req, Root: upd}).Get(ctx, &res)
	reply := slackAction("reply", res.Reply, err)
	return []hiresync.Action{reply, rootUpdateAction(reply, res.Root, res.RootFailed)}
}

// postSlackThread posts the steps of one application in one activity (see
// activities.PostSlackThread) and returns each step's actions, as postSlack
// would have for each. When the activity stopped early, at a failure a
// retry could fix, the rest are posted one activity each: the first of them
// may have been posted, so it looks first, and so do all of them when the
// activity was a retry (its earlier attempt may have posted any).
func (c *candidate) postSlackThread(ctx workflow.Context, steps []*step) [][]hiresync.Action {
	app := steps[0].app
	req := activities.SlackThreadRequest{Channel: app.Channel, ThreadTS: app.RootTS}
	replies, rootEventID := steps, app.RootEventID
	if app.RootTS == "" {
		first := steps[0]
		req.Root = &activities.SlackRootRequest{
			EventID: first.ev.ID, CandidateID: c.CandidateID, JobID: app.JobID, Channel: app.Channel, View: first.view,
			Since: first.ev.ReceivedAt, Fresh: c.neverAskedBefore(),
		}
		replies, rootEventID = steps[1:], first.ev.ID
	}
	var status hiresync.Status
	for _, s := range replies {
		r := activities.SlackThreadReply{Event: s.ev, Fresh: c.neverAskedBefore()}
		if s.statusChanged || s.ev.Type == hiresync.ApplicationSubmitted {
			r.Root = &activities.SlackUpdateRequest{EventID: rootEventID, CandidateID: c.CandidateID, JobID: app.JobID, View: s.view}
			status = s.view.Status
		}
		req.Replies = append(req.Replies, r)
	}

	// Each post gets the time a single post's attempt has.
	opts := slackOptions(ctx, threadSummary(req, app.JobID, status))
	opts = workflow.WithStartToCloseTimeout(opts, time.Duration(len(steps))*slackAttempt)
	var res activities.SlackThreadResult
	err := workflow.ExecuteActivity(opts, activity.PostSlackThread, req).Get(ctx, &res)

	out := make([][]hiresync.Action, 0, len(steps))
	if req.Root != nil && (err != nil || res.Done(req) > 0) {
		root := slackAction("post root", res.Root, err)
		if res.RootFailed != "" {
			root.Result, root.Detail = hiresync.ActionFailed, res.RootFailed
		}
		if root.Result == hiresync.ActionDone {
			app.Channel, app.RootTS, app.RootEventID, app.Nudges = res.Root.Channel, res.Root.TS, rootEventID, res.Root.Nudges
		}
		out = append(out, []hiresync.Action{root})
	}
	for i, r := range req.Replies {
		if err == nil && len(out) == res.Done(req) {
			break
		}
		var got activities.SlackThreadReplyResult
		if err == nil {
			got = res.Replies[i]
		}
		reply := slackAction("reply", got.Reply, err)
		if got.ReplyFailed != "" {
			reply.Result, reply.Detail = hiresync.ActionFailed, got.ReplyFailed
		}
		acts := []hiresync.Action{reply}
		if r.Root != nil {
			acts = append(acts, rootUpdateAction(reply, got.Root, got.RootFailed))
		}
		out = append(out, acts)
	}
	if err == nil && res.Stopped != "" {
		workflow.GetLogger(ctx).Warn("Slack thread stopped early; posting the rest one at a time", "done", len(out), "why", res.Stopped)
		for i, s := range steps[len(out):] {
			out = append(out, c.postSlack(ctx, s, c.neverAskedBefore() && i > 0 && !res.Retry))
		}
	}
	return out
}

// threadSummary is the Web UI's line for a PostSlackThread activity.
func threadSummary(req activities.SlackThreadRequest, jobID string, status hiresync.Status) string {
	line := fmt.Sprintf("Slack: %d replies in %s", len(req.Replies), req.Channel)
	if req.Root != nil {
		line = fmt.Sprintf("Slack: post root for %s and %d replies", jobID, len(req.Replies))
	}
	if status != "" {
		line += fmt.Sprintf(", then root to %q", status)
	}
	return line
}

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

// slackAction is the action of a Slack write that ended with res or err.
func slackAction(what string, res activities.SlackResult, err error) hiresync.Action {
	act := actionOf("slack", what, err, res.Skipped)
	if act.Result == hiresync.ActionDone {
		act.Detail = "in " + res.Channel + " ts " + res.TS
		if res.Adopted {
			act.Detail += " (found already posted)"
		}
		if res.Note != "" {
			act.Detail += "; " + res.Note
		}
	}
	return act
}
