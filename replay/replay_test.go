package replay_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hiresync/hiresync/replay"
)

// baselines are the recorded histories the workflow's replay test keeps.
func baselines(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join("..", "workflows", "testdata", "histories"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestReplayNamesTheEvent replays baseline histories changed as a changed workflow
// would disagree with them, and checks the report names the event and the
// command.
func TestReplayNamesTheEvent(t *testing.T) {
	for _, f := range baselines(t) {
		h, err := replay.LoadFile(f)
		require.NoError(t, err)
		t.Run(f, func(t *testing.T) {
			res := replay.New(nil, nil, nil).Replay("", "", h)
			require.NoError(t, res.Err)

			bad := proto.Clone(h).(*historypb.History)
			var ev *historypb.HistoryEvent
			for _, e := range bad.Events {
				if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
					ev = e
					break
				}
			}
			require.NotNil(t, ev)
			name := ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			ev.GetActivityTaskScheduledEventAttributes().ActivityType.Name = "Renamed"
			res = replay.New(nil, nil, nil).Replay("candidate:x", "run1", bad)
			require.False(t, res.OK())
			require.False(t, res.Panic)
			require.Equal(t, ev.GetEventId(), res.EventID, "%s", res)
			require.Equal(t, "ScheduleActivityTask Renamed", res.Expected)
			if res.Command != "" {
				require.Equal(t, "ScheduleActivityTask "+name, res.Command)
			}
			require.Contains(t, res.String(), fmt.Sprintf("FAILED  candidate:x run run1 (%d events): non-determinism at event %d: the history expects ScheduleActivityTask Renamed", len(h.Events), ev.GetEventId()))
		})
	}
}
