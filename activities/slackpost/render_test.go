package slackpost_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// sample loads doubles/clarityhire/events/<eventType>.json.
func sample(t *testing.T, eventType string) hiresync.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "doubles", "clarityhire", "events", eventType+".json"))
	require.NoError(t, err)
	var e hiresync.Event
	require.NoError(t, json.Unmarshal(b, &e))
	return e
}

func TestReplySamples(t *testing.T) {
	tests := map[string]string{
		hiresync.ApplicationSubmitted: ":inbox_tray: Application submitted for *Senior Backend Engineer* via LinkedIn",
		hiresync.TestCompleted:        ":memo: Test completed: *Go systems assessment*, score 86/100 (pass mark 70), passed",
		hiresync.TestPassed:           ":white_check_mark: Test passed: *Go systems assessment*, score 86/100 (pass mark 70)",
		hiresync.TestFailed:           ":x: Test failed: *Go systems assessment*, score 52/100 (pass mark 70)",
		hiresync.InterviewScheduled:   ":calendar: Technical interview scheduled for Tue 10 Nov 2026 14:00 UTC (60 min) with Lena Park",
		hiresync.InterviewCancelled:   ":no_entry_sign: Technical interview on Tue 10 Nov 2026 14:00 UTC cancelled: candidate request",
		hiresync.InterviewCompleted:   ":speech_balloon: Technical interview completed with Lena Park, outcome: *strong yes*",
		hiresync.StageChanged:         ":arrow_right: Stage changed: interview → *offer*",
		hiresync.CandidateHired:       ":tada: Hired as *Senior Backend Engineer*, starting Mon 11 Jan 2027",
		hiresync.ApplicationRejected:  ":no_entry: Application rejected: position filled (qualified)",
		hiresync.ApplicationWithdrawn: ":leftwards_arrow_with_hook: Candidate withdrew: accepted other offer",
	}
	require.Len(t, tests, len(hiresync.EventTypes))
	for _, eventType := range hiresync.EventTypes {
		t.Run(eventType, func(t *testing.T) {
			e := sample(t, eventType)
			m := slackpost.Reply(e)
			assert.Equal(t, tests[eventType], m.Text)
			assert.Empty(t, m.Blocks.BlockSet)
			assert.Equal(t, e.ID, m.EventID)
			assert.Equal(t, "cand_7Q2KXW", m.CandidateID)
			assert.Equal(t, "job_BE42", m.JobID)
		})
	}
}

func TestReplyWithoutDetails(t *testing.T) {
	for _, eventType := range hiresync.EventTypes {
		t.Run(eventType, func(t *testing.T) {
			e := hiresync.Event{ID: "evt_1", Type: eventType, Data: hiresync.EventData{Candidate: hiresync.Candidate{ID: "cand_1"}}}
			m := slackpost.Reply(e)
			assert.NotEmpty(t, m.Text)
			assert.NotContains(t, m.Text, "Event ", "a known type is not rendered generically")
			assert.Empty(t, m.JobID)
		})
	}
}

func TestReplyUnknownType(t *testing.T) {
	e := sample(t, hiresync.ApplicationSubmitted)
	e.Type = "offer.extended"
	assert.Equal(t, "Event offer.extended received", slackpost.Reply(e).Text)
}

func TestReplyRejectedNotQualified(t *testing.T) {
	e := sample(t, hiresync.ApplicationRejected)
	e.Data.Rejection.Qualified = false
	assert.Equal(t, ":no_entry: Application rejected: position filled (not qualified)", slackpost.Reply(e).Text)
}

// rootView is the root view of the application e belongs to, showing the
// label status.
func rootView(e hiresync.Event, label string) slackpost.RootView {
	c := e.Data.Candidate
	v := slackpost.RootView{
		CandidateName: c.Name(), Status: label, ProfileURL: c.ProfileURL, EventID: e.ID, CandidateID: c.ID,
	}
	if a := e.Data.Application; a != nil {
		v.JobTitle, v.JobID, v.Source = a.Job.Title, a.Job.ID, a.Source
	}
	return v
}

// label is how the status e sets reads.
func label(e hiresync.Event) string {
	status, _, _ := e.Status()
	return status.Label()
}

// actions returns the root's actions blocks.
func actions(m slackpost.Message) []*slack.ActionBlock {
	var out []*slack.ActionBlock
	for _, b := range m.Blocks.BlockSet {
		if a, ok := b.(*slack.ActionBlock); ok {
			out = append(out, a)
		}
	}
	return out
}

func TestRoot(t *testing.T) {
	e := sample(t, hiresync.ApplicationSubmitted)
	m := slackpost.Root(rootView(e, label(e)))

	assert.Equal(t, "Ada Okafor · Senior Backend Engineer · Applied", m.Text)
	assert.Equal(t, slackpost.Message{Text: m.Text, Blocks: m.Blocks, EventID: e.ID, CandidateID: "cand_7Q2KXW", JobID: "job_BE42"}, m)

	require.Len(t, m.Blocks.BlockSet, 3)
	header, ok := m.Blocks.BlockSet[0].(*slack.HeaderBlock)
	require.True(t, ok)
	assert.Equal(t, "Ada Okafor", header.Text.Text)
	section, ok := m.Blocks.BlockSet[1].(*slack.SectionBlock)
	require.True(t, ok)
	assert.Equal(t, "*Senior Backend Engineer*", section.Text.Text)
	require.Len(t, section.Fields, 2)
	assert.Equal(t, "*Source*\nLinkedIn", section.Fields[0].Text)
	assert.Equal(t, "*Status*\nApplied", section.Fields[1].Text)

	acts := actions(m)
	require.Len(t, acts, 1, "exactly one actions block")
	require.Len(t, acts[0].Elements.ElementSet, 1, "with one button")
	button, ok := acts[0].Elements.ElementSet[0].(*slack.ButtonBlockElement)
	require.True(t, ok)
	assert.Equal(t, "Open in ClarityHire", button.Text.Text)
	assert.Equal(t, slackpost.ActionOpenProfile, button.ActionID)
	assert.Equal(t, "https://app.clarityhire.com/candidates/cand_7Q2KXW", button.URL)
}

