package testsuite_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/testsuite"
)

// TestBacklogIsTakenTogether: events that wait while no worker runs (a
// deploy, an outage) are taken together when one starts again: one Slack
// activity per application and one contact write for up to ten events,
// every message still posted once and in order, every contact as mapped.
func TestBacklogIsTakenTogether(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{NoWorker: true})
	samples := twice(samplesFor(t, "cand_BACKLOG1"))
	stories := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 2, Seed: 11, SecondApplication: 1, Duplicates: 0.5, Shuffle: true, Prefix: "blg",
	})
	ds := append(samples, stories...)
	s.Send(t, ds...)
	s.StartWorker(t)
	check(t, s, ds, 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := s.History(ctx, hiresync.WorkflowID("cand_BACKLOG1"))
	require.NoError(t, err)
	h, err := client.HistoryFromJSON(bytes.NewReader(b), client.HistoryJSONOptions{})
	require.NoError(t, err)
	activities := map[string]int{}
	for _, e := range h.GetEvents() {
		if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			activities[e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()]++
		}
	}
	t.Logf("activities for the eleven samples: %v", activities)
	// Ten events wait behind the first and are taken in one go; the
	// eleventh is taken alone.
	require.Equal(t, 1, activities["PostSlackThread"], "the ten events' Slack posts in one activity")
	require.LessOrEqual(t, activities["SyncContact"], 2, "their contact writes merged")
	require.LessOrEqual(t, activities["PostSlackThread"]+activities["PostSlackRoot"]+activities["PostSlackReply"]+
		activities["PostSlackReplyAndUpdateRoot"], 2, "Slack activities")
}
