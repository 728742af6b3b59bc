package slackpost_test

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

func TestIDShapesTravelUnchanged(t *testing.T) {
	for _, shape := range clarityhire.IDShapes {
		t.Run(shape.Name, func(t *testing.T) {
			require.True(t, hiresync.ValidID(shape.ID) && hiresync.ValidID(shape.Sibling), "the ingress accepts both")
			require.LessOrEqual(t, len(shape.ID), hiresync.MaxIDLength)
			d := slackdouble.Start(t)
			p := newPoster(t, d, nil)
			ctx := t.Context()

			// A root and a reply for the id, with candidate and job ids of
			// the same shape; the sibling is never posted.
			m := slackpost.Message{Text: "root", EventID: shape.ID, CandidateID: shape.ID, JobID: shape.ID}
			root, err := p.PostRoot(ctx, "C1", m)
			require.NoError(t, err)
			m.EventID = shape.ID + "_reply"
			if len(m.EventID) > hiresync.MaxIDLength {
				m.EventID = shape.ID[:hiresync.MaxIDLength-1] + "r"
			}
			reply, err := p.Reply(ctx, "C1", root, m)
			require.NoError(t, err)

			stored, _ := d.Message("C1", root)
			assert.Equal(t, map[string]string{"event_id": shape.ID, "candidate_id": shape.ID, "job_id": shape.ID}, payload(t, stored),
				"the ids are written byte for byte")
			assert.Len(t, d.MessagesForEvent(shape.ID), 1)

			ts, found, err := p.FindPosted(ctx, "C1", "", shape.ID)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, root, ts)
			ts, found, err = p.FindPosted(ctx, "C1", root, m.EventID)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, reply, ts)

			_, found, err = p.FindPosted(ctx, "C1", "", shape.Sibling)
			require.NoError(t, err)
			assert.False(t, found, "an id that differs only in its digits is another event")
			_, found, err = p.FindPosted(ctx, "C1", root, shape.Sibling)
			require.NoError(t, err)
			assert.False(t, found)
		})
	}
}

// A message posted by a version that redacted ids carries "[redacted]" in
// its event_id: it stands for many ids, so it is never taken for any one.
func TestRedactedIDFromAnEarlierVersionIsNeverMatched(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	old := slack.New(d.Token(), slack.OptionAPIURL(d.APIURL()))
	_, _, err := old.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("posted before the fix", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: slackpost.MetadataEventType, EventPayload: map[string]any{
			"event_id": "evt_[redacted]", "candidate_id": "cand_[redacted]", "job_id": "job_1",
		}}))
	require.NoError(t, err)

	for _, id := range []string{"evt_20261204000001", "evt_20261204000002"} {
		_, found, err := p.FindPosted(t.Context(), "C1", "", id)
		require.NoError(t, err)
		assert.False(t, found, "%s does not adopt the old message", id)
	}
	_, _, err = p.FindPosted(t.Context(), "C1", "", "evt_[redacted]")
	var pe *slackpost.PermanentError
	require.ErrorAs(t, err, &pe, "the redacted form is not an id and is not looked for")
	assert.Equal(t, "invalid_id", pe.Code)
}

// Ids shown as text where a label is missing are shown as sent; the free
// text around them is still cleaned.
func TestIDLabelsAreNotRedacted(t *testing.T) {
	v := slackpost.RootView{CandidateName: "cand_4415550101", CandidateID: "cand_4415550101", JobID: "job_20261204", EventID: "evt_1", Source: "call 415 555 2671"}
	m := slackpost.Root(v)
	assert.Contains(t, m.Text, "cand_4415550101 · job_20261204")
	blocks, err := m.Blocks.MarshalJSON()
	require.NoError(t, err)
	assert.NotContains(t, string(blocks), "555 2671", "free text is still redacted")

	named := slackpost.Root(slackpost.RootView{CandidateName: "Ada 4155552671", CandidateID: "cand_1", JobTitle: "Engineer", EventID: "evt_1"})
	assert.NotContains(t, named.Text, "4155552671", "a name is free text, whatever its shape")

	e := hiresync.Event{ID: "evt_1", Type: hiresync.ApplicationSubmitted, Data: hiresync.EventData{
		Candidate:   hiresync.Candidate{ID: "cand_1"},
		Application: &hiresync.Application{Job: hiresync.Job{ID: "job_20261204"}},
	}}
	assert.Contains(t, slackpost.Reply(e).Text, "*job_20261204*")
}

// The candidate's id in its profile URL is not a phone number: the root
// keeps its button; another digit run in the URL still loses it.
func TestProfileURLWithANumericCandidateID(t *testing.T) {
	for _, shape := range clarityhire.IDShapes {
		t.Run(shape.Name, func(t *testing.T) {
			u := "https://app.clarityhire.com/candidates/" + shape.ID
			m := slackpost.Root(slackpost.RootView{CandidateName: "Ada", CandidateID: shape.ID, EventID: "evt_1", ProfileURL: u})
			blocks, err := m.Blocks.MarshalJSON()
			require.NoError(t, err)
			assert.Contains(t, string(blocks), `"url":"`+u+`"`)

			m = slackpost.Root(slackpost.RootView{CandidateName: "Ada", CandidateID: shape.Sibling, EventID: "evt_1", ProfileURL: u + "?tel=4155552671"})
			blocks, err = m.Blocks.MarshalJSON()
			require.NoError(t, err)
			assert.NotContains(t, string(blocks), "4155552671", "the query with a phone number is dropped")
		})
	}
}
