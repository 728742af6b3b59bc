package worker

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// TestRecruitersResolvedAtStartUp: the worker looks every recruiter up
// once at start-up and warns of one Slack cannot resolve by its routes
// entry, never by its email; later look-ups use the kept answers.
func TestRecruitersResolvedAtStartUp(t *testing.T) {
	slack := slackdouble.Start(t, slackdouble.WithUser("U0MAYA", "maya@acme.example"))
	cfg := &config.Config{
		Routes: &config.Routes{DefaultChannel: "C1", DefaultRecruiter: "maya@acme.example", Jobs: map[string]config.JobRoute{
			"job_DS07": {Channel: "C2", Recruiter: "nobody@acme.example"},
			"job_BE42": {Channel: "C3", Recruiter: "U0LEAD"},
		}},
		SlackToken: slack.Token(), SlackAPIURL: slack.APIURL(), SlackPerSecond: 1000,
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	acts, err := NewActivities(cfg, log, nil)
	require.NoError(t, err)
	resolveRecruiters(t.Context(), acts, cfg.Routes, log)

	assert.Contains(t, logs.String(), "recruiter cannot be mentioned")
	assert.Contains(t, logs.String(), "jobs.job_DS07.recruiter")
	assert.Contains(t, logs.String(), "users_not_found")
	assert.NotContains(t, logs.String(), "@acme.example", "no email in the logs")
	assert.Equal(t, 2, slack.State().Stats.Requests[slackdouble.MethodUsersLookupByEmail], "each email once; a user id needs no look-up")

	r, err := acts.Recruiters.Resolve(t.Context(), "maya@acme.example")
	require.NoError(t, err)
	assert.Equal(t, "U0MAYA", r.UserID)
	assert.Equal(t, 2, slack.State().Stats.Requests[slackdouble.MethodUsersLookupByEmail], "kept from start-up")
}

// TestNewHandoff: without a URL the hand-off is off and says so; with one
// it is on, and the log shows neither the secret nor the URL's query.
func TestNewHandoff(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	off, err := NewHandoff(&config.Config{}, log, nil)
	require.NoError(t, err)
	assert.Nil(t, off.Sender)
	assert.Contains(t, logs.String(), "hand-off is off")

	d := handoffdouble.Start(t, handoffdouble.Options{})
	logs.Reset()
	on, err := NewHandoff(&config.Config{HandoffURL: d.HookURL() + "?token=receiver-token", HandoffSecret: d.Secret()}, log, prometheus.NewRegistry())
	require.NoError(t, err)
	require.NotNil(t, on.Sender)
	assert.Contains(t, logs.String(), "hand-off is on")
	assert.NotContains(t, logs.String(), d.Secret())
	assert.NotContains(t, logs.String(), "receiver-token")
}