func TestRootProfileURL(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"plain", "https://app.clarityhire.com/candidates/cand_1", "https://app.clarityhire.com/candidates/cand_1"},
		{"harmless query kept", "https://app.clarityhire.com/c/cand_1?tab=notes", "https://app.clarityhire.com/c/cand_1?tab=notes"},
		{"credentials dropped", "https://user:pw@app.clarityhire.com/c/cand_1", "https://app.clarityhire.com/c/cand_1"},
		{"query with an email dropped", "https://app.clarityhire.com/c/cand_1?email=ada%40example.com", "https://app.clarityhire.com/c/cand_1"},
		{"fragment with a phone dropped", "https://app.clarityhire.com/c/cand_1#+44 20 7946 0958", "https://app.clarityhire.com/c/cand_1"},
		{"email in the path: no button", "https://app.clarityhire.com/c/ada@example.com", ""},
		{"not http: no button", "javascript:alert(1)", ""},
		{"mailto: no button", "mailto:ada@example.com", ""},
		{"empty: no button", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := slackpost.Root(slackpost.RootView{CandidateName: "Ada", JobTitle: "Engineer", ProfileURL: tt.url, EventID: "evt_1"})
			acts := actions(m)
			if tt.want == "" {
				assert.Empty(t, acts)
				return
			}
			require.Len(t, acts, 1)
			assert.Equal(t, tt.want, acts[0].Elements.ElementSet[0].(*slack.ButtonBlockElement).URL)
		})
	}
}

// hostile is a value that tries every way we know to get contact details or
// a mention into Slack.
const hostile = "Ada ada.okafor@example.com ADA@EXAMPLE.COM ada (at) example.com ada＠example.com " +
	"ada%40example.com a\u200bda@exam\u200bple.com +44 20 7946 0958 (415) 555-2671 415.555.2671 " +
	"+1-415-555-2671 ٠٢٠٧٩٤٦٠٩٥٨ 0041555267100 <!channel> <https://evil.example|click>\nline two"

// forbidden are fragments of hostile that must not reach Slack.
var forbidden = []string{
	"example.com", "@", "＠", "%40", "(at)", "7946", "555", "2671", "٧٩٤٦", "<!channel>", "<https://evil",
}

func hostileEvent(eventType string) hiresync.Event {
	when := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	return hiresync.Event{
		ID: hostile, Type: eventType, CreatedAt: when, OrganizationID: hostile,
		Data: hiresync.EventData{
			Candidate:   hiresync.Candidate{ID: hostile, FirstName: hostile, LastName: hostile, Email: hostile, ProfileURL: "https://app.clarityhire.com/c/x?e=" + hostile},
			Application: &hiresync.Application{ID: hostile, Job: hiresync.Job{ID: hostile, Title: hostile, Department: hostile}, Source: hostile, Stage: hostile},
			Test:        &hiresync.Test{ID: hostile, Name: hostile, Score: 1, MaxScore: 2, PassMark: 1},
			Interview: &hiresync.Interview{
				ID: hostile, Kind: hostile, ScheduledAt: when, DurationMinutes: 30,
				Interviewers: []hiresync.Interviewer{{Name: hostile}, {Name: hostile}},
				CancelReason: hostile, Outcome: hostile,
			},
			StageChange: &hiresync.StageChange{From: hostile, To: hostile},
			Hire:        &hiresync.Hire{StartDate: hostile, Title: hostile},
			Rejection:   &hiresync.Rejection{Reason: hostile, Qualified: true},
			Withdrawal:  &hiresync.Withdrawal{Reason: hostile},
		},
	}
}

// slackView is the text and blocks of a message as they are sent. (The
// metadata is checked through the double, in poster_test.go.)
func slackView(t *testing.T, m slackpost.Message) string {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(m.Text + "\n")
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // so that "<" and "&" are checked as sent
	require.NoError(t, enc.Encode(m.Blocks))
	return buf.String()
}

func TestNoContactDetailsInMessages(t *testing.T) {
	for _, eventType := range append(slicesClone(hiresync.EventTypes), hostile) {
		t.Run(eventType[:min(len(eventType), 20)], func(t *testing.T) {
			e := hostileEvent(eventType)
			for name, m := range map[string]slackpost.Message{
				"reply": slackpost.Reply(e),
				"root":  slackpost.Root(rootView(e, hostile)),
			} {
				view := slackView(t, m)
				for _, f := range forbidden {
					assert.NotContains(t, strings.ToLower(view), strings.ToLower(f), "%s of %s", name, eventType)
				}
				assert.Contains(t, view, "[redacted]", "%s of %s", name, eventType)
				assert.NotContains(t, m.Text, "\n", "%s of %s is one line", name, eventType)
			}
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
