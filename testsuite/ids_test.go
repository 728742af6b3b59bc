package testsuite_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/testsuite"
)

// delivery is the sample of eventType for candidate cand, with event id
// and application id set.
func delivery(t *testing.T, eventType, id, cand, app string) clarityhire.Delivery {
	t.Helper()
	samples, err := clarityhire.Samples()
	require.NoError(t, err)
	for _, d := range samples {
		if d.Type != eventType {
			continue
		}
		var ev map[string]any
		require.NoError(t, json.Unmarshal(d.Body, &ev))
		data := ev["data"].(map[string]any)
		c := data["candidate"].(map[string]any)
		ev["id"], c["id"] = id, cand
		c["email"] = "ids" + strings.NewReplacer(":", "", ".", "").Replace(cand[max(0, len(cand)-40):]) + "@example.com"
		c["profile_url"] = "https://app.clarityhire.com/candidates/" + cand
		data["application"].(map[string]any)["id"] = app
		body, err := json.Marshal(ev)
		require.NoError(t, err)
		return clarityhire.Delivery{ID: id, Type: eventType, CandidateID: cand, Body: body}
	}
	t.Fatalf("no sample of %s", eventType)
	return clarityhire.Delivery{}
}

// messageFor is the one message in Slack whose metadata carries eventID.
func messageFor(t *testing.T, s *testsuite.Stack, eventID string) slackdouble.Message {
	t.Helper()
	ms := s.Slack.MessagesForEvent(eventID)
	require.Len(t, ms, 1, "event %s exactly once in Slack", eventID)
	return ms[0]
}

// TestIDsShapesEndToEnd: for each shape a candidate whose candidate and
// application ids have that shape posts a root and a reply whose event ids
// differ only in their digits. Each id is in the timeline, the workflow id,
// the search attributes, Slack's metadata and HubSpot exactly as sent.
func TestIDsShapesEndToEnd(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	var ds []clarityhire.Delivery
	for _, shape := range clarityhire.IDShapes {
		ds = append(ds,
			delivery(t, hiresync.ApplicationSubmitted, shape.ID, shape.ID, shape.ID),
			delivery(t, hiresync.TestCompleted, shape.Sibling, shape.ID, shape.ID))
	}
	s.Send(t, ds...)
	check(t, s, ds, 3*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, shape := range clarityhire.IDShapes {
		t.Run(shape.Name, func(t *testing.T) {
			tl, err := s.Timeline(ctx, shape.ID) // the workflow is candidate:<id>
			require.NoError(t, err)
			require.Len(t, tl, 2)
			assert.Equal(t, shape.ID, tl[0].EventID)
			assert.Equal(t, shape.Sibling, tl[1].EventID)

			desc, err := s.Temporal.DescribeWorkflowExecution(ctx, hiresync.WorkflowID(shape.ID), "")
			require.NoError(t, err)
			assert.Equal(t, "candidate:"+shape.ID, desc.WorkflowExecutionInfo.Execution.WorkflowId)
			var cand string
			require.NoError(t, decodeKeyword(desc.WorkflowExecutionInfo.SearchAttributes.IndexedFields["CandidateId"].GetData(), &cand))
			assert.Equal(t, shape.ID, cand)

			root, reply := messageFor(t, s, shape.ID), messageFor(t, s, shape.Sibling)
			assert.Equal(t, reply.ThreadTS, root.TS, "the sibling is a reply in the id's thread")
			var meta map[string]string
			require.NoError(t, json.Unmarshal(root.Metadata.EventPayload, &meta))
			assert.Equal(t, map[string]string{"event_id": shape.ID, "candidate_id": shape.ID, "job_id": "job_BE42"}, meta)
			assert.Contains(t, string(root.Blocks), `"url":"https://app.clarityhire.com/candidates/`+shape.ID+`"`,
				"the profile button stays, whatever digits the id holds")
		})
	}
}

func decodeKeyword(data []byte, out *string) error { return json.Unmarshal(data, out) }

// TestIDsLostAnswer: two events of one thread whose ids differ only in a
// digit run; the second one's post takes effect but its answer is lost, so
// the retry must find it by its exact id (not adopt the first one's message,
// which an id compared after redaction would match). Then the same with the
// post failing before it is stored: the retry must post, not adopt. And two
// roots in one channel, for candidates whose ids differ only in digits.
func TestIDsLostAnswer(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	const cand = "4415550101"
	first := delivery(t, hiresync.ApplicationSubmitted, "evt_20261204000001", cand, "app_20261204000001")
	second := delivery(t, hiresync.TestCompleted, "evt_20261204000002", cand, "app_20261204000001")
	third := delivery(t, hiresync.TestPassed, "evt_20261204000003", cand, "app_20261204000001")

	s.Send(t, first)
	check(t, s, []clarityhire.Delivery{first}, time.Minute)

	s.Slack.LoseNext(slackdouble.MethodPostMessage, 1, 0) // stored, connection closed
	s.Send(t, second)
	check(t, s, []clarityhire.Delivery{first, second}, 2*time.Minute)
	require.Equal(t, 1, s.Slack.Stats().ResponsesLost)

	s.Slack.FailNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError) // not stored
	s.Send(t, third)
	check(t, s, []clarityhire.Delivery{first, second, third}, 2*time.Minute)
	require.GreaterOrEqual(t, s.Slack.Stats().FailuresInjected, 1)

	root := messageFor(t, s, first.ID)
	for _, d := range []clarityhire.Delivery{second, third} {
		m := messageFor(t, s, d.ID)
		assert.Equal(t, root.TS, m.ThreadTS, "%s is a reply in the thread", d.ID)
	}
	require.Len(t, s.Slack.Replies(root.Channel, root.TS), 2)

	// Another candidate's root in the same channel, its id one digit away,
	// its first post failing: it gets a root of its own.
	other := delivery(t, hiresync.ApplicationSubmitted, "evt_20261204000011", "4415550102", "app_20261204000002")
	s.Slack.FailNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError)
	s.Send(t, other)
	check(t, s, []clarityhire.Delivery{first, second, third, other}, 2*time.Minute)
	otherRoot := messageFor(t, s, other.ID)
	assert.NotEqual(t, root.TS, otherRoot.TS)
	assert.Equal(t, root.Channel, otherRoot.Channel)
	assert.Len(t, s.Slack.Messages(root.Channel), 2, "two roots, one per candidate")
}
