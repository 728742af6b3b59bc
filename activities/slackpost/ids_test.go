package slackpost_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// idShapes are ids as ClarityHire (or another ATS) may send them; each pair
// differs only in its digits, so that a redaction of digit runs would make
// the two the same.
var idShapes = []struct{ name, id, sibling string }{
	{"numeric", "20261204000001", "20261204000002"},
	{"prefixed numeric", "evt_20261204000001", "evt_20261204000002"},
	{"ULID", "01JC01Z8Q4XKJ7R4M9V2T6B3HN", "01JC01Z8Q4XKJ7R4M9V2T6B3HP"},
	{"UUID", "3f0b7c2e-8d4a-4e1b-9c6f-2a5d7e8b1c40", "3f0b7c2e-8d4a-4e1b-9c6f-2a5d7e8b1c41"},
	{"dots and colons", "clarityhire:evt.2026.12.04:4415550101", "clarityhire:evt.2026.12.04:4415550102"},
	{"hex with a digit run", "evt_cf00004613a", "evt_cf00004614a"},
	{"128 characters", "evt_" + strings.Repeat("1234567890", 12) + "1234", "evt_" + strings.Repeat("1234567890", 12) + "1235"},
}

func TestIDShapesTravelUnchanged(t *testing.T) {
	for _, shape := range idShapes {
		t.Run(shape.name, func(t *testing.T) {
			require.True(t, hiresync.ValidID(shape.id) && hiresync.ValidID(shape.sibling), "the ingress accepts both")
			require.LessOrEqual(t, len(shape.id), hiresync.MaxIDLength)
			d := slackdouble.Start(t)
			p := newPoster(t, d, nil)
			ctx := t.Context()

			// A root and a reply for the id, with candidate and job ids of
			// the same shape; the sibling is never posted.
			m := slackpost.Message{Text: "root", EventID: shape.id, CandidateID: shape.id, JobID: shape.id}
			root, err := p.PostRoot(ctx, "C1", m)
			require.NoError(t, err)
			m.EventID = shape.id + "_reply"
			if len(m.EventID) > hiresync.MaxIDLength {
				m.EventID = shape.id[:hiresync.MaxIDLength-1] + "r"
			}
			reply, err := p.Reply(ctx, "C1", root, m)
			require.NoError(t, err)

			stored, _ := d.Message("C1", root)
			assert.Equal(t, map[string]string{"event_id": shape.id, "candidate_id": shape.id, "job_id": shape.id}, payload(t, stored),
				"the ids are written byte for byte")
			assert.Len(t, d.MessagesForEvent(shape.id), 1)

			ts, found, err := p.FindPosted(ctx, "C1", "", shape.id)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, root, ts)
			ts, found, err = p.FindPosted(ctx, "C1", root, m.EventID)
			require.NoError(t, err)
			assert.True(t, found)
			assert.Equal(t, reply, ts)

			_, found, err = p.FindPosted(ctx, "C1", "", shape.sibling)
			require.NoError(t, err)
			assert.False(t, found, "an id that differs only in its digits is another event")
			_, found, err = p.FindPosted(ctx, "C1", root, shape.sibling)
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
	for _, shape := range idShapes {
		t.Run(shape.name, func(t *testing.T) {
			u := "https://app.clarityhire.com/candidates/" + shape.id
			m := slackpost.Root(slackpost.RootView{CandidateName: "Ada", CandidateID: shape.id, EventID: "evt_1", ProfileURL: u})
			blocks, err := m.Blocks.MarshalJSON()
			require.NoError(t, err)
			assert.Contains(t, string(blocks), `"url":"`+u+`"`)

			m = slackpost.Root(slackpost.RootView{CandidateName: "Ada", CandidateID: shape.sibling, EventID: "evt_1", ProfileURL: u + "?tel=4155552671"})
			blocks, err = m.Blocks.MarshalJSON()
			require.NoError(t, err)
			assert.NotContains(t, string(blocks), "4155552671", "the query with a phone number is dropped")
		})
	}
}
