//go:build replaybreak

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// A deliberately non-deterministic workflow, for the end-to-end test of
// `hiresync replay` only (testsuite/replay_test.go builds the binary with
// -tags replaybreak): a timer started before the events are acted on puts a
// StartTimer command where every recorded history has the first activity
// of the events' actions.
func init() {
	beforeEvents = func(ctx workflow.Context) {
		workflow.NewTimer(ctx, time.Minute)
	}
}
