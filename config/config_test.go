package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/config"
)

func env(m map[string]string) config.Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(map[string]string{"CLARITYHIRE_WEBHOOK_SECRETS": secret}), config.RoleServe)
	require.NoError(t, err)
	require.Equal(t, "localhost:7233", c.Temporal.HostPort)
	require.Equal(t, "default", c.Temporal.Namespace)
	require.Equal(t, "hiresync", c.TaskQueue)
	require.Equal(t, ":8080", c.HTTPAddr)
	require.Equal(t, "https://slack.com/api/", c.SlackAPIURL)
	require.Equal(t, "https://api.hubapi.com", c.HubSpotAPIURL)
	require.Equal(t, 100, c.HubSpotRate)
	require.Equal(t, 10*time.Second, c.HubSpotWindow)
	require.Len(t, c.WebhookKeys, 1)
	require.Empty(t, c.SlackToken, "Slack off without a token")
	require.Equal(t, hiresync.WorkflowTuning{MaxEventsPerRun: 500, MaxRunAge: 30 * 24 * time.Hour, Retention: 30 * 24 * time.Hour}, c.Tuning)

	c, err = config.Load(env(map[string]string{
		"CLARITYHIRE_WEBHOOK_SECRETS": secret, "HIRESYNC_EVENTS_PER_RUN": "50", "HIRESYNC_RUN_MAX_AGE": "168h", "HIRESYNC_RETENTION": "2160h",
	}), config.RoleIngress)
	require.NoError(t, err)
	require.Equal(t, hiresync.WorkflowTuning{MaxEventsPerRun: 50, MaxRunAge: 7 * 24 * time.Hour, Retention: 90 * 24 * time.Hour}, c.Tuning)
}

func TestErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		role config.Role
		want string
	}{
		{"no secrets for the ingress", map[string]string{}, config.RoleIngress, "CLARITYHIRE_WEBHOOK_SECRETS is not set"},
		{"bad secret", map[string]string{"CLARITYHIRE_WEBHOOK_SECRETS": "nope"}, config.RoleIngress, "CLARITYHIRE_WEBHOOK_SECRETS"},
		{"bad rate", map[string]string{"HIRESYNC_SLACK_PER_CHANNEL_PER_SECOND": "-1"}, config.RoleWorker, "HIRESYNC_SLACK_PER_CHANNEL_PER_SECOND"},
		{"bad window", map[string]string{"HIRESYNC_HUBSPOT_WINDOW": "often"}, config.RoleWorker, "HIRESYNC_HUBSPOT_WINDOW"},
		{"bad events per run", map[string]string{"HIRESYNC_EVENTS_PER_RUN": "0"}, config.RoleIngress, "HIRESYNC_EVENTS_PER_RUN"},
		{"bad run age", map[string]string{"HIRESYNC_RUN_MAX_AGE": "-1h"}, config.RoleIngress, "HIRESYNC_RUN_MAX_AGE"},
		{"bad retention", map[string]string{"HIRESYNC_RETENTION": "30d"}, config.RoleIngress, "HIRESYNC_RETENTION"},
		{"missing routes file", map[string]string{"HIRESYNC_ROUTES": "/nonexistent/routes.yaml"}, config.RoleWorker, "HIRESYNC_ROUTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env), tt.role)
			require.ErrorContains(t, err, tt.want)
		})
	}
	// The worker alone does not need the webhook secrets.
	_, err := config.Load(env(map[string]string{}), config.RoleWorker)
	require.NoError(t, err)
}

