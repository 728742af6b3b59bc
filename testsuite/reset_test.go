package testsuite_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/testsuite"
)

// TestResetPostsNothingTwice runs the runbook's reset (docs/operations.md)
// with bin/temporal against the dev server: the whole story re-runs from the
// first workflow task, and every Slack message is found and adopted rather
// than posted again, and HubSpot ends as it was.
func TestResetPostsNothingTwice(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := samplesFor(t, "cand_RESET1")
	s.Send(t, ds...)
	check(t, s, ds, 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wid := hiresync.WorkflowID("cand_RESET1")
	before, err := s.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	require.NoError(t, err)
	contactBefore, ok := s.HubSpot.Contact("cand_reset1@example.com")
	require.True(t, ok)
	posts := s.Slack.Stats().Posts

	cli, err := testsuite.TemporalCLI()
	require.NoError(t, err)
	out, err := exec.CommandContext(ctx, cli, "workflow", "reset",
		"--address", temporalAddr(t),
		"--workflow-id", wid,
		"--type", "FirstWorkflowTask",
		"--reason", "runbook test: re-run the whole story",
		"--yes").CombinedOutput()
	require.NoError(t, err, "%s", out)

	after, err := s.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	require.NoError(t, err)
	require.NotEqual(t, before.WorkflowExecutionInfo.Execution.RunId, after.WorkflowExecutionInfo.Execution.RunId, "a new run")

	// The new run handles all eleven events again (reapplied signals)…
	tl := s.WaitSettled(t, map[string]int{"cand_RESET1": 11}, 2*time.Minute)["cand_RESET1"]
	adopted := 0
	for _, e := range tl {
		for _, a := range e.Actions {
			require.NotEqual(t, hiresync.ActionFailed, a.Result, "%s: %+v", e.Type, a)
			if a.Target == "slack" && (a.What == "post root" || a.What == "reply") {
				require.Contains(t, a.Detail, "found already posted", "%s was adopted, not reposted", e.EventID)
				adopted++
			}
		}
	}
	require.Equal(t, 11, adopted)
	// …posts nothing twice…
	require.Equal(t, posts, s.Slack.Stats().Posts, "no new Slack message")
	check(t, s, ds, time.Minute)
	// …and leaves HubSpot as it was.
	contactAfter, ok := s.HubSpot.Contact("cand_reset1@example.com")
	require.True(t, ok)
	require.Equal(t, contactBefore.Properties["lifecyclestage"], contactAfter.Properties["lifecyclestage"])
	for k, v := range contactBefore.Properties {
		if k != "lastmodifieddate" && k != "hs_lastmodifieddate" {
			require.Equal(t, v, contactAfter.Properties[k], "property %s", k)
		}
	}
}
