package ingress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
)

const secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// recorder stands in for the Temporal client in these unit tests and
// records every signal-with-start; end-to-end tests use a real server.
type recorder struct {
	mu      sync.Mutex
	signals []signalCall
	fail    error
}

type signalCall struct {
	workflowID, signal string
	event              hiresync.Event
	options            client.StartWorkflowOptions
	workflow           any
	input              []any
}

func (r *recorder) SignalWithStartWorkflow(_ context.Context, workflowID, signalName string, arg any,
	options client.StartWorkflowOptions, wf any, input ...any) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	r.signals = append(r.signals, signalCall{workflowID, signalName, arg.(hiresync.Event), options, wf, input})
	return nil, nil
}

func (r *recorder) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, r.fail
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.signals)
}

var now = time.Unix(1_800_000_000, 0)

// tuning is what the test ingress puts in the workflows' input.
var tuning = hiresync.WorkflowTuning{MaxEventsPerRun: 42, Retention: 90 * 24 * time.Hour}

func newServer(t *testing.T, rec *recorder, logs io.Writer) http.Handler {
	t.Helper()
	keys, err := signature.ParseSecrets(secret)
	require.NoError(t, err)
	if logs == nil {
		logs = io.Discard
	}
	s := ingress.New(ingress.Config{Keys: keys, TaskQueue: "tq", Now: func() time.Time { return now }, Tuning: tuning},
		rec, slog.New(slog.NewJSONHandler(logs, nil)), prometheus.NewRegistry())
	return s.Handler()
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../doubles/clarityhire/events/" + name + ".json")
	require.NoError(t, err)
	return b
}

// signed builds a request signed now with the test secret.
func signed(t *testing.T, id string, body []byte) *http.Request {
	t.Helper()
	key, err := signature.ParseSecret(secret)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, hiresync.WebhookPath, bytes.NewReader(body))
	r.Header.Set("webhook-id", id)
	r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	r.Header.Set("webhook-signature", signature.Sign(key, id, now.Unix(), body))
	return r
}

func do(h http.Handler, r *http.Request) (int, map[string]any, http.Header) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body, w.Header()
}

func TestAccepted(t *testing.T) {
	rec := &recorder{}
	h := newServer(t, rec, nil)
	code, body, _ := do(h, signed(t, "evt_01JC01Z8Q4", sample(t, "application.submitted")))
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, map[string]any{"event_id": "evt_01JC01Z8Q4", "workflow_id": "candidate:cand_7Q2KXW"}, body)

	require.Equal(t, 1, rec.count())
	call := rec.signals[0]
	require.Equal(t, "candidate:cand_7Q2KXW", call.workflowID)
	require.Equal(t, hiresync.SignalName, call.signal)
	require.Equal(t, hiresync.WorkflowType, call.workflow)
	require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING, call.options.WorkflowIDConflictPolicy)
	require.Equal(t, "tq", call.options.TaskQueue)
	require.Equal(t, "evt_01JC01Z8Q4", call.event.ID)
	require.Equal(t, "Ada", call.event.Data.Candidate.FirstName)
	require.Equal(t, "job_BE42", call.event.Data.Application.Job.ID)
	require.Equal(t, now.UTC(), call.event.ReceivedAt)
	require.Equal(t, "Ada Okafor — Senior Backend Engineer", call.options.StaticSummary)
	require.Contains(t, call.options.StaticDetails, "https://app.clarityhire.com/candidates/cand_7Q2KXW")
	want := hiresync.NewState("cand_7Q2KXW")
	want.Options = tuning
	require.Equal(t, []any{want}, call.input, "a new candidate's first run gets the configured tuning")
}

