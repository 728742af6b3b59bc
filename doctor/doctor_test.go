package doctor_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/activities/slackscopes"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doctor"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/temporalclient"
	"github.com/hiresync/hiresync/testsuite"
)

const routesYAML = `default_channel: C0HIRING
default_recruiter: U0LEAD
provisioning_channel: C0ITHIRES
jobs:
  job_BE42: C0BACKEND
  job_DS07:
    channel: C0DESIGN
    recruiter: maya@acme.example
`

// The namespaces the search-attribute cases use, made once on the dev
// server: one lacks HiringStage, one has it as Text.
const (
	nsMissingAttr = "doctor-missing-attr"
	nsWrongType   = "doctor-wrong-type"
)

// setup is one case's world: what the doubles answer and the environment
// doctor reads. Each case changes one thing.
type setup struct {
	slackOpts []slackdouble.Option
	slack     *slackdouble.Server
	hub       *hubspotdouble.Double
	env       map[string]string
	params    doctor.Params
	dir       string
}

func TestDoctorAgainstDevServerAndDoubles(t *testing.T) {
	dev := testsuite.StartTemporal(t, "")
	makeNamespace(t, dev.Client(), nsMissingAttr, map[string]enumspb.IndexedValueType{
		"CandidateId": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "JobIds": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	})
	makeNamespace(t, dev.Client(), nsWrongType, map[string]enumspb.IndexedValueType{
		"CandidateId": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "JobIds": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		"HiringStage": enumspb.INDEXED_VALUE_TYPE_TEXT,
	})
	receiver := handoffReceiver(t, handoffSecret)

	allButChatWrite := slices.DeleteFunc(slackscopes.All(), func(s string) bool { return s == "chat:write" })
	allButChannelsRead := slices.DeleteFunc(slackscopes.All(), func(s string) bool { return s == "channels:read" })

	cases := []struct {
		name string
		// before adds options to the Slack double; change changes the rest.
		before []slackdouble.Option
		change func(t *testing.T, s *setup)
		// fails are the checks that must fail, and no others.
		fails []string
		// skipped are checks that must be skipped rather than fail.
		skipped []string
	}{
		{name: "all well"},
		{
			name:    "token revoked",
			change:  func(_ *testing.T, s *setup) { s.slack.RevokeToken("token_revoked") },
			fails:   []string{doctor.CheckSlackToken},
			skipped: []string{doctor.CheckSlackScopes, doctor.ChannelCheck("C0HIRING"), doctor.RecruiterCheck("job_DS07")},
		},
		{
			name:   "missing scope",
			before: []slackdouble.Option{slackdouble.WithScopes(allButChatWrite...)},
			fails:  []string{doctor.CheckSlackScopes},
		},
		{
			name:    "missing a scope doctor itself needs",
			before:  []slackdouble.Option{slackdouble.WithScopes(allButChannelsRead...)},
			fails:   []string{doctor.CheckSlackScopes},
			skipped: []string{doctor.ChannelCheck("C0HIRING"), doctor.ChannelCheck("C0DESIGN")},
		},
		{
			name:   "bot not in a routed channel",
			before: []slackdouble.Option{slackdouble.WithoutMembership("C0DESIGN")},
			fails:  []string{doctor.ChannelCheck("C0DESIGN")},
		},
		{
			name:   "unknown channel",
			before: []slackdouble.Option{slackdouble.WithMissingChannels("C0BACKEND")},
			fails:  []string{doctor.ChannelCheck("C0BACKEND")},
		},
		{
			name:   "unresolvable recruiter email",
			change: func(_ *testing.T, s *setup) { s.routes(strings.Replace(routesYAML, "maya@", "mia@", 1)) },
			fails:  []string{doctor.RecruiterCheck("job_DS07")},
		},
		{
			name:   "unknown recruiter id",
			change: func(_ *testing.T, s *setup) { s.routes(strings.Replace(routesYAML, "U0LEAD", "U0NOBODY", 1)) },
			fails:  []string{doctor.RecruiterCheck("default_recruiter")},
		},
		{
			name:   "routes file does not parse",
			change: func(_ *testing.T, s *setup) { s.routes("default_channel: hiring\n") },
			fails:  []string{doctor.CheckRoutes},
		},
		{
			name:   "missing HubSpot property",
			change: func(_ *testing.T, s *setup) { require.True(t, s.hub.DropProperty(hubspot.PropertyStage)) },
			fails:  []string{doctor.CheckHubSpotProperties},
		},
		{
			name: "HubSpot property of the wrong type",
			change: func(t *testing.T, s *setup) {
				require.NoError(t, s.hub.SetPropertyType(hubspot.PropertyTalentPool, "number", "number"))
			},
			fails: []string{doctor.CheckHubSpotProperties},
		},
		{
			name:    "HubSpot token refused",
			change:  func(_ *testing.T, s *setup) { s.env["HUBSPOT_ACCESS_TOKEN"] = "pat-revoked" },
			fails:   []string{doctor.CheckHubSpotToken},
			skipped: []string{doctor.CheckHubSpotProperties},
		},
		{
			name:   "HubSpot token without the contacts scopes",
			change: func(_ *testing.T, s *setup) { s.hub.SetScopes(hubspotdouble.ScopeSchemasWrite) },
			fails:  []string{doctor.CheckHubSpotToken},
		},
		{
			name:   "search attribute missing",
			change: func(_ *testing.T, s *setup) { s.env["TEMPORAL_NAMESPACE"] = nsMissingAttr },
			fails:  []string{doctor.CheckSearchAttributes},
		},
		{
			name:   "search attribute of the wrong type",
			change: func(_ *testing.T, s *setup) { s.env["TEMPORAL_NAMESPACE"] = nsWrongType },
			fails:  []string{doctor.CheckSearchAttributes},
		},
		{
			name:    "namespace missing",
			change:  func(_ *testing.T, s *setup) { s.env["TEMPORAL_NAMESPACE"] = "doctor-no-such-namespace" },
			fails:   []string{doctor.CheckNamespace},
			skipped: []string{doctor.CheckSearchAttributes, doctor.CheckWorker},
		},
		{
			name:   "wrong secret format",
			change: func(_ *testing.T, s *setup) { s.params.WebhookSecrets = "sk_live_not-a-whsec" },
			fails:  []string{doctor.CheckWebhookSecrets},
		},
		{
			name: "hand-off answers a signed test delivery",
			change: func(_ *testing.T, s *setup) {
				s.params.HandoffURL, s.params.HandoffSecret, s.params.SendTestHandoff = receiver.URL, handoffSecret, true
			},
		},
		{
			name: "hand-off signed with another secret",
			change: func(_ *testing.T, s *setup) {
				s.params.HandoffURL, s.params.HandoffSecret, s.params.SendTestHandoff = receiver.URL, otherSecret, true
			},
			fails: []string{doctor.CheckHandoff},
		},
		{
			name: "hand-off secret not whsec",
			change: func(_ *testing.T, s *setup) {
				s.params.HandoffURL, s.params.HandoffSecret = receiver.URL, "hunter2 hunter2"
			},
			fails: []string{doctor.CheckHandoff},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t, dev.Addr, tc.before)
			if tc.change != nil {
				tc.change(t, s)
			}
			report := s.run(t)
			var out bytes.Buffer
			report.Print(&out, false)
			t.Logf("doctor:\n%s", out.String())

			var failed []string
			for _, c := range report.Failures() {
				failed = append(failed, c.Name)
				require.NotEmpty(t, c.Detail, "%s says what it found", c.Name)
				require.NotEmpty(t, c.Fix, "%s says what to do", c.Name)
				require.Contains(t, out.String(), "→ "+c.Fix)
			}
			require.ElementsMatch(t, tc.fails, failed, "exactly these checks fail")
			for _, name := range tc.skipped {
				c, ok := report.Find(name)
				require.True(t, ok, "%s is in the report", name)
				require.Equal(t, doctor.Skip, c.Status, "%s is skipped, not failed: %s", name, c.Detail)
			}
			// Every check ran (or said why not): the lines are always there.
			for _, name := range []string{doctor.CheckTemporal, doctor.CheckWebhookSecrets, doctor.CheckSlackToken, doctor.CheckHubSpotToken, doctor.CheckHandoff} {
				_, ok := report.Find(name)
				require.True(t, ok, "%s is in the report", name)
			}
			require.NotContains(t, out.String(), "maya@", "no email address in the report")
			if len(tc.fails) == 0 {
				require.Contains(t, out.String(), "all checks passed")
			}
		})
	}

	t.Run("a worker polls the task queue", func(t *testing.T) {
		s := newSetup(t, dev.Addr, nil)
		s.env["HIRESYNC_TASK_QUEUE"] = "doctor-polled"
		w := sdkworker.New(dev.Client(), "doctor-polled", sdkworker.Options{})
		w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "DoctorNoop"})
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
		deadline := time.Now().Add(20 * time.Second)
		for {
			c, _ := s.run(t).Find(doctor.CheckWorker)
			if c.Status == doctor.Pass {
				break
			}
			require.Equal(t, doctor.Warn, c.Status, c.Detail)
			require.True(t, time.Now().Before(deadline), "the worker's poller never showed: %s", c.Detail)
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// newSetup starts the doubles for one case, as a correct install answers,
// with extra Slack options, and the environment pointing at them.
func newSetup(t *testing.T, temporalAddr string, slackOpts []slackdouble.Option) *setup {
	t.Helper()
	opts := append([]slackdouble.Option{
		slackdouble.WithUser("U0LEAD", "lead@acme.example"),
		slackdouble.WithUser("U0MAYA", "maya@acme.example"),
	}, slackOpts...)
	s := &setup{slack: slackdouble.Start(t, opts...), dir: t.TempDir()}
	hub, err := hubspotdouble.Start(hubspotdouble.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = hub.Close() })
	s.hub = hub
	_, err = hubspot.Setup(context.Background(), hubspot.New(hubspot.Config{BaseURL: hub.URL(), Token: hub.Token()}), nil)
	require.NoError(t, err)

	s.env = map[string]string{
		"TEMPORAL_ADDRESS":     temporalAddr,
		"TEMPORAL_NAMESPACE":   "default",
		"SLACK_BOT_TOKEN":      s.slack.Token(),
		"SLACK_API_URL":        s.slack.APIURL(),
		"SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
		"HUBSPOT_ACCESS_TOKEN": hub.Token(),
		"HUBSPOT_API_URL":      hub.URL(),
	}
	s.routes(routesYAML)
	s.params = doctor.Params{
		Ingress: true, Worker: true, ExpectWorker: true,
		WebhookSecrets: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_dGVzdC1zZWNyZXQtZm9yLWRvY3Rvcg==",
		Timeout:        5 * time.Second,
	}
	return s
}

