package handoff_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
)

// hired is the sample candidate.hired event, as the workflow receives it.
func hired(t *testing.T) hiresync.Event {
	t.Helper()
	b, err := os.ReadFile("../../doubles/clarityhire/events/candidate.hired.json")
	require.NoError(t, err)
	var e hiresync.Event
	require.NoError(t, json.Unmarshal(b, &e))
	return e
}

func TestBodyOfTheSampleHire(t *testing.T) {
	b, err := json.Marshal(handoff.NewBody(hired(t)))
	require.NoError(t, err)
	require.JSONEq(t, `{
		"type": "hiresync.hire_handoff",
		"schema_version": 1,
		"event_id": "evt_01JC09Z8Q4",
		"organization_id": "org_acme",
		"candidate": {
			"id": "cand_7Q2KXW", "name": "Ada Okafor", "first_name": "Ada", "last_name": "Okafor",
			"email": "ada.okafor@example.com",
			"profile_url": "https://app.clarityhire.com/candidates/cand_7Q2KXW"
		},
		"application_id": "app_91XR3",
		"job": {"id": "job_BE42", "title": "Senior Backend Engineer", "department": "Engineering"},
		"hire": {"title": "Senior Backend Engineer", "hired_at": "2026-11-20T10:00:00Z", "start_date": "2027-01-11"}
	}`, string(b))
	require.NotContains(t, string(b), "+44", "no phone number")
}

func TestBodyLeavesOutWhatClarityHireDidNotSend(t *testing.T) {
	b, err := json.Marshal(handoff.NewBody(hiresync.Event{ID: "evt_1", Type: hiresync.CandidateHired,
		Data: hiresync.EventData{Candidate: hiresync.Candidate{ID: "cand_1"}}}))
	require.NoError(t, err)
	require.JSONEq(t, `{"type": "hiresync.hire_handoff", "schema_version": 1, "event_id": "evt_1",
		"candidate": {"id": "cand_1", "name": "cand_1"}, "job": {}, "hire": {}}`, string(b))
}

// run runs one attempt of SendHireHandoff as a worker would.
func run(t *testing.T, acts *handoff.Activities, req handoff.Request) (handoff.Result, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	val, err := env.ExecuteActivity(acts.SendHireHandoff, req)
	if err != nil {
		return handoff.Result{}, err
	}
	var out handoff.Result
	require.NoError(t, val.Get(&out))
	return out, nil
}

func newSender(t *testing.T, url, secret string, cfg handoff.Config) *handoff.Sender {
	t.Helper()
	cfg.URL, cfg.Secret = url, secret
	s, err := handoff.New(cfg)
	require.NoError(t, err)
	return s
}

func TestDeliveredOnceVerifiedByTheLibrary(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	acts := &handoff.Activities{Sender: newSender(t, d.HookURL(), d.Secret(), handoff.Config{})}
	e := hired(t)

	res, err := run(t, acts, handoff.Request{Event: e})
	require.NoError(t, err)
	require.Equal(t, "handoff_evt_01JC09Z8Q4", res.WebhookID)
	// A second attempt (a retry, a re-drive, a reset) sends the same id.
	res2, err := run(t, acts, handoff.Request{Event: e})
	require.NoError(t, err)
	require.Equal(t, res.WebhookID, res2.WebhookID)

	st := d.State()
	require.Len(t, st.Handoffs, 1, "the receiver dedupes by webhook-id")
	require.Equal(t, 2, st.Handoffs[0].Deliveries)
	require.Len(t, st.Deliveries, 2)
	for _, dl := range st.Deliveries {
		require.True(t, dl.Verified)
		require.Equal(t, http.StatusOK, dl.Status)
	}
	var body handoff.Body
	require.NoError(t, json.Unmarshal(st.Handoffs[0].Body, &body))
	require.Equal(t, handoff.NewBody(e), body)
}

func TestSignatureIsStandardWebhooks(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	at := time.Now().Truncate(time.Second)
	s := newSender(t, srv.URL, secret, handoff.Config{Now: func() time.Time { return at }})
	_, err := run(t, &handoff.Activities{Sender: s}, handoff.Request{Event: hired(t)})
	require.NoError(t, err)

	require.Equal(t, "application/json", got.Get("Content-Type"))
	require.Equal(t, "handoff_evt_01JC09Z8Q4", got.Get("webhook-id"))
	require.Equal(t, at.Unix(), mustInt(t, got.Get("webhook-timestamp")))
	require.True(t, strings.HasPrefix(got.Get("webhook-signature"), "v1,"))
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	require.NoError(t, wh.Verify(body, got))
	other, err := standardwebhooks.NewWebhook("whsec_" + strings.Repeat("A", 32))
	require.NoError(t, err)
	require.Error(t, other.Verify(body, got), "another secret does not verify it")
}

func mustInt(t *testing.T, s string) int64 {
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}

