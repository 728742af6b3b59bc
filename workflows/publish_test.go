package workflows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
)

// upserts records the workflow's search-attribute upserts, each as
// "JobIds=…" and "HiringStage=…" for what it sets.
func (h *harness) upserts() *[]string {
	var got []string
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		var set []string
		if jobs, ok := sa.GetKeywordList(hiresync.JobIDsAttr); ok {
			set = append(set, "JobIds="+strings.Join(jobs, ","))
		}
		if stage, ok := sa.GetKeyword(hiresync.HiringStageAttr); ok {
			set = append(set, "HiringStage="+stage)
		}
		got = append(got, strings.Join(set, " "))
	}).Return(nil)
	return &got
}

// TestStartAttributesSaveTheFirstUpsert: a first run reads the search
// attributes its start set (the ingress sets StartAttributes) and upserts
// only what its state says differently; a start without them, as from an
// ingress older than this, or with wrong ones, is put right by the first
// event.
func TestStartAttributesSaveTheFirstUpsert(t *testing.T) {
	submitted := sample(t, hiresync.ApplicationSubmitted)
	events := []hiresync.Event{submitted, sample(t, hiresync.TestPassed), sample(t, hiresync.InterviewScheduled),
		sample(t, hiresync.StageChanged), sample(t, hiresync.CandidateHired)}
	later := []string{"HiringStage=test_passed", "HiringStage=offer", "HiringStage=hired"}

	for _, tc := range []struct {
		name  string
		start temporal.SearchAttributes
		want  []string
	}{{
		name:  "the ingress's start attributes",
		start: hiresync.StartAttributes(submitted),
		want:  later,
	}, {
		name:  "the candidate id alone",
		start: temporal.NewSearchAttributes(hiresync.CandidateIDAttr.ValueSet(submitted.Data.Candidate.ID)),
		want:  append([]string{"JobIds=job_BE42 HiringStage=applied"}, later...),
	}, {
		name: "a wrong job and stage",
		start: temporal.NewSearchAttributes(hiresync.CandidateIDAttr.ValueSet(submitted.Data.Candidate.ID),
			hiresync.JobIDsAttr.ValueSet([]string{"job_OTHER"}), hiresync.HiringStageAttr.ValueSet("offer")),
		want: append([]string{"JobIds=job_BE42 HiringStage=applied"}, later...),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			got := h.upserts()
			require.NoError(t, h.env.SetTypedSearchAttributesOnStart(tc.start))
			tl := h.run(t, hiresync.NewState(submitted.Data.Candidate.ID), events...)
			require.Len(t, tl, len(events))
			require.Equal(t, tc.want, *got, fmt.Sprintf("upserts after starting with %v", tc.start))
		})
	}
}
