package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// handle takes one event: dedupe, timeline, status, then Slack and HubSpot
// side by side.
func (c *candidate) handle(ctx workflow.Context, ev hiresync.Event) {
	s := c.take(ctx, ev)
	if s == nil {
		return
	}
	c.Timeline[s.entry].Actions = c.act(ctx, ev, s.app, s.statusChanged, true, true)
	c.publish(ctx)
}

// step is one new event taken into the state, with what its actions need.
type step struct {
	ev            hiresync.Event
	app           *hiresync.ApplicationState
	statusChanged bool
	// entry is the event's index in the timeline.
	entry int
	// view is the application's root view right after the event, and
	// change (or noChange, why there is none) its contact write (handleAll
	// only).
	view     activities.RootView
	change   activities.ContactChange
	noChange string
	// slack and hubspot are the actions done for it (handleAll only).
	slack   []hiresync.Action
	hubspot hiresync.Action
}

// take applies a new event to the state (dedupe, candidate, application,
// timeline, status); nil for a duplicate.
func (c *candidate) take(ctx workflow.Context, ev hiresync.Event) *step {
	if c.Seen[ev.ID] {
		workflow.GetLogger(ctx).Info("duplicate event ignored", "event_id", ev.ID, "event_type", ev.Type)
		return nil
	}
	c.Seen[ev.ID] = true
	c.handledThisRun++
	c.learn(ev.Data.Candidate)

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
	s.statusChanged = c.applyStatus(app, ev)
	if ev.Type == hiresync.TestPassed || ev.Type == hiresync.TestCompleted && ev.Data.Test != nil && ev.Data.Test.Passed() {
		c.PassedTest = true
	}
	if ev.Type == hiresync.ApplicationRejected {
		c.Rejected = true
	}
	return s
}

// act runs an event's Slack and HubSpot actions concurrently and records a
// permanent failure for re-drive. It returns the actions, Slack's first.
func (c *candidate) act(ctx workflow.Context, ev hiresync.Event, app *hiresync.ApplicationState,
	statusChanged, doSlack, doHubSpot bool) []hiresync.Action {
	var slack, hubspot []hiresync.Action
	wg := workflow.NewWaitGroup(ctx)
	if doSlack {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			slack = c.slack(ctx, ev, app, statusChanged, c.fresh())
		})
	}
	if doHubSpot {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			hubspot = c.hubspot(ctx, ev)
		})
	}
	wg.Wait(ctx)
	f := hiresync.FailedEvent{Event: ev, Slack: anyFailed(slack), HubSpot: anyFailed(hubspot)}
	if f.Slack || f.HubSpot {
		c.Failed = append(c.Failed, f)
	}
	return append(slack, hubspot...)
}

// redrive runs again every action that failed for good, in the order the
// events arrived, and appends the new actions to each event's entry.
func (c *candidate) redrive(ctx workflow.Context) {
	failed := c.Failed
	c.Failed = nil
	c.redriving = true
	defer func() { c.redriving = false }()
	workflow.GetLogger(ctx).Info("re-driving failed actions", "events", len(failed))
	for _, f := range failed {
		app := c.Applications[f.Event.ApplicationKey()]
		actions := c.act(ctx, f.Event, app, true, f.Slack, f.HubSpot)
		c.entryFor(f.Event).Actions = append(c.entryFor(f.Event).Actions, actions...)
	}
	c.publish(ctx)
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

// learn keeps the newest non-empty candidate fields.
func (c *candidate) learn(p hiresync.Candidate) {
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
	a := c.Applications[key]
	if a == nil {
		a = &hiresync.ApplicationState{Key: key, FirstSeen: len(c.Applications)}
		c.Applications[key] = a
	}
	src := ev.Data.Application
	if a.Status == "" {
		// ClarityHire's own stage until an event of ours sets one.
		a.Status = src.Stage
	}
	a.JobID = src.Job.ID
	if src.Job.Title != "" && (a.JobTitle == "" || ev.Type == hiresync.ApplicationSubmitted) {
		a.JobTitle = src.Job.Title
	}
	if src.Source != "" && (a.Source == "" || ev.Type == hiresync.ApplicationSubmitted) {
		a.Source = src.Source
	}
	if ev.Type == hiresync.ApplicationSubmitted {
		a.Submitted = true
	}
	return a
}

func anyFailed(actions []hiresync.Action) bool {
	for _, a := range actions {
		if a.Result == hiresync.ActionFailed {
			return true
		}
	}
	return false
}

// view is what an application's root message shows now.
func (c *candidate) view(a *hiresync.ApplicationState) activities.RootView {
	return activities.RootView{
		CandidateName: c.Candidate.Name(),
		JobTitle:      a.JobTitle,
		Source:        a.Source,
		Status:        a.Status,
		ProfileURL:    c.Candidate.ProfileURL,
	}
}
