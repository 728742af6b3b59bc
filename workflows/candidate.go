// Package workflows holds CandidateWorkflow: one long-lived workflow per
// candidate that takes ClarityHire events in arrival order, once each, and
// keeps the candidate's Slack threads and HubSpot contact in step.
//
// This is the 1.0 baseline: one code path, no version gate. Until the
// v1.0.0 tag the workflow changes without gates and its histories in
// testdata/histories are recorded again; from the tag on every change is
// gated (docs/operations.md, "Upgrading hiresync").
package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
)

// keptTimeline is how many recent timeline entries a new run carries.
const keptTimeline = 200

// CandidateWorkflow is the workflow of one candidate, id hiresync.WorkflowID.
// Its input is the state carried over from the previous run, if any.
func CandidateWorkflow(ctx workflow.Context, state hiresync.CandidateState) error {
	c := newCandidate(state)
	if err := c.setup(ctx); err != nil {
		return err
	}
	return c.run(ctx)
}

// beforeEvents runs before the workflow acts on the events it took. It is
// nil in every build but the replay tests' (go build -tags replaybreak,
// replaybreak.go), which sets it to break determinism on purpose.
var beforeEvents func(workflow.Context)

// candidate is the workflow's state with the behaviour around it.
type candidate struct {
	hiresync.CandidateState
	takenThisRun int
	// resetRun is true in a run made by `temporal workflow reset`, and
	// redriving while failed actions are re-driven: the Slack posts asked for
	// then may have happened before, so their first attempt looks first.
	resetRun, redriving bool
	// maxAge fires when the run is Options.MaxRunAge old; retention is the
	// pending retention timer, armed once every application is closed.
	maxAge, retention workflow.Future
	// sentJobs and sentStage are the job ids and stage as last written to
	// search attributes.
	sentJobs  []string
	sentStage hiresync.Status
	// sentStalled is StalledSince as last written (zero: unset).
	sentStalled time.Time
	// nudge is the pending timer of the next nudge, due at nudgeAt;
	// cancelNudge cancels it.
	nudge       workflow.Future
	nudgeAt     time.Time
	cancelNudge workflow.CancelFunc
}

func newCandidate(s hiresync.CandidateState) *candidate {
	if s.Seen == nil {
		s.Seen = map[string]bool{}
	}
	if s.Applications == nil {
		s.Applications = map[string]*hiresync.ApplicationState{}
	}
	if s.Options.MaxEventsPerRun <= 0 {
		s.Options.MaxEventsPerRun = hiresync.DefaultMaxEventsPerRun
	}
	if s.Options.MaxRunAge <= 0 {
		s.Options.MaxRunAge = hiresync.DefaultMaxRunAge
	}
	if s.Options.Retention <= 0 {
		s.Options.Retention = hiresync.DefaultRetention
	}
	return &candidate{CandidateState: s}
}

func (c *candidate) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, hiresync.TimelineQuery,
		func() ([]hiresync.TimelineEntry, error) { return c.Timeline, nil },
		workflow.QueryHandlerOptions{Description: "Every event received (id, type, received-at) and what was done for it"},
	); err != nil {
		return err
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, hiresync.StateQuery,
		func() (hiresync.CandidateState, error) { return c.CandidateState, nil },
		workflow.QueryHandlerOptions{Description: "The candidate's whole state: applications, threads, contact, dedupe set"},
	); err != nil {
		return err
	}
	// A reset run keeps the started event, and so the original run id, of
	// the run it was reset from.
	info := workflow.GetInfo(ctx)
	c.resetRun = info.OriginalRunID != "" && info.OriginalRunID != info.WorkflowExecution.RunID
	if info.ContinuedExecutionRunID == "" {
		// A first run has what the ingress's start set (StartAttributes).
		sa := workflow.GetTypedSearchAttributes(ctx)
		c.sentJobs, _ = sa.GetKeywordList(hiresync.JobIDsAttr)
		stage, _ := sa.GetKeyword(hiresync.HiringStageAttr)
		c.sentStage = hiresync.Status(stage)
	} else {
		// A continued run has its previous run's, which publish kept equal
		// to the state it carries.
		c.sentJobs, c.sentStage, c.sentStalled = c.jobIDs(), c.Stage, c.stalledSince()
	}
	// A durable timer, not a check when an event comes: a candidate who
	// goes quiet still moves to a new run, and so to the newest workflow
	// code, within MaxRunAge.
	c.maxAge = workflow.NewTimerWithOptions(ctx, c.Options.MaxRunAge,
		workflow.TimerOptions{Summary: "continue as new at the run's maximum age"})
	c.publishDetails(ctx)
	return nil
}

