// Package activities is the only room that talks to Slack and HubSpot. Its
// Activities struct holds the clients, breakers and limiters of one worker;
// its methods are the Temporal activities the candidate workflow runs.
//
// One file per downstream: slack.go posts (and slack_adopt.go finds what an
// earlier attempt posted) with slack_types.go's requests and results;
// hubspot.go maps a contact change to HubSpot's properties. Each classifies
// its own downstream's errors for Temporal's retry policy.
package activities

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// Error types of the application errors the activities return. Permanent
// ones are not retried; the workflow records them and moves on.
const (
	ErrSlackPermanent     = "SlackPermanent"
	ErrSlackRateLimited   = "SlackRateLimited"
	ErrSlackUnavailable   = "SlackUnavailable"
	ErrHubSpotPermanent   = "HubSpotPermanent"
	ErrHubSpotRateLimited = "HubSpotRateLimited"
	ErrHubSpotUnavailable = "HubSpotUnavailable"
)

// openBreakerDelay is how long Temporal waits before retrying an activity
// that found its downstream's breaker open.
const openBreakerDelay = 15 * time.Second

// Activities are the candidate workflow's activities. A nil Slack or
// HubSpot means that downstream is off; its activities then say so.
type Activities struct {
	Slack   Slack
	Routes  Router
	HubSpot Contacts
	// Recruiters resolves the recruiters the routes name by email; nil
	// uses user ids only.
	Recruiters *slackpost.Recruiters
}

// permanent splits an error of a write made inside an activity that goes
// on after it: a permanent failure is returned as the timeline's words for
// it, any other as the error that fails the activity.
func permanent(err error) (string, error) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return hiresync.FailureDetail(err), nil
	}
	return "", err
}
