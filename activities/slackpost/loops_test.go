package slackpost_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

func TestTestRepliesMentionTheRecruiter(t *testing.T) {
	for _, typ := range []string{hiresync.TestCompleted, hiresync.TestPassed, hiresync.TestFailed} {
		m := slackpost.ReplyMentioning(sample(t, typ), "U0LEAD")
		require.Contains(t, m.Text, "(pass mark 70)", "the score against the pass mark")
		require.Contains(t, m.Text, "<@U0LEAD>", typ)
	}
	require.Equal(t, ":memo: Test completed: *Go systems assessment*, score 86/100 (pass mark 70), passed · <@U0LEAD>",
		slackpost.ReplyMentioning(sample(t, hiresync.TestCompleted), "U0LEAD").Text)

	other := slackpost.ReplyMentioning(sample(t, hiresync.InterviewScheduled), "U0LEAD")
	require.NotContains(t, other.Text, "<@", "only test results ping the recruiter")
	for _, bad := range []string{"", "maya@acme.example", "U0LEAD> <!channel", "u0lead"} {
		m := slackpost.ReplyMentioning(sample(t, hiresync.TestCompleted), bad)
		require.Equal(t, slackpost.Reply(sample(t, hiresync.TestCompleted)).Text, m.Text, "no mention for %q", bad)
	}
}

func TestNudgeText(t *testing.T) {
	since := sample(t, hiresync.TestCompleted)
	m := slackpost.Nudge(slackpost.NudgeView{
		NudgeID: slackpost.NudgeID(since.ID, 1), CandidateID: "cand_7Q2KXW", JobID: "job_BE42",
		Recruiter: "U0LEAD", Quiet: 72 * time.Hour, Since: since,
	})
	require.Equal(t, ":hourglass_flowing_sand: <@U0LEAD> 3 days since the Go systems assessment was completed, 86/100", m.Text)
	require.Equal(t, "evt_01JC02Z8Q4:nudge:1", m.EventID)
	require.Equal(t, slackpost.KindNudge, m.Kind)

	r := slackpost.Nudge(slackpost.NudgeView{NudgeID: slackpost.NudgeID(since.ID, 2), Quiet: 144 * time.Hour, Reminder: true, Since: since})
	require.Equal(t, ":hourglass_flowing_sand: Reminder: 6 days since the Go systems assessment was completed, 86/100", r.Text)

	tests := map[string]string{
		hiresync.ApplicationSubmitted: "the application was submitted",
		hiresync.TestFailed:           "the Go systems assessment was completed below the pass mark, 52/100",
		hiresync.InterviewScheduled:   "the technical interview was scheduled",
		hiresync.StageChanged:         "the move to offer",
	}
	for typ, want := range tests {
		got := slackpost.Nudge(slackpost.NudgeView{NudgeID: "n", Quiet: 90 * time.Second, Since: sample(t, typ)}).Text
		require.Equal(t, ":hourglass_flowing_sand: 1 minute since "+want, got)
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "30 seconds", 5 * time.Hour: "5 hours", 24 * time.Hour: "1 day", 0: "1 second"} {
		require.Contains(t, slackpost.Nudge(slackpost.NudgeView{NudgeID: "n", Quiet: d, Since: since}).Text, " "+want+" since")
	}
}

func TestHireNotice(t *testing.T) {
	e := sample(t, hiresync.CandidateHired)
	m := slackpost.HireNotice(slackpost.NewHireView(e))
	require.Equal(t, ":tada: *Ada Okafor* hired as *Senior Backend Engineer* (Engineering), starting Mon 11 Jan 2027", m.Text)
	require.Equal(t, "evt_01JC09Z8Q4:hire", m.EventID)
	require.Equal(t, slackpost.KindHire, m.Kind)
	require.NotContains(t, m.Text, "@", "no email")
	require.NotContains(t, m.Text, "7946", "no phone")
}