func TestEveryEventTypeAndUnknownAccepted(t *testing.T) {
	rec := &recorder{}
	h := newServer(t, rec, nil)
	for _, typ := range hiresync.EventTypes {
		b := sample(t, typ)
		var env struct{ ID string }
		require.NoError(t, json.Unmarshal(b, &env))
		code, _, _ := do(h, signed(t, env.ID, b))
		require.Equal(t, http.StatusAccepted, code, typ)
	}
	unknown := []byte(`{"id":"evt_X1","type":"candidate.tagged","created_at":"2026-11-02T09:14:05Z","data":{"candidate":{"id":"cand_1"},"tag":"x"}}`)
	code, _, _ := do(h, signed(t, "evt_X1", unknown))
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, len(hiresync.EventTypes)+1, rec.count())
}

func TestRejections(t *testing.T) {
	good := sample(t, "application.submitted")
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		error  string
	}{
		{"no headers", func(t *testing.T) *http.Request {
			return httptest.NewRequest(http.MethodPost, hiresync.WebhookPath, bytes.NewReader(good))
		}, 401, "missing webhook-id"},
		{"wrong signature", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-signature", "v1,gkugq1xqwI+8WDwTlYi7Ia5joQJxbw77EYrJapO+U6I=")
			return r
		}, 401, "no signature matches"},
		{"other version only", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-signature", "v2"+r.Header.Get("webhook-signature")[2:])
			return r
		}, 401, "no signature matches"},
		{"bad base64", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-signature", "v1,%%%not-base64%%%")
			return r
		}, 401, "no signature matches"},
		{"a hundred signatures", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-signature", strings.Repeat(r.Header.Get("webhook-signature")+" ", 100))
			return r
		}, 401, "longer than 1024 bytes"},
		{"timestamp not a number", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-timestamp", "yesterday")
			return r
		}, 401, "not a Unix time"},
		{"future timestamp", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10))
			return r
		}, 401, "5 minutes"},
		{"body just over 1 MiB", func(t *testing.T) *http.Request {
			return signed(t, "evt_01JC01Z8Q4", bytes.Repeat([]byte("x"), ingress.MaxBodyBytes+1))
		}, 413, "larger than"},
		{"JSON array", func(t *testing.T) *http.Request { return signed(t, "evt_1", []byte(`[1,2,3]`)) }, 400, "malformed JSON"},
		{"stale timestamp", func(t *testing.T) *http.Request {
			r := signed(t, "evt_01JC01Z8Q4", good)
			r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10))
			return r
		}, 401, "5 minutes"},
		{"body over 1 MiB", func(t *testing.T) *http.Request {
			big := append(bytes.Repeat([]byte(" "), ingress.MaxBodyBytes), good...)
			return signed(t, "evt_01JC01Z8Q4", big)
		}, 413, "larger than"},
		{"body over 1 MiB without content length", func(t *testing.T) *http.Request {
			big := append(bytes.Repeat([]byte(" "), ingress.MaxBodyBytes), good...)
			r := signed(t, "evt_01JC01Z8Q4", big)
			r.ContentLength = -1
			return r
		}, 413, "larger than"},
		{"not JSON", func(t *testing.T) *http.Request { return signed(t, "evt_1", []byte("hello")) }, 400, "malformed JSON"},
		{"missing id", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"type":"application.submitted","data":{"candidate":{"id":"c1"}}}`))
		}, 400, "missing id"},
		{"missing type", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","data":{"candidate":{"id":"c1"}}}`))
		}, 400, "missing type"},
		{"missing candidate id", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","type":"test.passed","data":{"candidate":{}}}`))
		}, 400, "missing data.candidate.id"},
		{"wrong shape", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","type":"test.passed","data":{"candidate":"c1"}}`))
		}, 400, "wrong type"},
		{"header id differs from body id", func(t *testing.T) *http.Request { return signed(t, "evt_other", good) }, 400, "does not match"},
		{"workflow id injection", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","type":"test.passed","data":{"candidate":{"id":"c1/../../x y"}}}`))
		}, 400, "data.candidate.id has a character"},
		{"control characters", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","type":"test.passed","data":{"candidate":{"id":"c1\n\u0000"}}}`))
		}, 400, "data.candidate.id has a character"},
		{"10 KB candidate id", func(t *testing.T) *http.Request {
			return signed(t, "evt_1", []byte(`{"id":"evt_1","type":"test.passed","data":{"candidate":{"id":"`+strings.Repeat("a", 10<<10)+`"}}}`))
		}, 400, "longer than"},
		{"deep nesting", func(t *testing.T) *http.Request {
			deep := `{"id":"evt_1","type":"x","data":{"candidate":{"id":"c1"},"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`
			return signed(t, "evt_1", []byte(deep))
		}, 400, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			code, body, _ := do(newServer(t, rec, nil), tt.req(t))
			require.Equal(t, tt.status, code)
			require.Contains(t, body["error"], tt.error)
			require.Zero(t, rec.count(), "a rejected request must start or signal nothing")
		})
	}
}