// run takes signals until the run is old or long enough to continue as new
// or, once every application is closed and the retention window passed
// quietly, completes. Either way it first takes every signal already
// delivered, so that none is lost.
func (c *candidate) run(ctx workflow.Context) error {
	events := workflow.GetSignalChannel(ctx, hiresync.SignalName)
	redrives := workflow.GetSignalChannel(ctx, hiresync.RedriveSignal)
	for {
		var aged, retired, cancelled, nudgeDue bool
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(events, func(ch workflow.ReceiveChannel, _ bool) {
			var ev hiresync.Event
			ch.Receive(ctx, &ev)
			c.takeEvents(ctx, ch, ev)
		})
		sel.AddReceive(redrives, func(ch workflow.ReceiveChannel, _ bool) {
			ch.Receive(ctx, nil)
			c.redrive(ctx)
		})
		sel.AddFuture(c.maxAge, func(f workflow.Future) {
			aged = true
			cancelled = f.Get(ctx, nil) != nil
		})
		if at, ok := c.nextNudge(); ok {
			sel.AddFuture(c.nudgeTimer(ctx, at), func(f workflow.Future) {
				cancelled = f.Get(ctx, nil) != nil
				nudgeDue = !cancelled
			})
		}
		if c.allClosed() {
			sel.AddFuture(c.retentionTimer(ctx), func(f workflow.Future) {
				cancelled = f.Get(ctx, nil) != nil
				retired = cancelled || c.retentionOver(ctx)
			})
		}
		sel.Select(ctx)

		switch {
		case nudgeDue:
			c.sendDueNudges(ctx)
		case cancelled:
			workflow.GetLogger(ctx).Info("workflow cancelled; completing")
			return nil
		case retired:
			if !c.drain(ctx, events, redrives) {
				workflow.GetLogger(ctx).Info("retention window passed with every application closed; completing")
				return nil
			}
		case aged || c.takenThisRun >= c.Options.MaxEventsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested():
			c.drain(ctx, events, redrives)
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, CandidateWorkflow, c.carryOver())
		}
	}
}

// takeEvents takes first and the events waiting behind it.
func (c *candidate) takeEvents(ctx workflow.Context, events workflow.ReceiveChannel, first hiresync.Event) {
	c.LastSignalAt = workflow.Now(ctx)
	if beforeEvents != nil {
		beforeEvents(ctx)
	}
	c.handleEvents(ctx, c.withWaitingEvents(events, first))
}

// drain takes every signal already delivered, events and re-drives alike,
// so that none is left behind by a continue-as-new or completion. It
// reports whether there was any.
func (c *candidate) drain(ctx workflow.Context, events, redrives workflow.ReceiveChannel) bool {
	took := false
	for {
		var ev hiresync.Event
		switch {
		case events.ReceiveAsync(&ev):
			c.takeEvents(ctx, events, ev)
		case redrives.ReceiveAsync(nil):
			c.redrive(ctx)
		default:
			return took
		}
		took = true
	}
}

// retentionTimer is the one pending timer of the retention window, armed
// for what is left of the window since the last signal.
func (c *candidate) retentionTimer(ctx workflow.Context) workflow.Future {
	if c.retention == nil {
		left := c.Options.Retention
		if !c.LastSignalAt.IsZero() {
			left -= workflow.Now(ctx).Sub(c.LastSignalAt)
		}
		c.retention = workflow.NewTimerWithOptions(ctx, max(left, time.Second),
			workflow.TimerOptions{Summary: "complete once the retention window passed quietly"})
	}
	return c.retention
}

// retentionOver is called when the retention timer fired: whether a whole
// window passed since the last signal. When not, the next call to
// retentionTimer arms a timer for the rest of it.
func (c *candidate) retentionOver(ctx workflow.Context) bool {
	c.retention = nil
	return workflow.Now(ctx).Sub(c.LastSignalAt) >= c.Options.Retention
}

// carryOver is the input of the next run: everything, with the timeline
// trimmed to its recent part.
func (c *candidate) carryOver() hiresync.CandidateState {
	s := c.CandidateState
	if n := len(s.Timeline); n > keptTimeline {
		s.Timeline = append([]hiresync.TimelineEntry(nil), s.Timeline[n-keptTimeline:]...)
	}
	s.Runs++
	return s
}

func (c *candidate) allClosed() bool {
	if len(c.Applications) == 0 {
		return false
	}
	for _, app := range c.orderedApplications() {
		if !app.Closed {
			return false
		}
	}
	return true
}
