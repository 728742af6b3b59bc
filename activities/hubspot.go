package activities

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/hubspot"
)

// Contacts is what the activities need of HubSpot (hubspot.Syncer).
type Contacts interface {
	Sync(ctx context.Context, ch hubspot.Change) (hubspot.Outcome, error)
}

const hubspotOff = "HubSpot is off (HUBSPOT_ACCESS_TOKEN unset)"

// SyncContact writes one event's change to the candidate's HubSpot contact.
func (a *Activities) SyncContact(ctx context.Context, ch ContactChange) (ContactResult, error) {
	if a.HubSpot == nil {
		return ContactResult{Skipped: hubspotOff}, nil
	}
	out, err := a.HubSpot.Sync(ctx, hubspotChange(ch))
	if err != nil {
		return ContactResult{}, hubspotError(err)
	}
	return ContactResult{
		LifecycleBefore: out.LifecycleBefore,
		LifecycleAfter:  out.LifecycleAfter,
		Created:         out.Created,
		Written:         len(out.Written),
	}, nil
}

// hubspotChange maps the product's terms to HubSpot properties.
func hubspotChange(ch ContactChange) hubspot.Change {
	props := map[string]string{}
	set := func(name, v string) {
		if v != "" {
			props[name] = v
		}
	}
	set(hubspot.PropertyFirstName, ch.FirstName)
	set(hubspot.PropertyLastName, ch.LastName)
	set(hubspot.PropertyCandidateID, ch.CandidateID)
	set(hubspot.PropertySourceJob, ch.SourceJob)
	set(hubspot.PropertyProfileURL, ch.ProfileURL)
	set(hubspot.PropertyStage, string(ch.Stage))
	set(hubspot.PropertyTalentPool, ch.TalentPool)
	c := hubspot.Change{Email: ch.Email, Properties: props}
	switch ch.Lifecycle {
	case LifecycleIfEmpty:
		c.Lifecycle = hubspot.InitialStage
	case LifecycleHired:
		c.Lifecycle = hubspot.HireStage
	}
	return c
}

// emailPattern finds email addresses in downstream error messages.
var emailPattern = regexp.MustCompile(`[^\s"'<>()\[\],;:]+@[^\s"'<>()\[\],;:]+`)

// hubspotError classifies a HubSpot failure for Temporal's retry policy.
func hubspotError(err error) error {
	var rl *hubspot.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return temporal.NewApplicationErrorWithOptions("upsert contact: rate limited", ErrHubSpotRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter})
	case hubspot.IsPermanent(err):
		// HubSpot's message can quote the email: keep it out of history and logs.
		msg := emailPattern.ReplaceAllString(err.Error(), "[email]")
		return temporal.NewNonRetryableApplicationError("upsert contact: "+msg, ErrHubSpotPermanent, nil)
	case errors.Is(err, hubspot.ErrUnavailable):
		return temporal.NewApplicationErrorWithOptions("upsert contact: HubSpot circuit breaker is open", ErrHubSpotUnavailable,
			temporal.ApplicationErrorOptions{NextRetryDelay: openBreakerDelay})
	}
	return fmt.Errorf("hubspot upsert contact: %w", err)
}

// Lifecycle intents of a ContactChange.
const (
	// LifecycleIfEmpty sets "other" only on a contact without a stage.
	LifecycleIfEmpty = "if_empty"
	// LifecycleHired moves the contact to the configured hire stage.
	LifecycleHired = "hired"
)

// ContactChange is one event's write to the candidate's HubSpot contact, in
// the product's terms; the activity maps it to HubSpot properties. Empty
// fields are not written.
type ContactChange struct {
	EventID     string          `json:"event_id"`
	Email       string          `json:"email"`
	FirstName   string          `json:"first_name,omitempty"`
	LastName    string          `json:"last_name,omitempty"`
	CandidateID string          `json:"candidate_id,omitempty"`
	SourceJob   string          `json:"source_job,omitempty"`
	ProfileURL  string          `json:"profile_url,omitempty"`
	Stage       hiresync.Status `json:"stage,omitempty"`
	// TalentPool is hiresync.TalentPoolRejectedQualified or empty.
	TalentPool string `json:"talent_pool,omitempty"`
	// Lifecycle is LifecycleIfEmpty, LifecycleHired or empty (leave it).
	Lifecycle string `json:"lifecycle,omitempty"`
}

// ContactResult is what was written.
type ContactResult struct {
	Skipped         string `json:"skipped,omitempty"`
	LifecycleBefore string `json:"lifecycle_before,omitempty"`
	LifecycleAfter  string `json:"lifecycle_after,omitempty"`
	Created         bool   `json:"created,omitempty"`
	Written         int    `json:"written"`
}
