// Package workflows holds CandidateWorkflow: one long-lived workflow per
// candidate that takes ClarityHire events in arrival order, once each, and
// keeps the candidate's Slack threads and HubSpot contact in step.
package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
)

// keptTimeline is how many recent timeline entries a new run carries.
const keptTimeline = 200

// RedriveSignal asks the workflow to run again the actions that failed
// permanently (after an operator fixed the cause).
const RedriveSignal = "redrive"

// StateQuery answers the whole CandidateState, for operators and checks.
const StateQuery = "state"

// CandidateWorkflow is the workflow of one candidate, id hiresync.WorkflowID.
// Its input is the state carried over from the previous run, if any.
func CandidateWorkflow(ctx workflow.Context, state hiresync.CandidateState) error {
	c := newCandidate(state)
	if err := c.setup(ctx); err != nil {
		return err
	}
	return c.run(ctx)
}

// replyWithRootChange is the workflow change (workflow.GetVersion) that
// made a status-changing event's reply and root update one activity instead
// of two in a row. Runs begun before it keep two until they continue as new.
const replyWithRootChange = "slack-reply-with-root-update"

// retentionTimerChange is the workflow change (workflow.GetVersion) that
// keeps one retention timer, re-armed when it fires too early, instead of
// starting a new one on every event after the candidate's applications are
// all closed (each of which later fired a workflow task for nothing). Asked
// once a run, when the applications are first all closed.
const retentionTimerChange = "one-retention-timer"

// candidate is the workflow's state with the behaviour around it.
type candidate struct {
	hiresync.CandidateState
	handledThisRun int
	// replyWithRoot is replyWithRootChange's version 1, together
	// togetherChange's.
	replyWithRoot, together bool
	// resetRun is true in a run made by `temporal workflow reset`, and
	// redriving while failed actions are re-driven: the Slack posts asked for
	// then may have happened before, so their first attempt looks first.
	resetRun, redriving bool
	// oneTimer is retentionTimerChange's version 1 (asked once, when known).
	oneTimer *bool
	// retention is the pending retention timer and lastSignal when the
	// last signal was taken (oneTimer only).
	retention  workflow.Future
	lastSignal time.Time
	// jobIDs and stage as last written to search attributes.
	sentJobs  []string
	sentStage string
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
	if err := workflow.SetQueryHandlerWithOptions(ctx, StateQuery,
		func() (hiresync.CandidateState, error) { return c.CandidateState, nil },
		workflow.QueryHandlerOptions{Description: "The candidate's whole state: applications, threads, contact, dedupe set"},
	); err != nil {
		return err
	}
	c.replyWithRoot = workflow.GetVersion(ctx, replyWithRootChange, workflow.DefaultVersion, 1) >= 1
	c.together = workflow.GetVersion(ctx, togetherChange, workflow.DefaultVersion, 1) >= 1
	// A reset run keeps the started event, and so the original run id, of
	// the run it was reset from.
	info := workflow.GetInfo(ctx)
	c.resetRun = info.OriginalRunID != "" && info.OriginalRunID != info.WorkflowExecution.RunID
	if info.ContinuedExecutionRunID == "" {
		// A first run has what the ingress's start set (StartAttributes).
		sa := workflow.GetTypedSearchAttributes(ctx)
		c.sentJobs, _ = sa.GetKeywordList(hiresync.JobIDsAttr)
		c.sentStage, _ = sa.GetKeyword(hiresync.HiringStageAttr)
	} else {
		// A continued run has its previous run's, which publish kept equal
		// to the state it carries.
		c.sentJobs, c.sentStage = c.jobIDs(), c.Stage
	}
	c.publishDetails(ctx)
	return nil
}

// run takes events (one at a time, or all that wait together) until it continues as new or, once every
// application is closed and the retention window passed quietly, completes.
func (c *candidate) run(ctx workflow.Context) error {
	events := workflow.GetSignalChannel(ctx, hiresync.SignalName)
	redrive := workflow.GetSignalChannel(ctx, RedriveSignal)
	for {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(events, func(ch workflow.ReceiveChannel, _ bool) {
			var ev hiresync.Event
			ch.Receive(ctx, &ev)
			c.lastSignal = workflow.Now(ctx)
			if c.together {
				c.handleAll(ctx, c.waiting(ch, ev))
			} else {
				c.handle(ctx, ev)
			}
		})
		sel.AddReceive(redrive, func(ch workflow.ReceiveChannel, _ bool) {
			ch.Receive(ctx, nil)
			c.lastSignal = workflow.Now(ctx)
			c.redrive(ctx)
		})
		retired := false
		if c.allClosed() {
			sel.AddFuture(c.retentionTimer(ctx), func(f workflow.Future) { retired = c.retentionOver(ctx, f) })
		}
		sel.Select(ctx)

		if retired {
			if c.drain(ctx, events) == 0 {
				workflow.GetLogger(ctx).Info("retention window passed with every application closed; completing")
				return nil
			}
			continue
		}
		if c.handledThisRun >= c.Options.MaxEventsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			c.drain(ctx, events)
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			return workflow.NewContinueAsNewError(ctx, CandidateWorkflow, c.carryOver())
		}
	}
}

// retentionTimer is the timer of the retention window: one pending timer
// for the run (version 1), or a new one each time (runs begun before
// retentionTimerChange, until they continue as new).
func (c *candidate) retentionTimer(ctx workflow.Context) workflow.Future {
	if c.oneTimer == nil {
		v := workflow.GetVersion(ctx, retentionTimerChange, workflow.DefaultVersion, 1) >= 1
		c.oneTimer = &v
	}
	if !*c.oneTimer {
		return workflow.NewTimer(ctx, c.Options.Retention)
	}
	if c.retention == nil {
		left := c.Options.Retention
		if !c.lastSignal.IsZero() {
			left -= workflow.Now(ctx).Sub(c.lastSignal)
		}
		c.retention = workflow.NewTimer(ctx, max(left, time.Second))
	}
	return c.retention
}

// retentionOver is called when the retention timer fires: whether a whole
// window passed since the last signal (or the workflow was cancelled). When
// not, the next call to retentionTimer arms a timer for the rest of it.
func (c *candidate) retentionOver(ctx workflow.Context, timer workflow.Future) bool {
	if !*c.oneTimer || timer.Get(ctx, nil) != nil {
		return true
	}
	c.retention = nil
	return workflow.Now(ctx).Sub(c.lastSignal) >= c.Options.Retention
}

// drain handles every event already delivered, so none is left behind by a
// continue-as-new or completion. It returns how many it took.
func (c *candidate) drain(ctx workflow.Context, events workflow.ReceiveChannel) int {
	n := 0
	for {
		var ev hiresync.Event
		if !events.ReceiveAsync(&ev) {
			return n
		}
		if c.together {
			evs := c.waiting(events, ev)
			c.handleAll(ctx, evs)
			n += len(evs)
			continue
		}
		c.handle(ctx, ev)
		n++
	}
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
	for _, a := range c.orderedApplications() {
		if !a.Closed {
			return false
		}
	}
	return true
}
