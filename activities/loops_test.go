package activities_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// loopRoutes have a default recruiter by id, job_DS07's by email, nudges
// and a provisioning channel.
func loopRoutes() *config.Routes {
	return &config.Routes{
		DefaultChannel: hiring, DefaultRecruiter: "U0LEAD", ProvisioningChannel: "C0ITHIRES",
		Nudges: map[string]time.Duration{"applied": 72 * time.Hour},
		Jobs: map[string]config.JobRoute{
			"job_BE42": {Channel: backend},
			"job_DS07": {Channel: "C0DESIGN", Recruiter: "maya@acme.example", Nudges: map[string]time.Duration{"interview": time.Hour}},
			"job_GONE": {Channel: backend, Recruiter: "nobody@acme.example"},
		},
	}
}

// newLoopSlack is newSlack with loopRoutes, a Slack double that knows
// maya@acme.example, and recruiters resolved through the Poster.
func newLoopSlack(t *testing.T) slackUnderTest {
	t.Helper()
	d := slackdouble.Start(t, slackdouble.WithUser("U0MAYA", "maya@acme.example"))
	p, err := slackpost.New(slackpost.Config{Token: d.Token(), APIURL: d.APIURL(), HTTPClient: &http.Client{Timeout: 10 * time.Second}, PostRate: rate.Inf})
	require.NoError(t, err)
	return slackUnderTest{double: d, acts: &activities.Activities{Slack: p, Routes: loopRoutes(), Recruiters: slackpost.NewRecruiters(p)}}
}

func loopSample(t *testing.T, typ, job string) hiresync.Event {
	t.Helper()
	b, err := os.ReadFile("../doubles/clarityhire/events/" + typ + ".json")
	require.NoError(t, err)
	var e hiresync.Event
	require.NoError(t, json.Unmarshal(b, &e))
	e.Data.Application.Job.ID = job
	return e
}

func TestTestRepliesMentionTheJobsRecruiter(t *testing.T) {
	s := newLoopSlack(t)
	tests := []struct{ job, mention, note string }{
		{"job_BE42", "<@U0LEAD>", ""},
		{"job_DS07", "<@U0MAYA>", ""},
		{"job_GONE", "", "users_not_found"},
	}
	for _, tt := range tests {
		root, err := s.root(t, activities.SlackRootRequest{EventID: "evt_root_" + tt.job, CandidateID: "cand_1", JobID: tt.job, Fresh: true})
		require.NoError(t, err)
		ev := loopSample(t, hiresync.TestCompleted, tt.job)
		ev.ID = "evt_test_" + tt.job
		res, err := execute[activities.SlackResult](t, s.acts, s.acts.PostSlackReply,
			activities.SlackReplyRequest{Channel: root.Channel, ThreadTS: root.TS, Event: ev, Fresh: true})
		require.NoError(t, err, "an unresolvable recruiter never fails the post")
		reply := s.double.Replies(root.Channel, root.TS)[0]
		if tt.mention != "" {
			require.Contains(t, reply.Text, tt.mention)
			require.Empty(t, res.Note)
		} else {
			require.NotContains(t, reply.Text, "<@")
			require.Contains(t, res.Note, tt.note)
			require.NotContains(t, res.Note, "nobody@", "the note never quotes the email")
		}
	}
	// Other events mention nobody.
	root, err := s.root(t, activities.SlackRootRequest{EventID: "evt_r", CandidateID: "cand_2", JobID: "job_BE42", Fresh: true})
	require.NoError(t, err)
	_, err = execute[activities.SlackResult](t, s.acts, s.acts.PostSlackReply,
		activities.SlackReplyRequest{Channel: root.Channel, ThreadTS: root.TS, Event: loopSample(t, hiresync.InterviewScheduled, "job_BE42"), Fresh: true})
	require.NoError(t, err)
	require.NotContains(t, s.double.Replies(root.Channel, root.TS)[0].Text, "<@")
}

func TestRootResultCarriesTheJobsNudges(t *testing.T) {
	s := newLoopSlack(t)
	res, err := s.root(t, activities.SlackRootRequest{EventID: "evt_1", CandidateID: "cand_1", JobID: "job_DS07", Fresh: true})
	require.NoError(t, err)
	require.Equal(t, map[string]time.Duration{"applied": 72 * time.Hour, "interview": time.Hour}, res.Nudges)
}

func TestNudgePostedOnceMentioningTheRecruiter(t *testing.T) {
	s := newLoopSlack(t)
	root, err := s.root(t, activities.SlackRootRequest{EventID: "evt_1", CandidateID: "cand_1", JobID: "job_DS07", Fresh: true})
	require.NoError(t, err)
	since := loopSample(t, hiresync.TestCompleted, "job_DS07")
	req := activities.SlackNudgeRequest{
		Channel: root.Channel, ThreadTS: root.TS, NudgeID: slackpost.NudgeID(since.ID, 1), CandidateID: "cand_1", JobID: "job_DS07",
		Quiet: 72 * time.Hour, Since: since, Fresh: true,
	}
	first, err := execute[activities.SlackResult](t, s.acts, s.acts.PostSlackNudge, req)
	require.NoError(t, err)
	// A reset runs it again, not fresh: the nudge is found, not posted again.
	req.Fresh = false
	again, err := execute[activities.SlackResult](t, s.acts, s.acts.PostSlackNudge, req)
	require.NoError(t, err)
	require.True(t, again.Adopted)
	require.Equal(t, first.TS, again.TS)

	replies := s.double.Replies(root.Channel, root.TS)
	require.Len(t, replies, 1, "one nudge")
	require.Equal(t, ":hourglass_flowing_sand: <@U0MAYA> 3 days since the Go systems assessment was completed, 86/100", replies[0].Text)
}

func TestHireNoticePostedOnceInTheProvisioningChannel(t *testing.T) {
	s := newLoopSlack(t)
	hired := loopSample(t, hiresync.CandidateHired, "job_BE42")
	hired.ReceivedAt = time.Now()
	req := activities.NewHireNoticeRequest(hired, true)
	require.NotContains(t, mustJSON(t, req), "ada.okafor@", "no email in the request, so none in history for it")
	first, err := execute[activities.SlackResult](t, s.acts, s.acts.PostHireNotice, req)
	require.NoError(t, err)
	require.Equal(t, "C0ITHIRES", first.Channel)
	req.Fresh = false
	again, err := execute[activities.SlackResult](t, s.acts, s.acts.PostHireNotice, req)
	require.NoError(t, err)
	require.True(t, again.Adopted)
	msgs := s.double.Messages("C0ITHIRES")
	require.Len(t, msgs, 1)
	require.Equal(t, hired.ID+":hire", msgs[0].EventID())

	s.acts.Routes = testRoutes()
	off, err := execute[activities.SlackResult](t, s.acts, s.acts.PostHireNotice, req)
	require.NoError(t, err)
	require.Contains(t, off.Skipped, "provisioning_channel")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
