package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// maxTogether bounds how many events are taken together, and so how long
// one Slack activity posts (at most one message a second per channel).
const maxTogether = 10

// step is one new event taken into the state, with what its actions need
// and, once they ran, what they did.
type step struct {
	ev            hiresync.Event
	app           *hiresync.ApplicationState
	statusChanged bool
	// entry is the event's index in the timeline.
	entry int
	// view is the application's root view right after the event, and
	// change (or noChange, why there is none) its contact write.
	view     activities.RootView
	change   activities.ContactChange
	noChange string
	// slack and hubspot are the actions done for it; handoff and
	// provision a hire's hand-off and provisioning message.
	slack              []hiresync.Action
	hubspot            hiresync.Action
	handoff, provision *hiresync.Action
}

// withWaitingEvents is first and the events already waiting behind it, up
// to maxTogether new ones (repeated deliveries do not count).
func (c *candidate) withWaitingEvents(events workflow.ReceiveChannel, first hiresync.Event) []hiresync.Event {
	evs := []hiresync.Event{first}
	newIDs := map[string]bool{first.ID: true}
	for len(newIDs) < maxTogether {
		var ev hiresync.Event
		if !events.ReceiveAsync(&ev) {
			break
		}
		evs = append(evs, ev)
		if !c.Seen[ev.ID] {
			newIDs[ev.ID] = true
		}
	}
	return evs
}

// handleEvents takes events that arrived together, in their order: each
// into the state, then their actions, with as few activities as keep every
// Slack message and contact write what it would be one event at a time:
// one Slack activity per application, and one contact write per run of
// events with the same email, the runs written in order.
func (c *candidate) handleEvents(ctx workflow.Context, evs []hiresync.Event) {
	steps := c.applyEvents(ctx, evs)
	if len(steps) == 0 {
		return
	}
	var branches []func(workflow.Context)
	for _, group := range byApplication(steps) {
		branches = append(branches, func(ctx workflow.Context) {
			if len(group) == 1 || group[0].app == nil {
				for _, s := range group {
					s.slack = c.postSlack(ctx, s, c.neverAskedBefore())
				}
				return
			}
			for n, acts := range c.postSlackThread(ctx, group) {
				group[n].slack = acts
			}
		})
	}
	for _, s := range steps {
		if s.ev.Type == hiresync.CandidateHired {
			branches = append(branches, func(ctx workflow.Context) {
				s.handoff, s.provision = c.closeLoops(ctx, s.ev, hiresync.FailedEvent{Handoff: true, Provisioning: true})
			})
		}
	}
	branches = append(branches, func(ctx workflow.Context) {
		for _, writes := range byEmail(steps) {
			act := c.syncContact(ctx, writes...)
			for _, s := range writes {
				s.hubspot = act
			}
		}
	})
	inParallel(ctx, branches...)

	for _, s := range steps {
		hubspot := s.hubspot
		if s.noChange != "" {
			hubspot = contactSkipped(s.noChange)
		}
		c.Timeline[s.entry].Actions = append(append(s.slack, hubspot), present(s.handoff, s.provision)...)
		c.keepFailed(hiresync.FailedEvent{Event: s.ev, Slack: anyFailed(s.slack), HubSpot: failed(&hubspot),
			Handoff: failed(s.handoff), Provisioning: failed(s.provision)})
	}
	c.publish(ctx)
}

// applyEvents applies each new event to the state, in order, and keeps
// with it its root view and its contact write as they are right after it.
func (c *candidate) applyEvents(ctx workflow.Context, evs []hiresync.Event) []*step {
	var steps []*step
	contact := c.Contact // as it will be once the writes before are done
	for _, ev := range evs {
		s := c.applyEvent(ctx, ev)
		if s == nil {
			continue
		}
		if s.app != nil {
			s.view = c.view(s.app)
		}
		if s.change, s.noChange = c.contactChange(ev, contact); s.noChange == "" {
			recordContactWrite(&contact, s.change, ev)
		}
		steps = append(steps, s)
	}
	return steps
}

// applyEvent applies a new event to the state (dedupe, candidate,
// application, timeline, status); nil for a duplicate.
func (c *candidate) applyEvent(ctx workflow.Context, ev hiresync.Event) *step {
	if c.Seen[ev.ID] {
		workflow.GetLogger(ctx).Info("duplicate event ignored", "event_id", ev.ID, "event_type", ev.Type)
		return nil
	}
	c.Seen[ev.ID] = true
	c.takenThisRun++
	c.updateCandidate(ev.Data.Candidate)

	app := c.application(ev)
	c.Timeline = append(c.Timeline, hiresync.TimelineEntry{
		EventID:     ev.ID,
		Type:        ev.Type,
		ReceivedAt:  ev.ReceivedAt,
		CreatedAt:   ev.CreatedAt,
		Application: ev.ApplicationKey(),
		JobID:       ev.JobID(),
	})
	s := &step{ev: ev, app: app, entry: len(c.Timeline) - 1}
	if app != nil {
		rearmNudges(ctx, app, ev)
	}
	s.statusChanged = c.applyStatus(app, ev)
	if ev.PassedTest() {
		c.PassedTest = true
	}
	if ev.Type == hiresync.ApplicationRejected {
		c.Rejected = true
	}
	return s
}

// keepFailed records the event for re-drive when one of its actions
// failed for good.
func (c *candidate) keepFailed(f hiresync.FailedEvent) {
	if f.Any() {
		c.Failed = append(c.Failed, f)
	}
}

