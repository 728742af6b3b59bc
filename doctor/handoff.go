package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hiresync/hiresync/activities/handoff"
)

// CheckHandoff names the hire hand-off check.
const CheckHandoff = "handoff: endpoint"

// HandoffTestType is the type of the test delivery doctor sends, so that a
// receiver can tell it from a hire.
const HandoffTestType = handoff.TestType

// checkHandoff checks the hand-off settings and that the endpoint can be
// reached; with SendTestHandoff, that it answers a signed test delivery
// with 2xx.
func (r *run) checkHandoff(ctx context.Context) {
	if r.HandoffURL == "" {
		r.skip(CheckHandoff, "HIRESYNC_HANDOFF_URL unset: hand-off off")
		return
	}
	u, err := url.Parse(r.HandoffURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.fail(CheckHandoff, "HIRESYNC_HANDOFF_URL is not an http(s) URL", "give the receiver's full URL, like https://it.example.com/hooks/hiresync")
		return
	}
	if r.HandoffSecret == "" {
		r.fail(CheckHandoff, "HIRESYNC_HANDOFF_SECRET is not set: hand-offs cannot be signed", "set it to the receiver's whsec_… secret")
		return
	}
	wh, err := standardwebhooks.NewWebhook(r.HandoffSecret)
	if err != nil {
		r.fail(CheckHandoff, "HIRESYNC_HANDOFF_SECRET is not a whsec_… secret (base64 after the prefix)", "copy the receiver's secret again")
		return
	}
	if !r.SendTestHandoff {
		r.checkHandoffReachable(ctx, u)
		return
	}
	r.sendTestHandoff(ctx, wh, u)
}

// checkHandoffReachable opens and closes a TCP connection to the
// endpoint's host: no request is sent.
func (r *run) checkHandoffReachable(ctx context.Context, u *url.URL) {
	host := u.Host
	if u.Port() == "" {
		port := "443"
		if u.Scheme == "http" {
			port = "80"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	call, cancel := r.call(ctx)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(call, "tcp", host)
	if err != nil {
		r.fail(CheckHandoff, fmt.Sprintf("cannot connect to %s: %s", host, oneLine(err)), "check HIRESYNC_HANDOFF_URL and that the receiver is up")
		return
	}
	_ = conn.Close()
	r.pass(CheckHandoff, fmt.Sprintf("%s accepts connections (add -send-test-handoff to send a signed test delivery)", host))
}

// sendTestHandoff posts one signed test delivery, the Standard Webhooks
// way, and wants a 2xx.
func (r *run) sendTestHandoff(ctx context.Context, wh *standardwebhooks.Webhook, u *url.URL) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "msg_doctor_" + hex.EncodeToString(b[:])
	now := time.Now()
	body, _ := json.Marshal(map[string]any{"type": HandoffTestType, "timestamp": now.UTC().Format(time.RFC3339), "data": map[string]any{"test": true}})
	sig, err := wh.Sign(id, now, body)
	if err != nil {
		r.fail(CheckHandoff, "sign the test delivery: "+oneLine(err), "")
		return
	}
	call, cancel := r.call(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(call, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		r.fail(CheckHandoff, oneLine(err), "")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, fmt.Sprint(now.Unix()))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := r.HTTPClient.Do(req)
	if err != nil {
		r.fail(CheckHandoff, "send the test delivery: "+oneLine(err), "check HIRESYNC_HANDOFF_URL and that the receiver is up")
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		r.fail(CheckHandoff, fmt.Sprintf("the receiver answered the signed test delivery %d", resp.StatusCode),
			"check that the receiver holds the same secret as HIRESYNC_HANDOFF_SECRET and accepts type "+HandoffTestType)
		return
	}
	r.pass(CheckHandoff, fmt.Sprintf("the receiver answered a signed test delivery %d", resp.StatusCode))
}
