package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
)

// Error types of the application errors SendHireHandoff returns. Only
// ErrPermanent is not retried: the workflow records it as a failed action,
// and `redrive` sends the hand-off again once the receiver is fixed.
const (
	ErrPermanent   = "HandoffPermanent"
	ErrRateLimited = "HandoffRateLimited"
	ErrUnreachable = "HandoffUnavailable"
)

// openBreakerDelay is how long Temporal waits before retrying a hand-off
// that found the breaker open.
const openBreakerDelay = 15 * time.Second

// Off is the Skipped reason when no endpoint is configured.
const Off = "hand-off off (HIRESYNC_HANDOFF_URL unset)"

// Activities are the hand-off's Temporal activities. A nil Sender means the
// hand-off is off; SendHireHandoff then says so.
type Activities struct {
	Sender *Sender
}

// Request asks for the hand-off of one hire. Event is the candidate.hired
// event as the workflow received it.
type Request struct {
	Event hiresync.Event `json:"event"`
}

// Result says what became of the hand-off: delivered with WebhookID, or
// Skipped and why.
type Result struct {
	WebhookID string `json:"webhook_id,omitempty"`
	Skipped   string `json:"skipped,omitempty"`
}

// SendHireHandoff delivers one hire's hand-off. Every attempt sends the
// same webhook-id and body (signed anew, with a fresh timestamp), so a
// receiver that got an earlier attempt, whose answer was lost, drops the
// repeat.
func (a *Activities) SendHireHandoff(ctx context.Context, req Request) (Result, error) {
	if a.Sender == nil {
		return Result{Skipped: Off}, nil
	}
	if req.Event.Type != hiresync.CandidateHired || req.Event.ID == "" {
		return Result{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("hand-off of event %q (%s): only candidate.hired events are handed off", req.Event.ID, req.Event.Type), ErrPermanent, nil)
	}
	body, err := json.Marshal(NewBody(req.Event))
	if err != nil {
		return Result{}, temporal.NewNonRetryableApplicationError("encode hand-off: "+err.Error(), ErrPermanent, nil)
	}
	id := WebhookID(req.Event.ID)
	if err := a.Sender.Send(ctx, id, body); err != nil {
		return Result{}, classify(err)
	}
	activity.GetLogger(ctx).Info("hand-off delivered", "event_id", req.Event.ID, "webhook_id", id)
	return Result{WebhookID: id}, nil
}

// classify turns a delivery error into Temporal's terms: a permanent 4xx is
// not retried; a 429 (or a 503 with Retry-After) waits what the receiver
// asked; an open breaker waits openBreakerDelay; the rest is retried with
// the activity's backoff.
func classify(err error) error {
	var se *StatusError
	wait, asked := RetryAfter(err)
	switch {
	case IsPermanent(err):
		return temporal.NewNonRetryableApplicationError("deliver hand-off: "+err.Error(), ErrPermanent, nil)
	case errors.As(err, &se) && se.Status == 429:
		return temporal.NewApplicationErrorWithOptions("deliver hand-off: rate limited", ErrRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: wait})
	case asked:
		return temporal.NewApplicationErrorWithOptions("deliver hand-off: "+err.Error(), ErrUnreachable,
			temporal.ApplicationErrorOptions{NextRetryDelay: wait})
	case errors.Is(err, ErrUnavailable):
		return temporal.NewApplicationErrorWithOptions("deliver hand-off: circuit breaker is open", ErrUnreachable,
			temporal.ApplicationErrorOptions{NextRetryDelay: openBreakerDelay})
	}
	return fmt.Errorf("deliver hand-off: %w", err)
}
