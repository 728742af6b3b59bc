package hiresync

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
)

// CandidateState is everything a candidate's workflow knows. It is the
// workflow's input, so it survives continue-as-new whole: threads per
// application, the contact's state, the dedupe set and the recent timeline.
type CandidateState struct {
	CandidateID string    `json:"candidate_id"`
	Candidate   Candidate `json:"candidate"`
	// Seen holds every event id handled, across runs: the dedupe set.
	Seen map[string]bool `json:"seen,omitempty"`
	// Timeline is the recent story, oldest first.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
	// Applications by application key (see Event.ApplicationKey).
	Applications map[string]*ApplicationState `json:"applications,omitempty"`
	// Stage is the candidate's hiring stage across applications, and
	// StageAt the created_at of the event that set it.
	Stage   Status    `json:"stage,omitempty"`
	StageAt time.Time `json:"stage_at,omitzero"`
	// PassedTest is true once any test of the candidate was passed.
	PassedTest bool `json:"passed_test,omitempty"`
	// Rejected is true once any application of the candidate was rejected.
	Rejected bool         `json:"rejected,omitempty"`
	Contact  ContactState `json:"contact"`
	// Failed holds events with an action that failed for good, until an
	// operator re-drives them.
	Failed []FailedEvent `json:"failed,omitempty"`
	// LastSignalAt is when the workflow last took a signal: the retention
	// window runs from it, across runs.
	LastSignalAt time.Time `json:"last_signal_at,omitzero"`
	// Runs counts continue-as-new generations, for the operator.
	Runs    int            `json:"runs,omitempty"`
	Options WorkflowTuning `json:"options,omitzero"`
}

// Defaults of WorkflowTuning.
const (
	DefaultMaxEventsPerRun = 500
	DefaultMaxRunAge       = 30 * 24 * time.Hour
	DefaultRetention       = 30 * 24 * time.Hour
)

// WorkflowTuning overrides the workflow's defaults; zero values mean default.
// The ingress sets it (HIRESYNC_EVENTS_PER_RUN, HIRESYNC_RUN_MAX_AGE,
// HIRESYNC_RETENTION) in the input of the workflows it starts; a run passes
// its own on to the next.
type WorkflowTuning struct {
	// MaxEventsPerRun is how many events a run handles before it continues
	// as new.
	MaxEventsPerRun int `json:"max_events_per_run,omitempty"`
	// MaxRunAge is how old a run grows before it continues as new, however
	// few events it took: no run outlives it, so a workflow change gated
	// with workflow.GetVersion has no run on its old side after it.
	MaxRunAge time.Duration `json:"max_run_age,omitempty"`
	// Retention is how long the workflow stays open once every application
	// is closed.
	Retention time.Duration `json:"retention,omitempty"`
}

// ApplicationState is one application's Slack thread and status.
type ApplicationState struct {
	Key      string `json:"key"`
	JobID    string `json:"job_id"`
	JobTitle string `json:"job_title,omitempty"`
	Source   string `json:"source,omitempty"`
	// Channel and RootTS locate the Slack root; Channel is chosen once.
	Channel string `json:"channel,omitempty"`
	RootTS  string `json:"root_ts,omitempty"`
	// RootEventID is the event that posted the root: its metadata keeps
	// it through updates, so a re-run finds the root instead of reposting.
	RootEventID string `json:"root_event_id,omitempty"`
	Status      Status `json:"status"`
	// StatusAt is the created_at of the event that set Status.
	StatusAt time.Time `json:"status_at,omitzero"`
	Closed   bool      `json:"closed,omitempty"`
	// Submitted is true once application.submitted was seen.
	Submitted bool `json:"submitted,omitempty"`
	FirstSeen int  `json:"first_seen"`
	// Nudges are the job's quiet times by status, as the routes file gave
	// them when the root was posted (nil: no nudges).
	Nudges map[string]time.Duration `json:"nudges,omitempty"`
	// QuietSince is when the workflow took the application's last event,
	// QuietEvent that event (trimmed to what a nudge says of it), and
	// Nudged how many nudges were sent since (at most 2: the nudge and
	// the reminder). Every new event re-arms them. The deadlines are
	// computed from them, so they carry over a continue-as-new.
	QuietSince time.Time `json:"quiet_since,omitzero"`
	QuietEvent *Event    `json:"quiet_event,omitempty"`
	Nudged     int       `json:"nudged,omitempty"`
}