func TestAnswersClassified(t *testing.T) {
	tests := []struct {
		name       string
		fault      func(d *handoffdouble.Double)
		wantType   string // "" for a plain retryable error
		retryable  bool
		retryDelay time.Duration
	}{
		{"500 is retried", func(d *handoffdouble.Double) { d.FailNext(1, 500) }, "", true, 0},
		{"503 is retried", func(d *handoffdouble.Double) { d.FailNext(1, 503) }, "", true, 0},
		{"408 is retried", func(d *handoffdouble.Double) { d.FailNext(1, 408) }, "", true, 0},
		{"429 waits its Retry-After", func(d *handoffdouble.Double) { d.RateLimitNext(1, 7*time.Second) }, handoff.ErrRateLimited, true, 7 * time.Second},
		{"400 is permanent", func(d *handoffdouble.Double) { d.FailNext(1, 400) }, handoff.ErrPermanent, false, 0},
		{"404 is permanent", func(d *handoffdouble.Double) { d.FailNext(1, 404) }, handoff.ErrPermanent, false, 0},
		{"410 is permanent", func(d *handoffdouble.Double) { d.FailNext(1, 410) }, handoff.ErrPermanent, false, 0},
		{"a lost answer is retried", func(d *handoffdouble.Double) { d.LoseNext(1, 0) }, "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := handoffdouble.Start(t, handoffdouble.Options{})
			tt.fault(d)
			acts := &handoff.Activities{Sender: newSender(t, d.HookURL(), d.Secret(), handoff.Config{})}
			_, err := run(t, acts, handoff.Request{Event: hired(t)})
			require.Error(t, err)
			require.NotContains(t, err.Error(), "ada.okafor", "no email in an error that goes to history")
			var appErr *temporal.ApplicationError
			if tt.wantType == "" {
				require.False(t, errors.As(err, &appErr) && appErr.NonRetryable(), "%v", err)
			} else {
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, tt.wantType, appErr.Type(), "%v", err)
				require.Equal(t, !tt.retryable, appErr.NonRetryable(), "%v", err)
				require.Equal(t, tt.retryDelay, appErr.NextRetryDelay(), "%v", err)
			}
			// The next attempt goes through, and the receiver holds one hand-off.
			_, err = run(t, acts, handoff.Request{Event: hired(t)})
			require.NoError(t, err)
			require.Len(t, d.Handoffs(), 1)
		})
	}
}

func TestWrongSecretIsPermanent(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	acts := &handoff.Activities{Sender: newSender(t, d.HookURL(), "whsec_"+strings.Repeat("B", 32), handoff.Config{})}
	_, err := run(t, acts, handoff.Request{Event: hired(t)})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, handoff.ErrPermanent, appErr.Type())
	require.Contains(t, appErr.Message(), "401")
	require.Empty(t, d.Handoffs())
}

func TestNetworkErrorIsRetriedWithoutTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook?token=receiver-secret"
	srv.Close()
	acts := &handoff.Activities{Sender: newSender(t, url, handoffdouble.DefaultSecret, handoff.Config{})}
	_, err := run(t, acts, handoff.Request{Event: hired(t)})
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.False(t, errors.As(err, &appErr) && appErr.NonRetryable())
	require.NotContains(t, err.Error(), "receiver-secret")
}

func TestBreakerOpensOnFailuresAndFailsFast(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	d.FailNext(2, 503)
	s := newSender(t, d.HookURL(), d.Secret(), handoff.Config{BreakerFailures: 2, BreakerOpenFor: time.Minute})
	acts := &handoff.Activities{Sender: s}
	for range 2 {
		_, err := run(t, acts, handoff.Request{Event: hired(t)})
		require.Error(t, err)
	}
	require.Equal(t, gobreaker.StateOpen, s.BreakerState())
	_, err := run(t, acts, handoff.Request{Event: hired(t)})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, handoff.ErrUnreachable, appErr.Type())
	require.Positive(t, appErr.NextRetryDelay())
	require.Len(t, d.State().Deliveries, 2, "no call while the breaker is open")
}

func TestPermanentAnswersDoNotOpenTheBreaker(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	d.FailNext(3, 422)
	s := newSender(t, d.HookURL(), d.Secret(), handoff.Config{BreakerFailures: 2})
	for range 3 {
		_, err := run(t, &handoff.Activities{Sender: s}, handoff.Request{Event: hired(t)})
		require.Error(t, err)
	}
	require.Equal(t, gobreaker.StateClosed, s.BreakerState())
}

func TestOffSaysSo(t *testing.T) {
	res, err := run(t, &handoff.Activities{}, handoff.Request{Event: hired(t)})
	require.NoError(t, err)
	require.Equal(t, handoff.Off, res.Skipped)
}

func TestOnlyHiresAreHandedOff(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	e := hired(t)
	e.Type = hiresync.ApplicationRejected
	_, err := run(t, &handoff.Activities{Sender: newSender(t, d.HookURL(), d.Secret(), handoff.Config{})}, handoff.Request{Event: e})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.True(t, appErr.NonRetryable())
	require.Empty(t, d.State().Deliveries)
}
