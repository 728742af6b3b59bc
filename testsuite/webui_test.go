package testsuite_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/testsuite"
)

// emailAddress finds an email address anywhere in a text.
var emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// webUICandidate is what the Web UI should show for one candidate.
type webUICandidate struct {
	id, name, job, jobTitle, status string
	lastEvents                      []string // ids the current details must list
	summaries                       []string // activity summaries the history must hold
}

// TestWebUI: what operators see in the Temporal Web UI for two full
// stories, one ending hired and one rejected — search attributes that find
// them, the static summary and current details, and a summary on every
// activity — and no email address in any of it. The hired story comes one
// event at a time, as ClarityHire sends it over weeks; the rejected one
// waits whole for the worker, as after an outage, and is taken together;
// its start's search attributes find it before the worker runs.
func TestWebUI(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{NoWorker: true})
	hired := samplesFor(t, "cand_WEBUI1")
	require.Equal(t, hiresync.CandidateHired, hired[8].Type, "the samples' newest status event is the hire")
	rejected := clarityhire.Stories(clarityhire.StoryOptions{Candidates: 1, Seed: 4, Jobs: []string{"job_DS07"}, Prefix: "webui"})
	require.Len(t, rejected, 7)
	require.Equal(t, hiresync.ApplicationRejected, rejected[len(rejected)-1].Type, "seed 4's story ends rejected")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Scoped to this test's task queue: other tests share the server.
	list := func(c *assert.CollectT, query string) []string {
		q := fmt.Sprintf("%s AND TaskQueue = %q", query, s.TaskQueue)
		res, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q})
		if !assert.NoError(c, err, q) {
			return nil
		}
		var ids []string
		for _, e := range res.Executions {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		slices.Sort(ids)
		return ids
	}

	s.Send(t, rejected...)
	require.Equal(t, hiresync.ApplicationSubmitted, rejected[0].Type)
	// The start set them: the candidate is found by job and stage before
	// any worker has run (visibility is eventually consistent).
	waiting := hiresync.WorkflowID(rejected[0].CandidateID)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, []string{waiting}, list(c, `JobIds = "job_DS07" AND HiringStage = "applied"`))
	}, time.Minute, 200*time.Millisecond, "found before the worker runs")
	s.StartWorker(t)
	for i, d := range hired {
		s.Send(t, d)
		s.WaitSettled(t, map[string]int{"cand_WEBUI1": i + 1}, time.Minute)
	}
	check(t, s, append(append([]clarityhire.Delivery{}, hired...), rejected...), 2*time.Minute)

	cands := []webUICandidate{{
		id: "cand_WEBUI1", name: "Ada Okafor", job: "job_BE42", jobTitle: "Senior Backend Engineer", status: "hired",
		lastEvents: []string{hired[8].ID, hired[9].ID, hired[10].ID},
		summaries: []string{
			"Slack: post root for job_BE42",
			"Slack: reply test.completed in C0BACKEND",
			`Slack: reply candidate.hired in C0BACKEND, then root to "hired"`,
			"HubSpot: upsert contact for application.submitted",
			"HubSpot: upsert contact for candidate.hired",
		},
	}, {
		id: rejected[0].CandidateID, name: "Ada Tester0", job: "job_DS07", jobTitle: "Product Designer", status: "rejected",
		lastEvents: []string{rejected[len(rejected)-2].ID, rejected[len(rejected)-1].ID},
		summaries: []string{
			`Slack: post root for job_DS07 and 6 replies, then root to "rejected"`,
			"HubSpot: upsert contact for 3 events (application.submitted … application.rejected)",
		},
	}}

	t.Run("search attributes find the candidates", func(t *testing.T) {
		for _, cand := range cands {
			wid := hiresync.WorkflowID(cand.id)
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				assert.Equal(c, []string{wid}, list(c, fmt.Sprintf("HiringStage = %q", cand.status)), "HiringStage")
				assert.Equal(c, []string{wid}, list(c, fmt.Sprintf("CandidateId = %q", cand.id)), "CandidateId")
				assert.Equal(c, []string{wid}, list(c, fmt.Sprintf("JobIds = %q", cand.job)), "JobIds")
			}, time.Minute, 200*time.Millisecond, cand.id)
		}
	})

	for _, cand := range cands {
		t.Run("summary, details and activities of "+cand.id, func(t *testing.T) {
			wid := hiresync.WorkflowID(cand.id)
			var shown []string // everything the Web UI shows, for the email check

			desc, err := s.Temporal.DescribeWorkflow(ctx, wid, "")
			require.NoError(t, err)
			summary, err := desc.GetStaticSummary()
			require.NoError(t, err)
			require.Contains(t, summary, cand.name)
			require.Contains(t, summary, cand.jobTitle)
			static, err := desc.GetStaticDetails()
			require.NoError(t, err)
			require.Contains(t, static, cand.id)
			shown = append(shown, summary, static)
			for name, p := range desc.RawResponse.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields() {
				shown = append(shown, name+"="+string(p.GetData()))
			}

			v, err := s.Temporal.QueryWorkflow(ctx, wid, "", "__temporal_workflow_metadata")
			require.NoError(t, err)
			var md sdkpb.WorkflowMetadata
			require.NoError(t, v.Get(&md))
			details := md.GetCurrentDetails()
			t.Logf("current details of %s:\n%s", wid, details)
			require.Regexp(t, regexp.QuoteMeta(cand.jobTitle)+`.*\(`+cand.job+`\).*\b`+cand.status+`\b`, details, "application status")
			for _, id := range cand.lastEvents {
				require.Contains(t, details, id, "a last event")
			}
			shown = append(shown, details)

			var summaries []string
			iter := s.Temporal.GetWorkflowHistory(ctx, wid, "", false, 0)
			for iter.HasNext() {
				e, err := iter.Next()
				require.NoError(t, err)
				if e.GetActivityTaskScheduledEventAttributes() == nil {
					continue
				}
				p := e.GetUserMetadata().GetSummary()
				require.NotNil(t, p, "activity %s (event %d) has no summary",
					e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName(), e.GetEventId())
				var line string
				require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &line))
				require.NotEmpty(t, line)
				summaries = append(summaries, line)
			}
			t.Logf("activity summaries of %s:\n%q", wid, summaries)
			for _, want := range cand.summaries {
				require.Contains(t, summaries, want)
			}
			shown = append(shown, summaries...)

			for _, text := range shown {
				require.False(t, emailAddress.MatchString(text), "email address %q shown in the Web UI: %q",
					emailAddress.FindString(text), text)
			}
		})
	}
}
