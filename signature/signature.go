// Package signature checks and makes the Standard Webhooks signatures (v1,
// HMAC-SHA256) that ClarityHire signs its webhooks with, and that hiresync
// signs its own deliveries with. The scheme is the Standard Webhooks
// reference library's; what is ours is the list of secrets (rotation), the
// clock the ±5 min window is read on, and errors worded for the sender.
package signature

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderID        = standardwebhooks.HeaderWebhookID
	HeaderTimestamp = standardwebhooks.HeaderWebhookTimestamp
	HeaderSignature = standardwebhooks.HeaderWebhookSignature
)

// Tolerance is how far a webhook-timestamp may be from our clock, either
// way: the library's own window.
const Tolerance = 5 * time.Minute

const secretPrefix = "whsec_"

// maxHeaderBytes bounds the webhook-signature header, room for 20 entries
// ("v1," and 44 characters of base64 each). The library splits the header
// once per key; measured with two keys, a 1 MiB header (net/http's limit)
// of two-byte entries cost it 16-50 ms and 17 MB of allocations per
// request, against 20 µs for one entry and 4-10 ms for a 1 MiB body.
const maxHeaderBytes = 1024

// Reasons a request is refused. Each is safe to show to the sender.
var (
	ErrMissingHeaders = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp   = errors.New("webhook-timestamp is not a Unix time in seconds")
	ErrStaleTimestamp = errors.New("webhook-timestamp is more than 5 minutes from the receiver's clock")
	ErrNoMatch        = errors.New("no signature matches a configured secret")
	ErrHeaderTooLong  = errors.New("webhook-signature is longer than 1024 bytes")
)

var (
	errSecretFormat = errors.New("secret must look like whsec_<base64>")
	errNoSecret     = errors.New("no secret given")
)

// Key is one signing secret.
type Key struct {
	webhook *standardwebhooks.Webhook
}

// ParseSecret reads one "whsec_<base64>" secret. The prefix is required
// (the library would take bare base64 too), so that a value pasted into
// the wrong variable is refused rather than used as a key.
func ParseSecret(s string) (Key, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), secretPrefix)
	if !ok || b64 == "" {
		return Key{}, errSecretFormat
	}
	wh, err := standardwebhooks.NewWebhook(b64)
	if err != nil {
		return Key{}, errSecretFormat
	}
	return Key{webhook: wh}, nil
}

// ParseSecrets reads a comma-separated list of secrets: during a rotation,
// the old and the new.
func ParseSecrets(list string) ([]Key, error) {
	var keys []Key
	for i, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errNoSecret
	}
	return keys, nil
}

// Sign returns the webhook-signature header value of one key: "v1," and the
// signature. A sender that holds several keys sends one entry per key,
// separated by spaces.
func Sign(k Key, id string, timestamp int64, body []byte) string {
	// The library's Sign has an error result but never fails (v1.3.0).
	sig, err := k.webhook.Sign(id, time.Unix(timestamp, 0), body)
	if err != nil {
		panic("signature: " + err.Error())
	}
	return sig
}

// Verifier checks signed requests against the configured keys.
type Verifier struct {
	keys []Key
	now  func() time.Time
}

// NewVerifier returns a Verifier of keys on the clock now (nil: time.Now).
func NewVerifier(keys []Key, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{keys: keys, now: now}
}

// Verify checks a request's Standard Webhooks headers against its raw
// body: nil when the timestamp is within Tolerance of our clock and any v1
// signature in the header matches any key, and the header is at most
// 1 KiB.
//
// The library checks the signatures. The window is checked here, with the
// same bound, because the library's Verify reads time.Now and cannot be
// given a clock: the ingress takes its clock from its Config (tests run it
// at a fixed instant), and the published vectors are checked with the
// clock at their own timestamp. So each key is asked with
// VerifyIgnoringTimestamp, after the window holds.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	if h.Get(HeaderID) == "" || h.Get(HeaderTimestamp) == "" || h.Get(HeaderSignature) == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := v.now().Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrStaleTimestamp
	}
	if len(h.Get(HeaderSignature)) > maxHeaderBytes {
		return ErrHeaderTooLong
	}
	for _, k := range v.keys {
		if k.webhook.VerifyIgnoringTimestamp(body, h) == nil {
			return nil
		}
	}
	return ErrNoMatch
}
