// Package handoff hands each hire to IT and finance: one webhook per hire,
// POSTed to HIRESYNC_HANDOFF_URL and signed the Standard Webhooks way, with
// a webhook-id derived from the hire event's id so that the receiver can
// deduplicate every retry, re-drive and reset. It holds the hand-off's own
// circuit breaker and classifies the receiver's answers without knowing
// Temporal; activity.go turns them into Temporal's retry decisions.
package handoff

import (
	"time"

	"github.com/hiresync/hiresync"
)

// EventType and SchemaVersion name the body's shape; a receiver checks both.
// A change that removes or renames a field raises the version.
const (
	EventType     = "hiresync.hire_handoff"
	SchemaVersion = 1
	// TestType is the type of the signed test delivery `hiresync doctor
	// -send-test-handoff` sends, so that a receiver tells it from a hire.
	TestType = "hiresync.handoff_test"
)

// webhookIDPrefix starts every hand-off's webhook-id.
const webhookIDPrefix = "handoff_"

// WebhookID is the webhook-id of the hand-off of the hire event eventID:
// the same on every attempt, re-drive and reset, so the receiver can
// deduplicate on it. Event ids are validated at the ingress (letters,
// digits and _-.:), so the id is safe in a header as it is.
func WebhookID(eventID string) string { return webhookIDPrefix + eventID }

// Body is the hand-off's JSON body, documented in the README. It is the one
// message hiresync sends with the candidate's email in it, because IT needs
// it to provision an account.
type Body struct {
	Type           string    `json:"type"`
	SchemaVersion  int       `json:"schema_version"`
	EventID        string    `json:"event_id"`
	OrganizationID string    `json:"organization_id,omitempty"`
	Candidate      Candidate `json:"candidate"`
	ApplicationID  string    `json:"application_id,omitempty"`
	Job            Job       `json:"job"`
	Hire           Hire      `json:"hire"`
}

// Candidate is the person hired.
type Candidate struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Email      string `json:"email,omitempty"`
	ProfileURL string `json:"profile_url,omitempty"`
}

// Job is the position filled.
type Job struct {
	ID         string `json:"id,omitempty"`
	Title      string `json:"title,omitempty"`
	Department string `json:"department,omitempty"`
}

// Hire is what ClarityHire said of the hire: the title hired as, when the
// hire was made (the event's created_at) and the start date, each when sent.
type Hire struct {
	Title     string    `json:"title,omitempty"`
	HiredAt   time.Time `json:"hired_at,omitzero"`
	StartDate string    `json:"start_date,omitempty"`
}

// NewBody is the hand-off body of the candidate.hired event e.
func NewBody(e hiresync.Event) Body {
	c := e.Data.Candidate
	b := Body{
		Type:           EventType,
		SchemaVersion:  SchemaVersion,
		EventID:        e.ID,
		OrganizationID: e.OrganizationID,
		Candidate: Candidate{
			ID: c.ID, Name: c.Name(), FirstName: c.FirstName, LastName: c.LastName,
			Email: c.Email, ProfileURL: c.ProfileURL,
		},
		Hire: Hire{HiredAt: e.CreatedAt.UTC()},
	}
	if a := e.Data.Application; a != nil {
		b.ApplicationID = a.ID
		b.Job = Job{ID: a.Job.ID, Title: a.Job.Title, Department: a.Job.Department}
	}
	if h := e.Data.Hire; h != nil {
		b.Hire.Title, b.Hire.StartDate = h.Title, h.StartDate
	}
	return b
}