// failed reports whether the action, if any, failed.
func failed(act *hiresync.Action) bool { return act != nil && act.Result == hiresync.ActionFailed }

// present are the actions that were done or tried, in order.
func present(acts ...*hiresync.Action) []hiresync.Action {
	var out []hiresync.Action
	for _, act := range acts {
		if act != nil {
			out = append(out, *act)
		}
	}
	return out
}

// redrive runs again every action that failed for good, in the order the
// events arrived, and appends the new actions to each event's entry.
func (c *candidate) redrive(ctx workflow.Context) {
	c.LastSignalAt = workflow.Now(ctx)
	failed := c.Failed
	c.Failed = nil
	c.redriving = true
	defer func() { c.redriving = false }()
	workflow.GetLogger(ctx).Info("re-driving failed actions", "events", len(failed))
	for _, f := range failed {
		actions := c.rerun(ctx, f)
		entry := c.entryFor(f.Event)
		entry.Actions = append(entry.Actions, actions...)
	}
	c.publish(ctx)
}

// rerun runs an event's failed actions again, side by side, and keeps the
// event for re-drive again if one fails. It returns the actions: Slack's,
// HubSpot's, then a hire's hand-off and provisioning message.
func (c *candidate) rerun(ctx workflow.Context, f hiresync.FailedEvent) []hiresync.Action {
	// The root shows the application's status now, whatever the event set.
	s := &step{ev: f.Event, app: c.Applications[f.Event.ApplicationKey()], statusChanged: true}
	var slack, hubspot []hiresync.Action
	var handOff, provision *hiresync.Action
	var branches []func(workflow.Context)
	if f.Handoff || f.Provisioning {
		branches = append(branches, func(ctx workflow.Context) { handOff, provision = c.closeLoops(ctx, f.Event, f) })
	}
	if f.Slack {
		branches = append(branches, func(ctx workflow.Context) { slack = c.postSlack(ctx, s, c.neverAskedBefore()) })
	}
	if f.HubSpot {
		branches = append(branches, func(ctx workflow.Context) { hubspot = []hiresync.Action{c.writeContact(ctx, f.Event)} })
	}
	inParallel(ctx, branches...)
	c.keepFailed(hiresync.FailedEvent{Event: f.Event, Slack: anyFailed(slack), HubSpot: anyFailed(hubspot),
		Handoff: failed(handOff), Provisioning: failed(provision)})
	return append(append(slack, hubspot...), present(handOff, provision)...)
}

// inParallel runs each branch in a workflow goroutine of its own, and
// returns once all are done.
func inParallel(ctx workflow.Context, branches ...func(workflow.Context)) {
	wg := workflow.NewWaitGroup(ctx)
	for _, branch := range branches {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			branch(ctx)
		})
	}
	wg.Wait(ctx)
}

// entryFor finds the event's timeline entry, adding one when it was trimmed
// by a continue-as-new.
func (c *candidate) entryFor(ev hiresync.Event) *hiresync.TimelineEntry {
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		if c.Timeline[i].EventID == ev.ID {
			return &c.Timeline[i]
		}
	}
	c.Timeline = append(c.Timeline, hiresync.TimelineEntry{EventID: ev.ID, Type: ev.Type, ReceivedAt: ev.ReceivedAt, CreatedAt: ev.CreatedAt})
	return &c.Timeline[len(c.Timeline)-1]
}

// updateCandidate keeps the newest non-empty candidate fields.
func (c *candidate) updateCandidate(p hiresync.Candidate) {
	c.Candidate.ID = c.CandidateID
	if p.FirstName != "" {
		c.Candidate.FirstName = p.FirstName
	}
	if p.LastName != "" {
		c.Candidate.LastName = p.LastName
	}
	if p.Email != "" {
		c.Candidate.Email = p.Email
	}
	if p.ProfileURL != "" {
		c.Candidate.ProfileURL = p.ProfileURL
	}
}

// application returns the event's application, created on its first event;
// nil for an event without one.
func (c *candidate) application(ev hiresync.Event) *hiresync.ApplicationState {
	key := ev.ApplicationKey()
	if key == "" {
		return nil
	}
	app := c.Applications[key]
	if app == nil {
		app = &hiresync.ApplicationState{Key: key, FirstSeen: len(c.Applications)}
		c.Applications[key] = app
	}
	src := ev.Data.Application
	if app.Status == "" {
		// ClarityHire's own stage until an event of ours sets one.
		app.Status = hiresync.Status(src.Stage)
	}
	app.JobID = src.Job.ID
	if src.Job.Title != "" && (app.JobTitle == "" || ev.Type == hiresync.ApplicationSubmitted) {
		app.JobTitle = src.Job.Title
	}
	if src.Source != "" && (app.Source == "" || ev.Type == hiresync.ApplicationSubmitted) {
		app.Source = src.Source
	}
	if ev.Type == hiresync.ApplicationSubmitted {
		app.Submitted = true
	}
	return app
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

func anyFailed(actions []hiresync.Action) bool {
	for _, act := range actions {
		if act.Result == hiresync.ActionFailed {
			return true
		}
	}
	return false
}

// view is what an application's root message shows now.
func (c *candidate) view(app *hiresync.ApplicationState) activities.RootView {
	return activities.RootView{
		CandidateName: c.Candidate.Name(),
		JobTitle:      app.JobTitle,
		Source:        app.Source,
		Status:        app.Status,
		ProfileURL:    c.Candidate.ProfileURL,
	}
}
