// Package clarityhire is a stand-in for ClarityHire's sending side: the
// sample events, generated candidate stories, and a sender that signs
// deliveries (Standard Webhooks) and retries them as ClarityHire does.
package clarityhire

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/signature"
)

//go:embed events/*.json
var samples embed.FS

// Delivery is one signed POST's worth: the event id and the raw body.
type Delivery struct {
	ID          string
	Type        string
	CandidateID string
	Body        []byte
}

// Samples returns the eleven sample events of WEBHOOKS.md, in story order.
func Samples() ([]Delivery, error) {
	var out []Delivery
	for _, t := range hiresync.EventTypes {
		b, err := samples.ReadFile(path.Join("events", t+".json"))
		if err != nil {
			return nil, err
		}
		d, err := parse(b)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", t, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func parse(b []byte) (Delivery, error) {
	var e struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Candidate struct {
				ID string `json:"id"`
			} `json:"candidate"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: e.ID, Type: e.Type, CandidateID: e.Data.Candidate.ID, Body: b}, nil
}

// Sender signs and posts deliveries to a webhook URL.
type Sender struct {
	URL  string
	Keys []signature.Key
	// Client defaults to a client with a 10 s timeout, ClarityHire's.
	Client *http.Client
	// Attempts bounds tries per delivery (ClarityHire makes 9); default 5.
	Attempts int
	// Backoff is the first wait between tries, doubled each time up to
	// MaxBackoff; defaults 200ms and 5s (ClarityHire's own schedule is far
	// longer: at once, 5 s, 5 min, …). A Retry-After in the answer makes
	// the wait at least that long.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
	// OnRetry, when set, hears of every failed attempt that will be tried
	// again, and how long the sender waits first.
	OnRetry func(d Delivery, failed Attempt, wait time.Duration)
}

// Result is how one delivery ended.
type Result struct {
	Status   int
	Attempts int
	Body     string
}

// Attempt is one try of a delivery that failed: its number (from 1) and
// either the answer's status and body or the transport error.
type Attempt struct {
	N      int
	Status int
	Body   string
	Err    error
}

func (a Attempt) String() string {
	if a.Err != nil {
		return a.Err.Error()
	}
	return fmt.Sprintf("status %d: %s", a.Status, strings.TrimSpace(a.Body))
}

// ErrEndpointGone is the error of a delivery answered 410 Gone, which
// disables the endpoint: it is not retried.
var ErrEndpointGone = errors.New("endpoint answered 410 Gone")

// Send posts d, signing each attempt afresh, as ClarityHire does: any
// answer but a 2xx, and any transport error, is tried again with a growing
// pause (longer if Retry-After asks), up to Attempts tries in all. Only 410
// Gone stops at once. A delivery not accepted in the end is an error that
// says how many tries were made and what the last one got.
func (s *Sender) Send(ctx context.Context, d Delivery) (Result, error) {
	attempts, backoff := s.Attempts, s.Backoff
	if attempts <= 0 {
		attempts = 5
	}
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	maxBackoff := s.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 5 * time.Second
	}
	var res Result
	for {
		res.Attempts++
		status, body, retryAfter, err := s.post(ctx, d)
		res.Status, res.Body = status, body
		if err == nil && status/100 == 2 {
			return res, nil
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("delivery %s: stopped after %d attempts: %w", d.ID, res.Attempts, ctx.Err())
		}
		last := Attempt{N: res.Attempts, Status: status, Body: body, Err: err}
		if err == nil && status == http.StatusGone {
			return res, fmt.Errorf("delivery %s: %w, not retried: %s", d.ID, ErrEndpointGone, last)
		}
		if res.Attempts >= attempts {
			return res, fmt.Errorf("delivery %s: gave up after %d attempts: last %s", d.ID, res.Attempts, last)
		}
		wait := max(backoff, retryAfter)
		if s.OnRetry != nil {
			s.OnRetry(d, last, wait)
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("delivery %s: stopped after %d attempts (last %s): %w", d.ID, res.Attempts, last, ctx.Err())
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

func (s *Sender) post(ctx context.Context, d Delivery) (status int, body string, wait time.Duration, err error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, "", 0, err
	}
	ts := now().Unix()
	sigs := make([]string, 0, len(s.Keys))
	for _, k := range s.Keys {
		sigs = append(sigs, signature.Sign(k, d.ID, ts, d.Body))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signature.HeaderID, d.ID)
	req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(signature.HeaderSignature, strings.Join(sigs, " "))
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), retryAfter(resp.Header.Get("Retry-After"), time.Now()), nil
}
