// Package clarityhire is a stand-in for ClarityHire's sending side: the
// sample events, generated candidate stories, and a sender that signs
// deliveries (Standard Webhooks) and retries them as ClarityHire does.
package clarityhire

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress/signature"
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
	// longer: at once, 5 s, 5 min, …).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

// Result is how one delivery ended.
type Result struct {
	Status   int
	Attempts int
	Body     string
}

// Send posts d, retrying non-2xx answers and transport errors with a
// growing pause, and signing each attempt afresh, as ClarityHire does.
// 4xx other than 408/429 are final.
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
	var lastErr error
	for res.Attempts < attempts {
		res.Attempts++
		status, body, err := s.post(ctx, d)
		res.Status, res.Body, lastErr = status, body, err
		if err == nil && status/100 == 2 {
			return res, nil
		}
		if err == nil && status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
	if lastErr != nil {
		return res, fmt.Errorf("delivery %s: gave up after %d attempts: %w", d.ID, res.Attempts, lastErr)
	}
	return res, fmt.Errorf("delivery %s: gave up after %d attempts: last status %d", d.ID, res.Attempts, res.Status)
}

func (s *Sender) post(ctx context.Context, d Delivery) (int, string, error) {
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
		return 0, "", err
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
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}