// routes writes a routes file and points HIRESYNC_ROUTES at it.
func (s *setup) routes(yaml string) {
	path := filepath.Join(s.dir, "routes.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		panic(err)
	}
	s.env["HIRESYNC_ROUTES"] = path
}

// run loads the configuration from the case's environment as serve does,
// and runs doctor.
func (s *setup) run(t *testing.T) doctor.Report {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := s.env[k]; return v, ok }, config.RoleClient)
	require.NoError(t, err)
	c, err := temporalclient.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	require.NoError(t, err)
	defer c.Close()
	p := s.params
	p.Config, p.Temporal = cfg, c
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return doctor.Run(ctx, p)
}

// makeNamespace registers a namespace with these search attributes, and
// waits until the server knows both.
func makeNamespace(t *testing.T, c client.Client, name string, attrs map[string]enumspb.IndexedValueType) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	require.NoError(t, err)
	for {
		_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace: name, SearchAttributes: attrs,
		})
		if err == nil {
			break
		}
		require.NoError(t, ctx.Err(), "add search attributes to %s: %v", name, err)
		time.Sleep(200 * time.Millisecond)
	}
	for {
		have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: name})
		if err == nil && maps.EqualFunc(attrs, filter(have.GetCustomAttributes(), attrs), func(a, b enumspb.IndexedValueType) bool { return a == b }) {
			return
		}
		require.NoError(t, ctx.Err(), "search attributes of %s never showed", name)
		time.Sleep(200 * time.Millisecond)
	}
}

func filter(have, want map[string]enumspb.IndexedValueType) map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for k := range want {
		if v, ok := have[k]; ok {
			out[k] = v
		}
	}
	return out
}

const (
	handoffSecret = "whsec_aGFuZG9mZi1yZWNlaXZlci1zZWNyZXQ="
	otherSecret   = "whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQ="
)

// handoffReceiver answers 204 to a delivery that verifies with secret, and
// 401 to any other.
func handoffReceiver(t *testing.T, secret string) *httptest.Server {
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if wh.Verify(body, r.Header) != nil || !strings.Contains(string(body), doctor.HandoffTestType) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv
}
