package workflows_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/replay"
)

// versions are the versions of the workflow whose runs may still be open,
// each with the change ids of the version gates its code has: a history
// belongs to its version when every change it marks is one of them.
// testdata/histories/<version> holds each one's histories, recorded from
// real runs on the dev server (testsuite's TestRecordHistories).
//
// v1.0.0 is the baseline, which has no gate. Until the v1.0.0 tag its
// histories are recorded again by each change; from the tag on a change is
// gated and its histories go in a new folder, added here (docs/operations.md,
// "Upgrading hiresync").
var versions = map[string][]string{
	"v1.0.0": nil,
}

// TestReplayRecordedHistories replays the recorded histories of every
// version still running: a change that would make a running candidate's
// workflow non-deterministic fails here first.
func TestReplayRecordedHistories(t *testing.T) {
	for version, gates := range versions {
		files, err := filepath.Glob(filepath.Join("testdata", "histories", version, "*.json"))
		require.NoError(t, err)
		require.Len(t, files, 5, "%s: the full story, duplicates/out-of-order, one-at-a-time, continue-as-new and nudged histories", version)
		for _, f := range files {
			t.Run(version+"/"+filepath.Base(f), func(t *testing.T) {
				h := load(t, f)
				for id := range changes(t, h) {
					require.Contains(t, gates, id, "%s is a history of its version", f)
				}
				// Every run of 1.0 on starts the timer of its maximum age.
				timers := timerDurations(h)
				require.NotEmpty(t, timers, "%s is a history of its version", f)
				require.Equal(t, hiresync.DefaultMaxRunAge, timers[0], "%s is a history of its version", f)

				// The replayer of `hiresync replay`.
				res := replay.New(nil, nil, nil).Replay("", "", h)
				require.True(t, res.OK(), "%s", res)
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

// timerDurations are the durations of the timers a history started, in order.
func timerDurations(h *historypb.History) []time.Duration {
	var d []time.Duration
	for _, e := range h.GetEvents() {
		if e.GetEventType() == enums.EVENT_TYPE_TIMER_STARTED {
			d = append(d, e.GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration())
		}
	}
	return d
}

// changes are the change ids of the version markers (gates) in h.
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
