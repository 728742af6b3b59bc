package hiresync_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
)

// TestStartAttributes: the search attributes a candidate's workflow starts
// with, for each of ClarityHire's sample events as the first, and for
// events with no application or no job.
func TestStartAttributes(t *testing.T) {
	stage := map[string]string{
		hiresync.ApplicationSubmitted: "applied",
		hiresync.TestPassed:           "test_passed",
		hiresync.TestFailed:           "test_failed",
		hiresync.StageChanged:         "offer", // the sample's stage_change.to
		hiresync.CandidateHired:       "hired",
		hiresync.ApplicationRejected:  "rejected",
		hiresync.ApplicationWithdrawn: "withdrawn",
	}
	for _, typ := range hiresync.EventTypes {
		t.Run(typ, func(t *testing.T) {
			b, err := os.ReadFile("doubles/clarityhire/events/" + typ + ".json")
			require.NoError(t, err)
			var ev hiresync.Event
			require.NoError(t, json.Unmarshal(b, &ev))
			want := map[string]string{"CandidateId": "cand_7Q2KXW", "JobIds": "job_BE42"}
			if s, ok := stage[typ]; ok {
				want["HiringStage"] = s
			}
			require.Equal(t, want, attributes(hiresync.StartAttributes(ev)))
		})
	}

	t.Run("no application", func(t *testing.T) {
		ev := hiresync.Event{Type: hiresync.ApplicationSubmitted}
		ev.Data.Candidate.ID = "cand_1"
		require.Equal(t, map[string]string{"CandidateId": "cand_1"}, attributes(hiresync.StartAttributes(ev)),
			"no application: no job, and no stage, as the workflow keeps none")
	})
	t.Run("an application with no job", func(t *testing.T) {
		ev := hiresync.Event{Type: hiresync.ApplicationSubmitted}
		ev.Data.Candidate.ID = "cand_1"
		ev.Data.Application = &hiresync.Application{ID: "app_1"}
		require.Equal(t, map[string]string{"CandidateId": "cand_1", "HiringStage": "applied"},
			attributes(hiresync.StartAttributes(ev)))
	})
}

// attributes flattens hiresync's three search attributes.
func attributes(sa temporal.SearchAttributes) map[string]string {
	out := map[string]string{}
	if id, ok := sa.GetKeyword(hiresync.CandidateIDAttr); ok {
		out["CandidateId"] = id
	}
	if jobs, ok := sa.GetKeywordList(hiresync.JobIDsAttr); ok {
		out["JobIds"] = strings.Join(jobs, ",")
	}
	if stage, ok := sa.GetKeyword(hiresync.HiringStageAttr); ok {
		out["HiringStage"] = stage
	}
	return out
}

// TestStatusLabel: how each status reads on a Slack root, a pipeline
// stage's name included.
func TestStatusLabel(t *testing.T) {
	for status, want := range map[hiresync.Status]string{
		"": "In process", hiresync.StatusApplied: "Applied", hiresync.StatusTestPassed: "Test passed",
		hiresync.StatusTestFailed: "Test failed", hiresync.StatusHired: "Hired", hiresync.StatusRejected: "Rejected",
		hiresync.StatusWithdrawn: "Withdrawn", "final_interview": "Stage: final interview",
	} {
		require.Equal(t, want, status.Label(), status)
	}
}

// TestEventStatus: the status each event type sets, and whether it closes
// the application; a stage change never closes it.
func TestEventStatus(t *testing.T) {
	tests := []struct {
		typ    string
		to     string
		want   hiresync.Status
		closes bool
	}{
		{hiresync.ApplicationSubmitted, "", hiresync.StatusApplied, false},
		{hiresync.TestPassed, "", hiresync.StatusTestPassed, false},
		{hiresync.TestFailed, "", hiresync.StatusTestFailed, false},
		{hiresync.StageChanged, "onsite", "onsite", false},
		{hiresync.StageChanged, "hired", hiresync.StatusHired, false},
		{hiresync.CandidateHired, "", hiresync.StatusHired, true},
		{hiresync.ApplicationRejected, "", hiresync.StatusRejected, true},
		{hiresync.ApplicationWithdrawn, "", hiresync.StatusWithdrawn, true},
	}
	for _, tt := range tests {
		ev := hiresync.Event{Type: tt.typ}
		if tt.to != "" {
			ev.Data.StageChange = &hiresync.StageChange{To: tt.to}
		}
		status, closes, ok := ev.Status()
		require.True(t, ok, tt.typ)
		require.Equal(t, tt.want, status, tt.typ)
		require.Equal(t, tt.closes, closes, tt.typ)
	}
	for _, typ := range []string{hiresync.TestCompleted, hiresync.InterviewScheduled, hiresync.InterviewCancelled, hiresync.InterviewCompleted, hiresync.StageChanged, "offer.extended"} {
		_, _, ok := hiresync.Event{Type: typ}.Status()
		require.False(t, ok, "%s leaves the status alone", typ)
	}
}
