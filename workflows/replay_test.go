package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/workflows"
)

// TestReplayRecordedHistories replays histories recorded from real runs on
// the dev server (testsuite's TestRecordHistories): a change that would make
// a running candidate's workflow non-deterministic fails here first. Each
// folder holds the histories of one version of the workflow, and those of
// every version still running in production are kept:
//
//	v0: before the reply and root update of a status change became one activity
//	v1: after (workflow.GetVersion "slack-reply-with-root-update" 1)
//	v2: and one retention timer per run ("one-retention-timer" 1)
//	v3: and the events waiting in the channel taken together
//	    ("take-waiting-events-together" 1)
//	v4: and started with the first event's job (and stage) as search
//	    attributes (hiresync.StartAttributes), which the workflow reads
//	    back instead of upserting them
func TestReplayRecordedHistories(t *testing.T) {
	versions := map[string]struct{ combined, oneTimer, together, startAttrs bool }{
		"v0": {false, false, false, false}, "v1": {true, false, false, false}, "v2": {true, true, false, false},
		"v3": {true, true, true, false}, "v4": {true, true, true, true},
	}
	for version, want := range versions {
		files, err := filepath.Glob(filepath.Join("testdata", "histories", version, "*.json"))
		require.NoError(t, err)
		require.Len(t, files, 3, "%s: the full story, duplicates/out-of-order and continue-as-new histories", version)
		for _, f := range files {
			t.Run(version+"/"+filepath.Base(f), func(t *testing.T) {
				h := load(t, f)
				acts := activityTypes(h)
				require.Equal(t, want.together, changes(t, h)["take-waiting-events-together"], "%s is a history of its version", f)
				require.Equal(t, want.together, acts["PostSlackThread"] > 0, "%s has events taken together", f)
				if !want.together {
					// In v3 a status change's reply may be in a thread's activity.
					require.Equal(t, want.combined, acts["PostSlackReplyAndUpdateRoot"] > 0, "%s is a history of its version", f)
				}
				require.Equal(t, want.combined, acts["UpdateSlackRoot"] == 0, "%s is a history of its version", f)
				started := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetSearchAttributes().GetIndexedFields()
				require.Equal(t, want.startAttrs, started["JobIds"] != nil, "%s is a history of its version", f)
				timers := eventCount(h, enums.EVENT_TYPE_TIMER_STARTED)
				require.Equal(t, want.oneTimer && timers > 0, changes(t, h)["one-retention-timer"], "%s is a history of its version", f)
				if want.oneTimer {
					require.LessOrEqual(t, timers, 1, "one retention timer")
				}

				r := worker.NewWorkflowReplayer()
				r.RegisterWorkflowWithOptions(workflows.CandidateWorkflow, workflow.RegisterOptions{Name: hiresync.WorkflowType})
				logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
				require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(logger, f))
			})
		}
	}
}

func load(t *testing.T, file string) *historypb.History {
	t.Helper()
	h, err := client.HistoryFromJSON(mustOpen(t, file), client.HistoryJSONOptions{})
	require.NoError(t, err)
	return h
}

// activityTypes counts the activities a recorded history scheduled, by type.
func activityTypes(h *historypb.History) map[string]int {
	n := map[string]int{}
	for _, e := range h.GetEvents() {
		if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			n[e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
		}
	}
	return n
}

func eventCount(h *historypb.History, typ enums.EventType) int {
	n := 0
	for _, e := range h.GetEvents() {
		if e.GetEventType() == typ {
			n++
		}
	}
	return n
}

// changes are the change ids of the workflow.GetVersion markers in h.
func changes(t *testing.T, h *historypb.History) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range h.GetEvents() {
		m := e.GetMarkerRecordedEventAttributes()
		if e.GetEventType() != enums.EVENT_TYPE_MARKER_RECORDED || m.GetMarkerName() != "Version" {
			continue
		}
		var id string
		require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(m.GetDetails()["change-id"], &id))
		ids[id] = true
	}
	return ids
}

func mustOpen(t *testing.T, file string) *os.File {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}
