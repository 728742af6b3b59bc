package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// togetherChange is the workflow change (workflow.GetVersion) that takes
// the events waiting in the signal channel together: their Slack posts in
// one activity per application, their contact writes merged into one. Runs
// begun before it take one event at a time until they continue as new.
const togetherChange = "take-waiting-events-together"

// maxTogether bounds how many events are taken together, and so how long
// one Slack activity posts (at most one message a second per channel).
const maxTogether = 10

// waiting is first and the events already waiting behind it, up to
// maxTogether new ones (repeated deliveries do not count).
func (c *candidate) waiting(events workflow.ReceiveChannel, first hiresync.Event) []hiresync.Event {
	evs := []hiresync.Event{first}
	seen := map[string]bool{first.ID: true}
	for len(seen) < maxTogether {
		var ev hiresync.Event
		if !events.ReceiveAsync(&ev) {
			break
		}
		evs = append(evs, ev)
		if !c.Seen[ev.ID] {
			seen[ev.ID] = true
		}
	}
	return evs
}

// handleAll takes events that arrived together, in their order: each into
// the state as handle would, then their actions, with as few activities as
// keep every Slack message and contact write the same: one Slack activity
// per application, and one contact write per run of events with the same
// email, the runs written in order.
func (c *candidate) handleAll(ctx workflow.Context, evs []hiresync.Event) {
	steps := c.takeAll(ctx, evs)
	if len(steps) == 0 {
		return
	}
	wg := workflow.NewWaitGroup(ctx)
	run := func(f func(ctx workflow.Context)) {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			f(ctx)
		})
	}
	for _, group := range byApplication(steps) {
		run(func(ctx workflow.Context) {
			if len(group) == 1 || group[0].app == nil {
				for _, s := range group {
					s.slack = c.slack(ctx, s.ev, s.app, s.statusChanged, c.fresh())
				}
				return
			}
			for n, acts := range c.slackThread(ctx, group) {
				group[n].slack = acts
			}
		})
	}
	run(func(ctx workflow.Context) {
		for _, writes := range byEmail(steps) {
			act := c.syncContact(ctx, writes...)
			for _, s := range writes {
				s.hubspot = act
			}
		}
	})
	wg.Wait(ctx)

	for _, s := range steps {
		hubspot := s.hubspot
		if s.noChange != "" {
			hubspot = contactSkipped(s.noChange)
		}
		c.Timeline[s.entry].Actions = append(s.slack, hubspot)
		if f := (hiresync.FailedEvent{Event: s.ev, Slack: anyFailed(s.slack), HubSpot: hubspot.Result == hiresync.ActionFailed}); f.Slack || f.HubSpot {
			c.Failed = append(c.Failed, f)
		}
	}
	c.publish(ctx)
}

// takeAll takes each new event into the state, in order, with its root
// view and its contact write as they are right after it.
func (c *candidate) takeAll(ctx workflow.Context, evs []hiresync.Event) []*step {
	var steps []*step
	contact := c.Contact // as it will be once the writes before are done
	for _, ev := range evs {
		s := c.take(ctx, ev)
		if s == nil {
			continue
		}
		if s.app != nil {
			s.view = c.view(s.app)
		}
		if s.change, s.noChange = c.contactChange(ctx, ev, contact); s.noChange == "" {
			wrote(&contact, s.change, ev)
		}
		steps = append(steps, s)
	}
	return steps
}

// byApplication groups the steps by application, in the order each
// application first comes; the steps without one are a group.
func byApplication(steps []*step) [][]*step {
	var groups [][]*step
	at := map[*hiresync.ApplicationState]int{}
	for _, s := range steps {
		g, ok := at[s.app]
		if !ok {
			g = len(groups)
			at[s.app] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], s)
	}
	return groups
}

// byEmail groups the steps that write the contact into runs of the same
// email (a candidate whose email changed writes both contacts, in order).
func byEmail(steps []*step) [][]*step {
	var groups [][]*step
	email := ""
	for _, s := range steps {
		if s.noChange != "" {
			continue
		}
		if len(groups) == 0 || s.change.Email != email {
			groups = append(groups, nil)
			email = s.change.Email
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], s)
	}
	return groups
}

// merged is one contact write with the effect of the steps' writes in
// their order: a later value wins, and a hire's lifecycle stage wins over
// "other only if it has none" whichever came first (that one changes
// nothing once the contact has a stage).
func merged(steps []*step) activities.ContactChange {
	m := steps[0].change
	later := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	for _, s := range steps[1:] {
		ch := s.change
		m.EventID = ch.EventID
		later(&m.FirstName, ch.FirstName)
		later(&m.LastName, ch.LastName)
		later(&m.CandidateID, ch.CandidateID)
		later(&m.SourceJob, ch.SourceJob)
		later(&m.ProfileURL, ch.ProfileURL)
		later(&m.Stage, ch.Stage)
		later(&m.TalentPool, ch.TalentPool)
		if m.Lifecycle != activities.LifecycleHired {
			later(&m.Lifecycle, ch.Lifecycle)
		}
	}
	return m
}

// slackThread posts the steps of one application in one activity (see
// activities.PostSlackThread) and returns each step's actions, as slack
// would have for each. When the activity stopped early, at a failure a
// retry could fix, the rest are posted one activity each: the first of them
// may have been posted, so it looks first, and so do all of them when the
// activity was a retry (its earlier attempt may have posted any).
func (c *candidate) slackThread(ctx workflow.Context, steps []*step) [][]hiresync.Action {
	app := steps[0].app
	req := activities.SlackThreadRequest{Channel: app.Channel, ThreadTS: app.RootTS}
	replies, rootEventID := steps, app.RootEventID
	if app.RootTS == "" {
		first := steps[0]
		req.Root = &activities.SlackRootRequest{
			EventID: first.ev.ID, CandidateID: c.CandidateID, JobID: app.JobID, Channel: app.Channel, View: first.view,
			Since: first.ev.ReceivedAt, Fresh: c.fresh(),
		}
		replies, rootEventID = steps[1:], first.ev.ID
	}
	status := ""
	for _, s := range replies {
		r := activities.SlackThreadReply{Event: s.ev, Fresh: c.fresh()}
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
	err := workflow.ExecuteActivity(opts, a.PostSlackThread, req).Get(ctx, &res)

	out := make([][]hiresync.Action, 0, len(steps))
	if req.Root != nil && (err != nil || res.Done(req) > 0) {
		root := slackAction("post root", res.Root, err)
		if res.RootFailed != "" {
			root.Result, root.Detail = hiresync.ActionFailed, res.RootFailed
		}
		if root.Result == hiresync.ActionDone {
			app.Channel, app.RootTS, app.RootEventID = res.Root.Channel, res.Root.TS, rootEventID
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
			out = append(out, c.slack(ctx, s.ev, app, s.statusChanged, c.fresh() && i > 0 && !res.Retry))
		}
	}
	return out
}

// threadSummary is the Web UI's line for a PostSlackThread activity.
func threadSummary(req activities.SlackThreadRequest, jobID, status string) string {
	line := fmt.Sprintf("Slack: %d replies in %s", len(req.Replies), req.Channel)
	if req.Root != nil {
		line = fmt.Sprintf("Slack: post root for %s and %d replies", jobID, len(req.Replies))
	}
	if status != "" {
		line += fmt.Sprintf(", then root to %q", status)
	}
	return line
}