// MaxNudges is how many nudges an application gets per quiet spell: the
// nudge, and one reminder after the same time again.
const MaxNudges = 2

// NudgeDue is when the application's next nudge is due, and false when it
// gets none: closed, without a thread, without a quiet time for its
// status, or already reminded.
func (a *ApplicationState) NudgeDue() (time.Time, bool) {
	quiet := a.Nudges[string(a.Status)]
	if a.Closed || a.RootTS == "" || quiet <= 0 || a.Nudged >= MaxNudges || a.QuietSince.IsZero() || a.QuietEvent == nil {
		return time.Time{}, false
	}
	return a.QuietSince.Add(time.Duration(a.Nudged+1) * quiet), true
}

// ContactState is what the workflow knows of the HubSpot contact.
type ContactState struct {
	// Created is true once the contact's base properties were written.
	Created   bool   `json:"created,omitempty"`
	Lifecycle string `json:"lifecycle,omitempty"`
	// Stage is the clarityhire_stage written, and StageAt the created_at of
	// the event that wrote it.
	Stage   Status    `json:"stage,omitempty"`
	StageAt time.Time `json:"stage_at,omitzero"`
	// TalentPool is the clarityhire_talent_pool written, if any.
	TalentPool string `json:"talent_pool,omitempty"`
}

// TalentPoolRejectedQualified is the talent-pool value of a rejected
// candidate worth re-engaging: rejected as qualified, or with a passed test.
const TalentPoolRejectedQualified = "rejected_qualified"

// FailedEvent is an event whose Slack or HubSpot action failed for good.
type FailedEvent struct {
	Event   Event `json:"event"`
	Slack   bool  `json:"slack,omitempty"`
	HubSpot bool  `json:"hubspot,omitempty"`
	// Handoff and Provisioning are a hire's hand-off and its message in
	// the provisioning channel.
	Handoff      bool `json:"handoff,omitempty"`
	Provisioning bool `json:"provisioning,omitempty"`
}

// Any reports whether any of the event's actions failed.
func (f FailedEvent) Any() bool { return f.Slack || f.HubSpot || f.Handoff || f.Provisioning }

// NudgeEntry is the Type of a timeline entry that is a nudge, not an
// event; its EventID is the nudge's own id.
const NudgeEntry = "hiresync.nudge"

// TimelineEntry is one event received and what was done for it: the answer
// to the timeline query.
type TimelineEntry struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	ReceivedAt  time.Time `json:"received_at"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	Application string    `json:"application,omitempty"`
	JobID       string    `json:"job_id,omitempty"`
	Actions     []Action  `json:"actions"`
}

// Action is one thing done (or deliberately not done) for an event.
type Action struct {
	Target string `json:"target"` // "slack", "hubspot", "handoff", "workflow"
	What   string `json:"what"`   // e.g. "post root", "reply", "upsert contact"
	Result string `json:"result"` // ActionDone, ActionSkipped or ActionFailed
	Detail string `json:"detail,omitempty"`
}

// Action results.
const (
	ActionDone    = "done"
	ActionSkipped = "skipped"
	ActionFailed  = "failed"
)

// FailureDetail is the timeline's words for an action that failed: the
// error's type and message, without the wrapping, or what timed out.
func FailureDetail(err error) string {
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

// NewState is the input of a candidate's first run.
func NewState(candidateID string) CandidateState {
	return CandidateState{CandidateID: candidateID}
}

// WorkflowSummary is the one line the Web UI shows for a candidate's
// workflow: name and first job.
func WorkflowSummary(e Event) string {
	s := e.Data.Candidate.Name()
	if a := e.Data.Application; a != nil && a.Job.Title != "" {
		s += " — " + a.Job.Title
	}
	return s
}

// WorkflowDetails is the static Markdown the Web UI shows under the
// summary: who the candidate is and where to find them in ClarityHire.
func WorkflowDetails(e Event) string {
	c := e.Data.Candidate
	s := "**Candidate** `" + c.ID + "` in ClarityHire"
	if c.ProfileURL != "" {
		s += ": " + c.ProfileURL
	}
	s += "\n\nFirst event: `" + e.ID + "` (" + e.Type + ")."
	s += "\n\nQuery `timeline` for every event and what was done for it."
	return s
}
