package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync/activities"
)

// activity is the typed nil handle through which activities are referenced.
var activity *activities.Activities

// downstreamOptions are a downstream's activity options: short attempts,
// retried durably for a day with backoff capped at 30 s (so a candidate's
// queue moves on soon after the downstream recovers; an open breaker fails
// those attempts fast); permanent errors are not retried, rate limits set
// their own next delay.
func downstreamOptions(ctx workflow.Context, summary string, attempt time.Duration, permanent string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{permanent},
		},
		Summary: summary,
	})
}

// failure is the timeline's word for a failed activity: its error type and
// message, without the wrapping.
func failure(err error) string {
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
