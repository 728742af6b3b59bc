package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

// activity is the typed nil handle through which activities are referenced.
var activity *activities.Activities

// actionOf is the action of an activity that failed with err, or said it
// skipped its write and why, or else was done; the caller adds what a done
// action wrote.
func actionOf(target, what string, err error, skipped string) hiresync.Action {
	act := hiresync.Action{Target: target, What: what, Result: hiresync.ActionDone}
	switch {
	case err != nil:
		act.Result, act.Detail = hiresync.ActionFailed, hiresync.FailureDetail(err)
	case skipped != "":
		act.Result, act.Detail = hiresync.ActionSkipped, skipped
	}
	return act
}

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
