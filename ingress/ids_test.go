package ingress_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
)

// withIDs is the application.submitted sample with every id set to id.
func withIDs(t *testing.T, id string) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(sample(t, "application.submitted"), &ev))
	data := ev["data"].(map[string]any)
	ev["id"] = id
	data["candidate"].(map[string]any)["id"] = id
	app := data["application"].(map[string]any)
	app["id"] = id
	app["job"].(map[string]any)["id"] = id
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

// TestIDShapesAcceptedUnchanged sends each shape as event, candidate,
// application and job id through the HTTP handler: each is accepted and
// signalled, logged and indexed exactly as sent, and its sibling stays a
// different event.
func TestIDShapesAcceptedUnchanged(t *testing.T) {
	for _, shape := range clarityhire.IDShapes {
		t.Run(shape.Name, func(t *testing.T) {
			var logs bytes.Buffer
			rec := &recorder{}
			h := newServer(t, rec, &logs)
			for _, id := range []string{shape.ID, shape.Sibling} {
				require.True(t, hiresync.ValidID(id), "hiresync.ValidID agrees with the ingress")
				code, body, _ := do(h, signed(t, id, withIDs(t, id)))
				require.Equal(t, http.StatusAccepted, code, "%v", body)
				assert.Equal(t, map[string]any{"event_id": id, "workflow_id": "candidate:" + id}, body)
			}
			require.Equal(t, 2, rec.count())
			for i, id := range []string{shape.ID, shape.Sibling} {
				call := rec.signals[i]
				ev := call.event
				assert.Equal(t, id, ev.ID)
				assert.Equal(t, id, ev.Data.Candidate.ID)
				assert.Equal(t, id, ev.Data.Application.ID)
				assert.Equal(t, id, ev.Data.Application.Job.ID)
				assert.Equal(t, hiresync.WorkflowID(id), call.workflowID)
				assert.Equal(t, "candidate:"+id, call.options.ID)
				sa := call.options.TypedSearchAttributes
				cand, _ := sa.GetKeyword(hiresync.CandidateIDAttr)
				jobs, _ := sa.GetKeywordList(hiresync.JobIDsAttr)
				assert.Equal(t, id, cand)
				assert.Equal(t, []string{id}, jobs)
				assert.Contains(t, call.options.StaticDetails, "`"+id+"`")
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			require.Len(t, lines, 2)
			for i, id := range []string{shape.ID, shape.Sibling} {
				var line map[string]any
				require.NoError(t, json.Unmarshal([]byte(lines[i]), &line))
				assert.Equal(t, id, line["event_id"], "logged as sent")
				assert.Equal(t, id, line["candidate_id"])
			}
		})
	}
}

// TestIDsOutsideTheRulesRefused: the rules that make an id safe to carry
// unchanged are the ingress's, and what breaks them is refused, not cleaned.
func TestIDsOutsideTheRulesRefused(t *testing.T) {
	for _, id := range []string{
		"evt_" + strings.Repeat("1234567890", 12) + "12345", // 129 characters
		"evt_[redacted]", // what an earlier version wrote into metadata
		"evt 1",
		"evt_1@example.com",
		"evt_é",
	} {
		t.Run(id, func(t *testing.T) {
			require.False(t, hiresync.ValidID(id), "hiresync.ValidID agrees with the ingress")
			rec := &recorder{}
			h := newServer(t, rec, nil)
			code, _, _ := do(h, signed(t, id, withIDs(t, id)))
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Zero(t, rec.count())
		})
	}
}