func TestRoutes(t *testing.T) {
	r, err := config.ParseRoutes("routes.yaml", []byte("default_channel: C0HIRING\njobs:\n  job_BE42: C0BACKEND\n"))
	require.NoError(t, err)
	require.Equal(t, "C0BACKEND", r.Channel("job_BE42"))
	require.Equal(t, "C0HIRING", r.Channel("job_OTHER"))

	many, err := config.ParseRoutes("routes.yaml", []byte("default_channel: C0HIRING\njobs:\n  job_BE42: C0BACKEND\n  job_DS07: C0DESIGN\n  job_FE11: C0BACKEND\n  job_HR01: C0HIRING\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"C0HIRING", "C0BACKEND", "C0DESIGN"}, many.Channels(), "the default first, then each job channel once")

	bad := []struct {
		name, yaml, want string
	}{
		{"not YAML", "default_channel: [C0\njobs: {", "routes.yaml: yaml: line"},
		{"unknown key", "default_chanel: C0HIRING\n", "line 1: field default_chanel not found"},
		{"not a channel id", "jobs:\n  job_BE42: C0BACKEND\n  job_DS07: '#design'\n", `routes.yaml: line 3: "#design" is not a Slack channel id`},
		{"bad default", "jobs:\n  job_BE42: C0BACKEND\ndefault_channel: hiring\n", `routes.yaml: line 3: "hiring" is not a Slack channel id`},
		{"bad job channel in the mapping form", "jobs:\n  job_BE42:\n    channel: backend\n", `routes.yaml: line 3: "backend" is not a Slack channel id`},
		{"bad provisioning channel", "provisioning_channel: '#it'\n", `routes.yaml: line 1: "#it" is not a Slack channel id`},
		{"bad recruiter", "default_channel: C0HIRING\ndefault_recruiter: maya\n", `routes.yaml: line 2: "maya" is neither a Slack user id`},
		{"bad job recruiter", "jobs:\n  job_BE42:\n    channel: C0BACKEND\n    recruiter: '@maya'\n", `routes.yaml: line 4: "@maya" is neither`},
		{"bad nudge", "nudges:\n  applied: 3d\n", `routes.yaml: line 2`},
		{"negative nudge", "nudges:\n  applied: -1h\n", `routes.yaml: line 2: "-1h" is not a positive duration`},
		{"nudge on a closed status", "jobs:\n  job_BE42:\n    channel: C0BACKEND\n    nudges:\n      hired: 1h\n", `routes.yaml: line 5: "hired" closes the application`},
		{"unknown job key", "jobs:\n  job_BE42:\n    chanel: C0BACKEND\n", `field chanel not found`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.ParseRoutes("routes.yaml", []byte(tt.yaml))
			require.ErrorContains(t, err, tt.want)
		})
	}

	path := filepath.Join(t.TempDir(), "routes.yaml")
	require.NoError(t, os.WriteFile(path, []byte("jobs:\n  job_BE42: nope\n"), 0o600))
	_, err = config.Load(env(map[string]string{"HIRESYNC_ROUTES": path}), config.RoleWorker)
	require.ErrorContains(t, err, "HIRESYNC_ROUTES: "+path+": line 2")
}

func TestRoutesMappingForm(t *testing.T) {
	r, err := config.ParseRoutes("routes.yaml", []byte(`
default_channel: C0HIRING
default_recruiter: U0LEAD
provisioning_channel: C0ITHIRES
nudges:
  applied: 72h
  test_passed: 24h
jobs:
  job_BE42: C0BACKEND
  job_DS07:
    channel: C0DESIGN
    recruiter: maya@acme.example
    nudges:
      interview: 48h
      applied: 30s
`))
	require.NoError(t, err)
	require.Equal(t, "C0BACKEND", r.Channel("job_BE42"), "the short form stays valid beside the mapping form")
	require.Equal(t, "C0DESIGN", r.Channel("job_DS07"))
	require.Equal(t, "C0HIRING", r.Channel("job_OTHER"))
	require.Equal(t, "U0LEAD", r.Recruiter("job_BE42"), "a job without a recruiter has the default one")
	require.Equal(t, "maya@acme.example", r.Recruiter("job_DS07"))
	require.Equal(t, map[string]time.Duration{"applied": 72 * time.Hour, "test_passed": 24 * time.Hour}, r.NudgesFor("job_BE42"))
	require.Equal(t, map[string]time.Duration{"applied": 30 * time.Second, "test_passed": 24 * time.Hour, "interview": 48 * time.Hour},
		r.NudgesFor("job_DS07"), "a job's nudges are merged over the default")
	require.Equal(t, []string{"C0HIRING", "C0BACKEND", "C0DESIGN", "C0ITHIRES"}, r.Channels())
	require.Equal(t, []string{"U0LEAD", "maya@acme.example"}, r.Recruiters())

	none, err := config.ParseRoutes("routes.yaml", []byte("default_channel: C0HIRING\n"))
	require.NoError(t, err)
	require.Nil(t, none.NudgesFor("job_BE42"), "no nudges set means none")
	require.Empty(t, none.Recruiter("job_BE42"))
}

func TestExampleRoutesParse(t *testing.T) {
	r, err := config.LoadRoutes("../examples/routes.yaml")
	require.NoError(t, err)
	require.Equal(t, "C0HIRING", r.DefaultChannel)
	require.Len(t, r.Jobs, 2)
	require.Equal(t, "maya@acme.example", r.Recruiter("job_DS07"))
	require.Equal(t, "C0ITHIRES", r.ProvisioningChannel)
}

// TestLocalRoutesParse: the routes of `make run` name a recruiter by the
// email the local Slack double resolves, a provisioning channel, and
// nudges of minutes.
func TestLocalRoutesParse(t *testing.T) {
	r, err := config.LoadRoutes("../examples/routes.local.yaml")
	require.NoError(t, err)
	require.Equal(t, "maya@acme.example", r.Recruiter("job_BE42"))
	require.Equal(t, "U0LEAD", r.Recruiter("job_DS07"))
	require.Equal(t, "C0ITHIRES", r.Provisioning())
	require.Equal(t, 2*time.Minute, r.NudgesFor("job_BE42")["applied"])
}

func TestHandoff(t *testing.T) {
	const handoffSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	c, err := config.Load(env(map[string]string{}), config.RoleWorker)
	require.NoError(t, err)
	require.Empty(t, c.HandoffURL, "no URL: the hand-off is off")

	c, err = config.Load(env(map[string]string{
		"HIRESYNC_HANDOFF_URL": "https://it.example/hooks/hires", "HIRESYNC_HANDOFF_SECRET": handoffSecret,
	}), config.RoleWorker)
	require.NoError(t, err)
	require.Equal(t, "https://it.example/hooks/hires", c.HandoffURL)
	require.Equal(t, handoffSecret, c.HandoffSecret)

	bad := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"URL without a secret", map[string]string{"HIRESYNC_HANDOFF_URL": "https://it.example/h"}, "HIRESYNC_HANDOFF_SECRET is not"},
		{"secret without a URL", map[string]string{"HIRESYNC_HANDOFF_SECRET": handoffSecret}, "HIRESYNC_HANDOFF_URL is not"},
		{"relative URL", map[string]string{"HIRESYNC_HANDOFF_URL": "/hooks", "HIRESYNC_HANDOFF_SECRET": handoffSecret}, "HIRESYNC_HANDOFF_URL"},
		{"no prefix", map[string]string{"HIRESYNC_HANDOFF_URL": "https://it.example/h", "HIRESYNC_HANDOFF_SECRET": "s3cr3t-value-1234567890"}, "whsec_"},
		{"not base64", map[string]string{"HIRESYNC_HANDOFF_URL": "https://it.example/h", "HIRESYNC_HANDOFF_SECRET": "whsec_not*base64!"}, "base64"},
		{"too short", map[string]string{"HIRESYNC_HANDOFF_URL": "https://it.example/h", "HIRESYNC_HANDOFF_SECRET": "whsec_c2hvcnQ="}, "at least 24"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.env), config.RoleWorker)
			require.ErrorContains(t, err, tt.want)
			if s := tt.env["HIRESYNC_HANDOFF_SECRET"]; s != "" {
				require.NotContains(t, err.Error(), s, "the error never quotes the secret")
			}
		})
	}
}
