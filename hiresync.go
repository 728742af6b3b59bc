// Package hiresync holds the vocabulary that the ingress, the workflows, the
// activities and the worker share: the ClarityHire event, the Temporal names
// fixed by the product contract, and small helpers around them.
package hiresync

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Temporal names fixed by the product contract (PRODUCT.md, "Temporal
// names"), declared here only; the search attributes are below.
const (
	WorkflowType = "CandidateWorkflow"
	// SignalName carries one ClarityHire event (an Event).
	SignalName = "clarityhire-event"
	// RedriveSignal asks the workflow to run again the actions that failed
	// for good, once an operator fixed the cause.
	RedriveSignal = "redrive"
	// TimelineQuery answers every event received and what was done for it.
	TimelineQuery = "timeline"
	// StateQuery answers the whole CandidateState, for operators and checks.
	StateQuery       = "state"
	DefaultTaskQueue = "hiresync"
	workflowIDPrefix = "candidate:"
)

// HTTP paths: the ingress serves them all, and the worker's metrics
// listener the last two.
const (
	WebhookPath            = "/webhooks/clarityhire"
	SlackInteractivityPath = "/slack/interactivity"
	HealthPath             = "/healthz"
	ReadyPath              = "/readyz"
	MetricsPath            = "/metrics"
)

// Search attributes kept current on every candidate workflow.
var (
	CandidateIDAttr = temporal.NewSearchAttributeKeyKeyword("CandidateId")
	JobIDsAttr      = temporal.NewSearchAttributeKeyKeywordList("JobIds")
	HiringStageAttr = temporal.NewSearchAttributeKeyKeyword("HiringStage")
	// StalledSinceAttr is set while an open application of the candidate
	// has been nudged: since when it has been quiet (the earliest such).
	StalledSinceAttr = temporal.NewSearchAttributeKeyTime("StalledSince")
)

// WorkflowID is the id of the one workflow that owns a candidate's story.
func WorkflowID(candidateID string) string { return workflowIDPrefix + candidateID }

// The event types ClarityHire sends (WEBHOOKS.md). Others may appear and are
// handled generically.
const (
	ApplicationSubmitted = "application.submitted"
	TestCompleted        = "test.completed"
	TestPassed           = "test.passed"
	TestFailed           = "test.failed"
	InterviewScheduled   = "interview.scheduled"
	InterviewCancelled   = "interview.cancelled"
	InterviewCompleted   = "interview.completed"
	StageChanged         = "candidate.stage_changed"
	CandidateHired       = "candidate.hired"
	ApplicationRejected  = "application.rejected"
	ApplicationWithdrawn = "application.withdrawn"
)

// EventTypes lists the eleven known event types in the order of a typical story.
var EventTypes = []string{
	ApplicationSubmitted, TestCompleted, TestPassed, TestFailed,
	InterviewScheduled, InterviewCancelled, InterviewCompleted,
	StageChanged, CandidateHired, ApplicationRejected, ApplicationWithdrawn,
}

// Event is a ClarityHire webhook as hiresync keeps it: the envelope and the
// parts of data it acts on. It is the signal's input, so it holds nothing we
// do not need (no phone number) and never a secret.
type Event struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	CreatedAt      time.Time `json:"created_at"`
	OrganizationID string    `json:"organization_id,omitempty"`
	Data           EventData `json:"data"`
	// ReceivedAt is when the ingress accepted the delivery; set by hiresync.
	ReceivedAt time.Time `json:"received_at"`
}

// EventData is the event's data object. Only Candidate is always present.
type EventData struct {
	Candidate   Candidate    `json:"candidate"`
	Application *Application `json:"application,omitempty"`
	Test        *Test        `json:"test,omitempty"`
	Interview   *Interview   `json:"interview,omitempty"`
	StageChange *StageChange `json:"stage_change,omitempty"`
	Hire        *Hire        `json:"hire,omitempty"`
	Rejection   *Rejection   `json:"rejection,omitempty"`
	Withdrawal  *Withdrawal  `json:"withdrawal,omitempty"`
}

// Candidate is the person. Email may be empty; the phone number is not kept.
type Candidate struct {
	ID         string `json:"id"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Email      string `json:"email,omitempty"`
	ProfileURL string `json:"profile_url,omitempty"`
}

// Name is the candidate's display name, or the id when ClarityHire sent none.
func (c Candidate) Name() string {
	switch {
	case c.FirstName != "" && c.LastName != "":
		return c.FirstName + " " + c.LastName
	case c.FirstName != "":
		return c.FirstName
	case c.LastName != "":
		return c.LastName
	}
	return c.ID
}

// Application is one candidate applying to one job.
type Application struct {
	ID        string    `json:"id"`
	Job       Job       `json:"job"`
	Source    string    `json:"source,omitempty"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
	Stage     string    `json:"stage,omitempty"`
}

// Job is the position applied for.
type Job struct {
	ID         string `json:"id"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
}

// Test is a graded assessment.
type Test struct {
	ID          string    `json:"id"`
	Name        string    `json:"name,omitempty"`
	Score       float64   `json:"score"`
	MaxScore    float64   `json:"max_score"`
	PassMark    float64   `json:"pass_mark"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
}

// Passed reports whether the score reached the pass mark.
func (t Test) Passed() bool { return t.Score >= t.PassMark }

// PassedTest reports whether the event says the candidate passed a test: a
// test.passed, or a test.completed whose score reached the pass mark.
func (e Event) PassedTest() bool {
	return e.Type == TestPassed || e.Type == TestCompleted && e.Data.Test != nil && e.Data.Test.Passed()
}

// Interview is a scheduled, cancelled or completed interview. Interviewers'
// emails are not kept.
type Interview struct {
	ID              string        `json:"id"`
	Kind            string        `json:"kind,omitempty"`
	ScheduledAt     time.Time     `json:"scheduled_at,omitzero"`
	DurationMinutes int           `json:"duration_minutes,omitempty"`
	Interviewers    []Interviewer `json:"interviewers,omitempty"`
	CancelReason    string        `json:"cancel_reason,omitempty"`
	Outcome         string        `json:"outcome,omitempty"`
}

// Interviewer is a person on the panel, by name only.
type Interviewer struct {
	Name string `json:"name"`
}

// StageChange is a move in the pipeline. Who moved it (an email) is not kept.
type StageChange struct {
	From string `json:"from,omitempty"`
	To   string `json:"to"`
}

// Hire is the offer accepted.
type Hire struct {
	StartDate string `json:"start_date,omitempty"`
	Title     string `json:"title,omitempty"`
}

// Rejection closes an application from the company's side. Who rejected
// (an email) is not kept.
type Rejection struct {
	Reason    string `json:"reason,omitempty"`
	Qualified bool   `json:"qualified"`
}

// Withdrawal closes an application from the candidate's side.
type Withdrawal struct {
	Reason string `json:"reason,omitempty"`
}

// ApplicationKey identifies an application within a candidate's story: the
// application id when ClarityHire sent one, else the job id.
func (e Event) ApplicationKey() string {
	a := e.Data.Application
	switch {
	case a == nil:
		return ""
	case a.ID != "":
		return a.ID
	}
	return a.Job.ID
}

// JobID is the id of the job the event's application is for, if any.
func (e Event) JobID() string {
	if e.Data.Application == nil {
		return ""
	}
	return e.Data.Application.Job.ID
}
