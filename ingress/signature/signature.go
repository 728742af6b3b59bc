// Package signature verifies and creates Standard Webhooks signatures (v1,
// HMAC-SHA256), the scheme ClarityHire signs its webhooks with.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a webhook-timestamp may be from our clock.
const DefaultTolerance = 5 * time.Minute

const (
	secretPrefix = "whsec_"
	version      = "v1"
	// maxSignatures bounds the work one request can ask of us.
	maxSignatures = 16
)

// Reasons a request is refused. Each is safe to show to the sender.
var (
	ErrMissingHeaders  = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp    = errors.New("webhook-timestamp is not a Unix time in seconds")
	ErrStaleTimestamp  = errors.New("webhook-timestamp is more than 5 minutes from the receiver's clock")
	ErrNoSignature     = errors.New("webhook-signature has no v1 signature")
	ErrNoMatch         = errors.New("no signature matches a configured secret")
	ErrTooManyEntries  = errors.New("webhook-signature has too many entries")
	errSecretFormat    = errors.New("secret must look like whsec_<base64>")
	errSecretEmptyList = errors.New("no secret given")
)

// Key is a decoded signing secret.
type Key []byte

// ParseSecret decodes a "whsec_<base64>" secret into its HMAC key.
func ParseSecret(s string) (Key, error) {
	s = strings.TrimSpace(s)
	b64, ok := strings.CutPrefix(s, secretPrefix)
	if !ok || b64 == "" {
		return nil, errSecretFormat
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errSecretFormat
	}
	return key, nil
}

// ParseSecrets decodes a comma-separated list of secrets (rotation).
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
		return nil, errSecretEmptyList
	}
	return keys, nil
}

// Verifier checks signed requests against one or more keys.
type Verifier struct {
	keys      []Key
	tolerance time.Duration
	now       func() time.Time
}

// NewVerifier returns a Verifier for keys with the default tolerance and the
// system clock. now may be nil.
func NewVerifier(keys []Key, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{keys: keys, tolerance: DefaultTolerance, now: now}
}

// Verify checks the three headers against the raw body. It returns nil when
// any v1 signature matches any key and the timestamp is within tolerance.
func (v *Verifier) Verify(id, timestamp, signatures string, body []byte) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := v.now().Sub(time.Unix(ts, 0)); d > v.tolerance || d < -v.tolerance {
		return ErrStaleTimestamp
	}
	sigs, err := ParseHeader(signatures)
	if err != nil {
		return err
	}
	for _, key := range v.keys {
		want := mac(key, id, timestamp, body)
		for _, got := range sigs {
			if hmac.Equal(want, got) {
				return nil
			}
		}
	}
	return ErrNoMatch
}

// ParseHeader returns the decoded v1 signatures of a webhook-signature
// header. Entries of other versions and entries that are not valid base64
// are skipped; it fails when no v1 entry remains.
func ParseHeader(h string) ([][]byte, error) {
	fields := strings.Fields(h)
	if len(fields) > maxSignatures {
		return nil, ErrTooManyEntries
	}
	var sigs [][]byte
	for _, f := range fields {
		ver, b64, ok := strings.Cut(f, ",")
		if !ok || ver != version {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) != sha256.Size {
			continue
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return nil, ErrNoSignature
	}
	return sigs, nil
}

// Sign returns the webhook-signature header value for one key.
func Sign(key Key, id string, timestamp int64, body []byte) string {
	return version + "," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(timestamp, 10), body))
}

func mac(key Key, id, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
