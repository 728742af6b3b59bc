package handoffdouble_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/handoffdouble"
)

const body = `{"type":"hiresync.hire_handoff","schema_version":1,"event_id":"evt_1","candidate":{"id":"cand_1","name":"Ada Okafor"},"job":{"id":"job_BE42","title":"Backend"},"hire":{"start_date":"2027-01-11"}}`

// deliver signs body for id with secret, as the Standard Webhooks library
// does, and POSTs it; it returns the status, or 0 when no answer came.
func deliver(t *testing.T, d *handoffdouble.Double, secret, id, payload string) int {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	now := time.Now()
	sig, err := wh.Sign(id, now, []byte(payload))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, d.HookURL(), strings.NewReader(payload))
	require.NoError(t, err)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func TestVerifiesAndDedupes(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	require.Equal(t, 200, deliver(t, d, d.Secret(), "handoff_evt_1", body))
	require.Equal(t, 200, deliver(t, d, d.Secret(), "handoff_evt_1", body), "a repeat is acknowledged")
	require.Equal(t, 401, deliver(t, d, "whsec_"+strings.Repeat("C", 32), "handoff_evt_2", body), "a wrong signature is refused")
	require.Equal(t, 400, deliver(t, d, d.Secret(), "handoff_evt_3", `{"type":"other"}`))

	st := d.State()
	require.Len(t, st.Handoffs, 1)
	require.Equal(t, "handoff_evt_1", st.Handoffs[0].WebhookID)
	require.Equal(t, 2, st.Handoffs[0].Deliveries)
	require.JSONEq(t, body, string(st.Handoffs[0].Body))
	require.Len(t, st.Deliveries, 4, "every delivery is recorded")
	require.True(t, st.Deliveries[1].Duplicate)
	require.False(t, st.Deliveries[2].Verified)
}

func TestFaults(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	d.FailNext(1, 503)
	require.Equal(t, 503, deliver(t, d, d.Secret(), "h1", body))
	require.Empty(t, d.Handoffs(), "a failed delivery is not accepted")

	d.RateLimitNext(1, 3*time.Second)
	require.Equal(t, 429, deliver(t, d, d.Secret(), "h1", body))

	d.LoseNext(1, 0)
	require.Equal(t, 0, deliver(t, d, d.Secret(), "h1", body), "the answer is lost")
	require.Len(t, d.Handoffs(), 1, "but the hand-off was accepted")

	d.LoseNext(1, 504)
	require.Equal(t, 504, deliver(t, d, d.Secret(), "h2", body))
	require.Len(t, d.Handoffs(), 2)

	d.SetDelay(2 * time.Second)
	wh, _ := standardwebhooks.NewWebhook(d.Secret())
	sig, _ := wh.Sign("h3", time.Now(), []byte(body))
	req, _ := http.NewRequest(http.MethodPost, d.HookURL(), strings.NewReader(body))
	req.Header.Set("webhook-id", "h3")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	_, err := (&http.Client{Timeout: 200 * time.Millisecond}).Do(req)
	require.Error(t, err, "the sender gives up during the delay")
	d.ClearFaults()
	require.Eventually(t, func() bool { return len(d.State().Deliveries) == 4 }, 5*time.Second, 50*time.Millisecond)
	require.Len(t, d.Handoffs(), 2, "a delivery given up during the delay has no effect")
}

func TestKeepsStateAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "handoff.json")
	d := handoffdouble.Start(t, handoffdouble.Options{})
	require.Equal(t, 200, deliver(t, d, d.Secret(), "handoff_evt_1", body))
	require.NoError(t, d.Save(path))
	require.NoError(t, d.Close())

	again := handoffdouble.Start(t, handoffdouble.Options{})
	require.NoError(t, again.Load(path))
	require.Len(t, again.Handoffs(), 1)
	require.Equal(t, 200, deliver(t, again, again.Secret(), "handoff_evt_1", body))
	require.Len(t, again.Handoffs(), 1, "the dedupe survives the restart")
	require.Equal(t, 2, again.Handoffs()[0].Deliveries)

	require.Error(t, again.Load(filepath.Join(t.TempDir(), "missing.json")))
}

func TestPageAndState(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	require.Equal(t, 200, deliver(t, d, d.Secret(), "handoff_evt_1", body))
	get := func(path string) []byte {
		resp, err := http.Get(d.URL() + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return b
	}
	page := get(handoffdouble.PagePath)
	for _, want := range []string{"Ada Okafor", "Backend", "2027-01-11", "handoff_evt_1"} {
		require.True(t, bytes.Contains(page, []byte(want)), "page shows %q", want)
	}
	var st handoffdouble.State
	require.NoError(t, json.Unmarshal(get(handoffdouble.StatePath), &st))
	require.Len(t, st.Handoffs, 1)
}

func TestDelayNextHangsOneDelivery(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	d.DelayNext(1, 2*time.Second)
	wh, _ := standardwebhooks.NewWebhook(d.Secret())
	now := time.Now()
	sig, _ := wh.Sign("h1", now, []byte(body))
	req, _ := http.NewRequest(http.MethodPost, d.HookURL(), strings.NewReader(body))
	req.Header.Set("webhook-id", "h1")
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	_, err := (&http.Client{Timeout: 200 * time.Millisecond}).Do(req)
	require.Error(t, err, "the first delivery hangs past the sender's timeout")
	require.Equal(t, 1, d.Arrived())
	require.Equal(t, 200, deliver(t, d, d.Secret(), "h1", body), "the next one is answered at once")
	require.Len(t, d.Handoffs(), 1)
	require.Equal(t, 1, d.Handoffs()[0].Deliveries)
}

func TestDoctorsTestDeliveryIsAnsweredNotKept(t *testing.T) {
	d := handoffdouble.Start(t, handoffdouble.Options{})
	require.Equal(t, 200, deliver(t, d, d.Secret(), "msg_doctor_1", `{"type":"hiresync.handoff_test","data":{"test":true}}`))
	require.Empty(t, d.Handoffs())
	st := d.State()
	require.Len(t, st.Deliveries, 1)
	require.True(t, st.Deliveries[0].Test)
	require.True(t, st.Deliveries[0].Verified)
}
