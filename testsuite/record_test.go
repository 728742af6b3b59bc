package testsuite_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/testsuite"
)

// TestRecordHistories writes the histories that workflows/replay_test.go
// replays, from real runs on the dev server. It runs only when asked:
//
//	go build -o bin/hiresync ./cmd/hiresync
//	HIRESYNC_RECORD_HISTORIES=workflows/testdata/histories/v1.0.0 go test ./testsuite -run 'TestRecordHistories$'
//
// Until the v1.0.0 tag every change to the workflow records the baseline's
// folder again. From the tag on a change is gated (workflow.GetVersion) and
// records into a new version's folder; the older folders stay while runs of
// their versions may still be open (docs/operations.md, "Upgrading
// hiresync").
func TestRecordHistories(t *testing.T) {
	dir := os.Getenv("HIRESYNC_RECORD_HISTORIES")
	if dir == "" {
		t.Skip("set HIRESYNC_RECORD_HISTORIES to a directory to record replay histories")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir)
	}
	// Recruiters, a provisioning channel, nudges and the hand-off are on,
	// so that the histories hold what they add.
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{
		Routes: testsuite.LoopRoutes(), SlackOptions: []slackdouble.Option{testsuite.RecruiterUser()}, Handoff: true,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	write := func(name, workflowID, runID string) {
		t.Helper()
		b, err := s.HistoryRun(ctx, workflowID, runID)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}

	// A full story: the eleven samples, each delivered twice.
	full := twice(samplesFor(t, "cand_REPLAY1"))
	s.Send(t, full...)
	s.WaitSettled(t, map[string]int{"cand_REPLAY1": 11}, 2*time.Minute)
	write("full-story.json", hiresync.WorkflowID("cand_REPLAY1"), "")

	// Two applications, duplicates and out-of-order deliveries.
	shuffled := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 1, Seed: 99, SecondApplication: 1, Duplicates: 0.5, Shuffle: true, Prefix: "rpl",
	})
	s.Send(t, shuffled...)
	x, err := testsuite.Expect(shuffled)
	require.NoError(t, err)
	s.WaitSettled(t, x.Events, 2*time.Minute)
	for cand := range x.Events {
		write("duplicates-out-of-order.json", hiresync.WorkflowID(cand), "")
	}

	// One event at a time, a status change among them, then a re-drive: the
	// single Slack activities and the redrive signal.
	alone := samplesFor(t, "cand_REPLAY3")[:3]
	for i, d := range alone {
		s.Send(t, d)
		s.WaitSettled(t, map[string]int{"cand_REPLAY3": i + 1}, 2*time.Minute)
	}
	require.NoError(t, s.Temporal.SignalWorkflow(ctx, hiresync.WorkflowID("cand_REPLAY3"), "", hiresync.RedriveSignal, nil))
	require.Eventually(t, func() bool { return redriveTaken(ctx, t, s, hiresync.WorkflowID("cand_REPLAY3")) },
		time.Minute, 100*time.Millisecond, "the re-drive's workflow task completes")
	write("one-at-a-time.json", hiresync.WorkflowID("cand_REPLAY3"), "")

	// A continue-as-new after three events: the first run is recorded.
	state := hiresync.NewState("cand_REPLAY2")
	state.Options.MaxEventsPerRun = 3
	ds := samplesFor(t, "cand_REPLAY2")
	var first hiresync.Event
	require.NoError(t, json.Unmarshal(ds[0].Body, &first))
	first.ReceivedAt = time.Now().UTC()
	// The ingress's start, with a state of our own.
	run, err := s.Temporal.SignalWithStartWorkflow(ctx, hiresync.WorkflowID("cand_REPLAY2"), hiresync.SignalName, first,
		ingress.StartOptions(s.TaskQueue, first), hiresync.WorkflowType, state)
	require.NoError(t, err)
	s.Send(t, ds[1:6]...)
	s.WaitSettled(t, map[string]int{"cand_REPLAY2": 6}, 2*time.Minute)
	write("continue-as-new.json", run.GetID(), run.GetRunID())

	// An application of the nudged job left quiet after its test: the
	// nudge and the reminder.
	quiet := nudgedStory(t, "cand_REPLAY4")
	s.Send(t, quiet...)
	s.WaitSettled(t, map[string]int{"cand_REPLAY4": 4}, 2*time.Minute)
	write("nudged.json", hiresync.WorkflowID("cand_REPLAY4"), "")
}

// nudgedStory is application.submitted and test.completed of candidate
// for testsuite.NudgedJob.
func nudgedStory(t *testing.T, candidate string) []clarityhire.Delivery {
	t.Helper()
	ds := samplesFor(t, candidate)[:2]
	for i := range ds {
		ds[i].Body = []byte(strings.ReplaceAll(string(ds[i].Body), `"job_BE42"`, `"`+testsuite.NudgedJob+`"`))
	}
	return ds
}

// redriveTaken reports whether the workflow's history has the redrive
// signal and, after it, a completed workflow task.
func redriveTaken(ctx context.Context, t *testing.T, s *testsuite.Stack, workflowID string) bool {
	iter := s.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	signalled := false
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		switch {
		case e.GetWorkflowExecutionSignaledEventAttributes().GetSignalName() == hiresync.RedriveSignal:
			signalled = true
		case signalled && e.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			return true
		}
	}
	return false
}
