package bench

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// TestCountHistorySkipped: an activity whose result says it was skipped is
// counted as such, by its type; one that did its work is not.
func TestCountHistorySkipped(t *testing.T) {
	scheduled := func(id int64, typ string) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
			Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
				ActivityType: &commonpb.ActivityType{Name: typ}}}}
	}
	completed := func(id, scheduledID int64, result string) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
			Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
				ScheduledEventId: scheduledID, Result: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte(result)}}}}}}
	}
	a := countHistory([]*historypb.HistoryEvent{
		scheduled(5, "SendHireHandoff"),
		scheduled(6, "PostHireNotice"),
		completed(7, 6, `{"channel":"C1","ts":"1.2"}`),
		completed(8, 5, `{"skipped":"no hand-off endpoint"}`),
	})
	if a.activities != 2 || a.byType["SendHireHandoff"] != 1 || a.byType["PostHireNotice"] != 1 {
		t.Errorf("activities %d by type %v, want one of each", a.activities, a.byType)
	}
	if a.skipped["SendHireHandoff"] != 1 || a.skipped["PostHireNotice"] != 0 {
		t.Errorf("skipped %v, want the hand-off's alone", a.skipped)
	}
	if got := levers(a, 1, 1); got == "" {
		t.Error("levers says nothing of a skipped hand-off")
	}
}
