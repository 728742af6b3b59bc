package ingress_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress"
)

const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// newSlackServer is an ingress with Slack interactivity on (unless secret
// is empty), whose clock is the wall clock moved by skew: slack-go checks
// timestamps against the wall clock too.
func newSlackServer(t *testing.T, rec *recorder, secret string, skew time.Duration, logs io.Writer) http.Handler {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	s := ingress.New(ingress.Config{
		TaskQueue:          "tq",
		SlackSigningSecret: secret,
		Now:                func() time.Time { return time.Now().Add(skew) },
	}, rec, slog.New(slog.NewJSONHandler(logs, nil)), prometheus.NewRegistry())
	return s.Handler()
}

// slackSignature is Slack's v0 signature, computed here independently of
// the code under test.
func slackSignature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// clickBody is a block_actions payload as Slack sends it for a link button.
func clickBody() []byte {
	payload := `{"type":"block_actions","user":{"id":"U0RECRUITER"},"actions":[{"action_id":"open_profile","block_id":"profile","type":"button"}]}`
	return []byte("payload=" + url.QueryEscape(payload))
}

// slackRequest is a request signed at ts with secret.
func slackRequest(secret string, ts time.Time, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, hiresync.SlackInteractivityPath, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", slackSignature(secret, ts.Unix(), body))
	return r
}

func TestSlackInteractivity(t *testing.T) {
	tests := []struct {
		name string
		// secret is the ingress's signing secret; skew moves its clock.
		secret string
		skew   time.Duration
		req    func() *http.Request
		status int
		error  string
	}{
		{name: "valid click", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), clickBody())
		}, status: http.StatusOK},
		{name: "empty body, signed", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), nil)
		}, status: http.StatusOK},
		{name: "body of exactly the limit", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), bytes.Repeat([]byte("a"), ingress.SlackMaxBodyBytes))
		}, status: http.StatusOK},
		{name: "timestamp 4 minutes old", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now().Add(-4*time.Minute), clickBody())
		}, status: http.StatusOK},

		{name: "wrong secret", secret: slackSecret, req: func() *http.Request {
			return slackRequest("another-apps-signing-secret", time.Now(), clickBody())
		}, status: http.StatusUnauthorized, error: "signature does not match"},
		{name: "tampered body", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(clickBody()), "U0RECRUITER", "U0ATTACKER", 1)))
			return r
		}, status: http.StatusUnauthorized, error: "signature does not match"},
		{name: "timestamp changed after signing", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(time.Now().Unix()-1, 10))
			return r
		}, status: http.StatusUnauthorized, error: "signature does not match"},
		{name: "no headers", secret: slackSecret, req: func() *http.Request {
			return httptest.NewRequest(http.MethodPost, hiresync.SlackInteractivityPath, bytes.NewReader(clickBody()))
		}, status: http.StatusUnauthorized, error: "missing"},
		{name: "no signature", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Del("X-Slack-Signature")
			return r
		}, status: http.StatusUnauthorized, error: "missing"},
		{name: "no timestamp", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, status: http.StatusUnauthorized, error: "missing"},
		{name: "timestamp not a number", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Set("X-Slack-Request-Timestamp", "yesterday")
			return r
		}, status: http.StatusUnauthorized, error: "not a Unix time"},
		{name: "signature of another version", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		}, status: http.StatusUnauthorized, error: "signature does not match"},
		{name: "signature not hex", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), clickBody())
			r.Header.Set("X-Slack-Signature", "v0=zz"+strings.Repeat("0", 62))
			return r
		}, status: http.StatusUnauthorized, error: "signature does not match"},
		{name: "timestamp 6 minutes old", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now().Add(-6*time.Minute), clickBody())
		}, status: http.StatusUnauthorized, error: "5 minutes"},
		{name: "timestamp 6 minutes ahead", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now().Add(6*time.Minute), clickBody())
		}, status: http.StatusUnauthorized, error: "5 minutes"},
		{name: "timestamp 6 minutes behind the ingress clock", secret: slackSecret, skew: 6 * time.Minute, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), clickBody())
		}, status: http.StatusUnauthorized, error: "5 minutes"},

		{name: "body over the limit", secret: slackSecret, req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), bytes.Repeat([]byte("a"), ingress.SlackMaxBodyBytes+1))
		}, status: http.StatusRequestEntityTooLarge, error: "larger than"},
		{name: "body over the limit without content length", secret: slackSecret, req: func() *http.Request {
			r := slackRequest(slackSecret, time.Now(), bytes.Repeat([]byte("a"), ingress.SlackMaxBodyBytes+1))
			r.ContentLength = -1
			return r
		}, status: http.StatusRequestEntityTooLarge, error: "larger than"},

		{name: "not configured", req: func() *http.Request {
			return slackRequest(slackSecret, time.Now(), clickBody())
		}, status: http.StatusNotFound, error: "slack interactivity is not configured (SLACK_SIGNING_SECRET unset)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := newSlackServer(t, rec, tt.secret, tt.skew, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tt.req())
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status == http.StatusOK {
				require.Empty(t, w.Body.String(), "Slack wants an empty 200")
			} else {
				var body map[string]string
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
				require.Contains(t, body["error"], tt.error)
			}
			require.Zero(t, rec.count(), "Slack interactivity signals no workflow")
		})
	}
}

func TestSlackInteractivityNotConfiguredBody(t *testing.T) {
	w := httptest.NewRecorder()
	newSlackServer(t, &recorder{}, "", 0, nil).ServeHTTP(w, slackRequest(slackSecret, time.Now(), clickBody()))
	require.Equal(t, http.StatusNotFound, w.Code)
	require.JSONEq(t, `{"error":"slack interactivity is not configured (SLACK_SIGNING_SECRET unset)"}`, w.Body.String())
}

// TestSlackInteractivityLog checks the log: one line per request, with its
// outcome, status and latency, and never the secret, the signature or the
// body.
func TestSlackInteractivityLog(t *testing.T) {
	var logs bytes.Buffer
	h := newSlackServer(t, &recorder{}, slackSecret, 0, &logs)
	good := slackRequest(slackSecret, time.Now(), clickBody())
	sig := good.Header.Get("X-Slack-Signature")
	bad := slackRequest("wrong-secret", time.Now(), clickBody())
	badSig := bad.Header.Get("X-Slack-Signature")
	for _, r := range []*http.Request{good, bad} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	want := []struct {
		status  float64
		outcome string
	}{{200, "acknowledged"}, {401, "bad_signature"}}
	for i, line := range lines {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry))
		require.Equal(t, "slack interactivity", entry["msg"])
		require.Equal(t, want[i].status, entry["status"])
		require.Equal(t, want[i].outcome, entry["outcome"])
		require.Contains(t, entry, "latency_ms")
	}
	for _, secretish := range []string{slackSecret, sig[3:], badSig[3:], "U0RECRUITER", "block_actions"} {
		require.NotContains(t, logs.String(), secretish)
	}
}
