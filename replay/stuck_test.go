package replay

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/workflows"
)

// panickingFrom makes the replayed workflow CandidateWorkflow with a
// panic in the workflow task that starts at event from or later, until
// the test ends.
func panickingFrom(t *testing.T, from int64) {
	candidateWorkflow = func(ctx workflow.Context, s hiresync.CandidateState) error {
		workflow.Go(ctx, func(ctx workflow.Context) {
			_ = workflow.Await(ctx, func() bool { return int64(workflow.GetInfo(ctx).GetCurrentHistoryLength()) >= from })
			panic("the code of this test panics here")
		})
		return workflows.CandidateWorkflow(ctx, s)
	}
	t.Cleanup(func() { candidateWorkflow = workflows.CandidateWorkflow })
}

// stuck is the first n events of a recorded history (the last a signal
// after a completed workflow task), then the workflow task that signal
// scheduled, started and failed, as a worker whose code panics leaves it.
func stuck(t *testing.T, n int) *historypb.History {
	t.Helper()
	h, err := LoadFile(filepath.Join("..", "workflows", "testdata", "histories", "v1.0.0", "one-at-a-time.json"))
	require.NoError(t, err)
	events := h.Events[:n]
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, events[n-1].GetEventType())
	id, at := int64(n), events[n-1].GetEventTime()
	tq := events[0].GetWorkflowExecutionStartedEventAttributes().GetTaskQueue()
	events = append(events,
		&historypb.HistoryEvent{EventId: id + 1, EventTime: at, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{TaskQueue: tq, Attempt: 1}}},
		&historypb.HistoryEvent{EventId: id + 2, EventTime: at, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: id + 1}}},
		&historypb.HistoryEvent{EventId: id + 3, EventTime: at, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskFailedEventAttributes{WorkflowTaskFailedEventAttributes: &historypb.WorkflowTaskFailedEventAttributes{
				ScheduledEventId: id + 1, StartedEventId: id + 2, Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE}}},
	)
	return &historypb.History{Events: events}
}

// TestReplayRunsTheFailedTask: a run stuck on a workflow task that
// panics fails to replay with the code that panics, and replays with code
// that does not, as the worker's next attempt of that task would.
func TestReplayRunsTheFailedTask(t *testing.T) {
	h := stuck(t, 29) // the task the signal at event 29 scheduled failed at event 32

	res := New(nil, nil, nil).Replay("candidate:x", "", h)
	require.True(t, res.OK(), "%s", res)
	require.True(t, res.FailedTask)
	require.Equal(t, int64(32), res.PendingTask)
	require.Contains(t, res.String(), "ok      candidate:x (32 events): replays cleanly, the workflow task that failed at event 32 too")

	panickingFrom(t, 31)
	res = New(nil, nil, nil).Replay("candidate:x", "", h)
	require.False(t, res.OK(), "%s", res)
	require.True(t, res.Panic)
	require.Equal(t, int64(32), res.EventID)
	require.Regexp(t, `^replay/stuck_test.go:\d+$`, res.PanicAt)
	require.Contains(t, res.String(), "FAILED  candidate:x (32 events): panic in the run's last workflow task (event 32, where it failed), at replay/stuck_test.go")
}

// TestReplayRunsTheLastTask: a panic in a workflow task that is still
// running, the history's last event its WorkflowTaskStarted, is found; a
// panic in an earlier task is put at that task, as before.
func TestReplayRunsTheLastTask(t *testing.T) {
	h, err := LoadFile(filepath.Join("..", "workflows", "testdata", "histories", "v1.0.0", "one-at-a-time.json"))
	require.NoError(t, err)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, h.Events[20].GetEventType())
	for _, n := range []int{21, len(h.Events)} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			require.True(t, New(nil, nil, nil).Replay("", "", &historypb.History{Events: h.Events[:n]}).OK())
			panickingFrom(t, 21)
			res := New(nil, nil, nil).Replay("", "", &historypb.History{Events: h.Events[:n]})
			require.True(t, res.Panic, "%s", res)
			require.Equal(t, int64(21), res.EventID)
			if n == 21 {
				require.Equal(t, int64(21), res.PendingTask)
				require.Contains(t, res.String(), "panic in the run's last workflow task (event 21), at replay/stuck_test.go")
			} else {
				require.Contains(t, res.String(), "panic in the workflow task started at event 21, at replay/stuck_test.go")
			}
		})
	}
}