func TestTemporalUnavailable(t *testing.T) {
	rec := &recorder{fail: errors.New("connection refused")}
	h := newServer(t, rec, nil)
	code, body, hdr := do(h, signed(t, "evt_01JC01Z8Q4", sample(t, "application.submitted")))
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.NotEmpty(t, hdr.Get("Retry-After"))
	require.Contains(t, body["error"], "retry")

	code, _, _ = do(h, httptest.NewRequest(http.MethodGet, hiresync.ReadyPath, nil))
	require.Equal(t, http.StatusServiceUnavailable, code)
	code, _, _ = do(h, httptest.NewRequest(http.MethodGet, hiresync.HealthPath, nil))
	require.Equal(t, http.StatusOK, code)
}

func TestReadyAndMetrics(t *testing.T) {
	rec := &recorder{}
	h := newServer(t, rec, nil)
	code, _, _ := do(h, httptest.NewRequest(http.MethodGet, hiresync.ReadyPath, nil))
	require.Equal(t, http.StatusOK, code)
	do(h, signed(t, "evt_01JC01Z8Q4", sample(t, "application.submitted")))
	do(h, signed(t, "evt_01JC01Z8Q4", []byte("nope")))
	forged := signed(t, "evt_01JC01Z8Q4", sample(t, "application.submitted"))
	forged.Header.Set("webhook-signature", "v1,gkugq1xqwI+8WDwTlYi7Ia5joQJxbw77EYrJapO+U6I=")
	do(h, forged)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, hiresync.MetricsPath, nil))
	require.Contains(t, w.Body.String(), `hiresync_webhook_requests_total{outcome="accepted"} 1`)
	require.Contains(t, w.Body.String(), `hiresync_webhook_requests_total{outcome="bad_event"} 1`)
	require.Contains(t, w.Body.String(), `hiresync_webhook_signature_failures_total 1`)
}

// TestOneLogLinePerRequest checks the log: one line per request, accepted
// or not, with its fields, and never the secret, the signature or the body.
func TestOneLogLinePerRequest(t *testing.T) {
	var logs bytes.Buffer
	rec := &recorder{}
	h := newServer(t, rec, &logs)
	body := sample(t, "application.submitted")
	ok := signed(t, "evt_01JC01Z8Q4", body)
	sig := ok.Header.Get("webhook-signature")
	do(h, ok)
	bad := signed(t, "evt_01JC01Z8Q4", body)
	bad.Header.Set("webhook-signature", "v1,AAAA")
	do(h, bad)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.Equal(t, "evt_01JC01Z8Q4", first["event_id"])
	require.Equal(t, "application.submitted", first["event_type"])
	require.Equal(t, "cand_7Q2KXW", first["candidate_id"])
	require.EqualValues(t, 202, first["status"])
	require.Contains(t, first, "latency_ms")
	var second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	require.EqualValues(t, 401, second["status"])
	for _, secretish := range []string{secret, secret[6:], sig[3:], "ada.okafor@example.com", "+44 20", "Okafor"} {
		require.NotContains(t, logs.String(), secretish)
	}
}
