package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doctor"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/temporalclient"
	"github.com/hiresync/hiresync/testsuite"
)

// TestDoctorCommand runs `hiresync doctor` as make run configures it: the
// doubles of `hiresync doubles` with the example routes' recruiters, after
// `hiresync hubspot setup`, against a dev server. It passes; with a
// refused HubSpot token it fails with exit status 1 and that line red.
func TestDoctorCommand(t *testing.T) {
	dev := testsuite.StartTemporal(t, "")
	slackAddr, hubspotAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runDoubles(ctx, []string{
			"-slack", slackAddr, "-slack-token", "xoxb-t",
			"-slack-users", "U0LEAD=lead@acme.example,U0MAYA=maya@acme.example",
			"-hubspot", hubspotAddr, "-hubspot-token", "pat-t",
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	for _, addr := range []string{slackAddr, hubspotAddr} {
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + addr + "/_double/state")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond)
	}
	for k, v := range map[string]string{
		"TEMPORAL_ADDRESS":            dev.Addr,
		"CLARITYHIRE_WEBHOOK_SECRETS": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"HIRESYNC_ROUTES":             "../../examples/routes.yaml",
		"SLACK_BOT_TOKEN":             "xoxb-t",
		"SLACK_API_URL":               "http://" + slackAddr + "/api/",
		"HUBSPOT_ACCESS_TOKEN":        "pat-t",
		"HUBSPOT_API_URL":             "http://" + hubspotAddr,
	} {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"hubspot", "setup"}, &out, &errOut), errOut.String())

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"doctor"}, &out, &errOut), out.String())
	require.Contains(t, out.String(), "all checks passed")
	require.NotContains(t, out.String(), "FAIL")

	t.Setenv("HUBSPOT_ACCESS_TOKEN", "pat-revoked")
	out.Reset()
	err := run(context.Background(), []string{"doctor"}, &out, &errOut)
	require.EqualError(t, err, "doctor: 1 check(s) failed", out.String())
	require.Regexp(t, `(?m)^FAIL  hubspot: token +HubSpot refuses HUBSPOT_ACCESS_TOKEN \(401`, out.String())
}

// TestStartupChecksLogFailuresAsWarnings: serve's start-up checks log each
// failed check as a warning, with its fix, and return: the process goes on.
func TestStartupChecksLogFailuresAsWarnings(t *testing.T) {
	slackD := slackdouble.Start(t, slackdouble.WithMissingChannels("C0BACKEND"))
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	require.NoError(t, os.WriteFile(routes, []byte("default_channel: C0HIRING\njobs:\n  job_BE42: C0BACKEND\n"), 0o600))
	env := map[string]string{
		"TEMPORAL_ADDRESS": freeAddr(t), // nothing listens there
		"HIRESYNC_ROUTES":  routes,
		"SLACK_BOT_TOKEN":  slackD.Token(),
		"SLACK_API_URL":    slackD.APIURL(),
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, config.RoleWorker)
	require.NoError(t, err)
	c, err := temporalclient.New(cfg, slog.New(slog.DiscardHandler), nil)
	require.NoError(t, err)
	defer c.Close()

	var logs bytes.Buffer
	startupChecks(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), cfg, c, false, true)
	var warned []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry))
		if entry["level"] == "WARN" {
			warned = append(warned, entry["msg"].(string))
			require.NotEmpty(t, entry["fix"], line)
		}
	}
	require.ElementsMatch(t, []string{
		"start-up check failed: " + doctor.CheckTemporal,
		"start-up check failed: " + doctor.ChannelCheck("C0BACKEND"),
	}, warned)
	require.Contains(t, logs.String(), `"msg":"start-up checks done"`)
}