func TestNudgeAndHireCarryTheirKindAndAreFound(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()
	root, err := p.PostRoot(ctx, "C0HIRING", msg("evt_root"))
	require.NoError(t, err)
	nudge := slackpost.Nudge(slackpost.NudgeView{NudgeID: slackpost.NudgeID("evt_root", 1), CandidateID: "cand_1", JobID: "job_1",
		Quiet: time.Hour, Since: hiresync.Event{Type: hiresync.ApplicationSubmitted}})
	_, err = p.Reply(ctx, "C0HIRING", root, nudge)
	require.NoError(t, err)
	hire := slackpost.HireNotice(slackpost.HireView{NoticeID: slackpost.HireNoticeID("evt_hire"), CandidateID: "cand_1", JobID: "job_1", CandidateName: "Ada"})
	_, err = p.PostRoot(ctx, "C0ITHIRES", hire)
	require.NoError(t, err)

	th := d.State().Channels["C0HIRING"].Messages[0]
	require.Equal(t, map[string]string{"event_id": "evt_root:nudge:1", "candidate_id": "cand_1", "job_id": "job_1", "kind": "nudge"}, payload(t, th.Replies[0]))
	require.NotContains(t, payload(t, th.Message), "kind", "an event's own message has no kind")
	require.Equal(t, "hire", payload(t, d.State().Channels["C0ITHIRES"].Messages[0].Message)["kind"])

	_, found, err := p.FindPosted(ctx, "C0HIRING", root, slackpost.NudgeID("evt_root", 1))
	require.NoError(t, err)
	require.True(t, found)
	_, found, err = p.FindPosted(ctx, "C0HIRING", root, slackpost.NudgeID("evt_root", 2))
	require.NoError(t, err)
	require.False(t, found, "the reminder is another message")
	_, found, err = p.FindPosted(ctx, "C0ITHIRES", "", slackpost.HireNoticeID("evt_hire"))
	require.NoError(t, err)
	require.True(t, found)
}

func TestRecruitersResolveOnceAndKeep(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithUser("U0MAYA", "Maya@Acme.example"))
	p := newPoster(t, d, nil)
	r := slackpost.NewRecruiters(p)
	ctx := t.Context()

	got, err := r.Resolve(ctx, "U0LEAD")
	require.NoError(t, err)
	require.Equal(t, slackpost.Recruiter{UserID: "U0LEAD"}, got, "a user id is used as it is")

	for range 3 {
		got, err = r.Resolve(ctx, "maya@acme.example")
		require.NoError(t, err)
		require.Equal(t, slackpost.Recruiter{UserID: "U0MAYA"}, got)
	}
	got, err = r.Resolve(ctx, "nobody@acme.example")
	require.NoError(t, err)
	require.Empty(t, got.UserID)
	require.Contains(t, got.Unresolved, "users_not_found")
	require.NotContains(t, got.Unresolved, "nobody@", "the reason never quotes the email")
	_, _ = r.Resolve(ctx, "nobody@acme.example")
	require.Equal(t, 2, d.State().Stats.Requests[slackdouble.MethodUsersLookupByEmail], "each email looked up once, found or not")

	empty, err := r.Resolve(ctx, "")
	require.NoError(t, err)
	require.Equal(t, slackpost.Recruiter{}, empty)
}

func TestRecruitersTransientFailureIsRetried(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithUser("U0MAYA", "maya@acme.example"))
	d.FailNext(slackdouble.MethodUsersLookupByEmail, 1, 503)
	r := slackpost.NewRecruiters(newPoster(t, d, nil))
	_, err := r.Resolve(t.Context(), "maya@acme.example")
	require.Error(t, err, "Slack down is not an answer to keep")
	require.NotContains(t, err.Error(), "maya@")
	got, err := r.Resolve(t.Context(), "maya@acme.example")
	require.NoError(t, err)
	require.Equal(t, "U0MAYA", got.UserID)
}

type missingScope struct{}

func (missingScope) LookupUserByEmail(context.Context, string) (string, error) {
	return "", &slackpost.PermanentError{Code: "missing_scope"}
}

func TestRecruitersMissingScope(t *testing.T) {
	got, err := slackpost.NewRecruiters(missingScope{}).Resolve(t.Context(), "maya@acme.example")
	require.NoError(t, err)
	require.Contains(t, got.Unresolved, "users:read.email")
}

func TestOwnIDsKeepTheIDRules(t *testing.T) {
	long := strings.Repeat("e", hiresync.MaxIDLength)
	for _, id := range []string{slackpost.NudgeID(long, 2), slackpost.HireNoticeID(long), slackpost.NudgeID("evt_1", 1)} {
		require.True(t, hiresync.ValidID(id), id)
	}
	require.Equal(t, slackpost.NudgeID(long, 1), slackpost.NudgeID(long, 1), "deterministic")
	require.NotEqual(t, slackpost.NudgeID(long, 1), slackpost.NudgeID(strings.Repeat("f", hiresync.MaxIDLength), 1))
}
