package handoff

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sony/gobreaker/v2"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hiresync/hiresync/activities/breaker"
)

// Defaults for Config's zero values.
const (
	DefaultHTTPTimeout     = 15 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 30 * time.Second
	// MaxRetryAfter caps the wait a receiver can ask for: a longer one is
	// more likely a mistake than a plan, and Temporal keeps retrying.
	MaxRetryAfter = time.Hour
)

const breakerName = "handoff"

// ErrUnavailable is wrapped by the error of a delivery refused because the
// hand-off's circuit breaker is open. Retry later.
var ErrUnavailable = errors.New("hand-off receiver unavailable")

// StatusError is a non-2xx answer of the receiver.
type StatusError struct {
	Status int
	// RetryAfter is the receiver's Retry-After, or zero.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("hand-off receiver answered %d %s", e.Status, http.StatusText(e.Status))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	return s
}

// Permanent reports whether retrying cannot help: a 4xx other than 408
// Request Timeout and 429 Too Many Requests. The receiver must be fixed,
// and the hire re-driven.
func (e *StatusError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// IsPermanent reports whether err is a permanent refusal by the receiver.
func IsPermanent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Permanent()
}

// RetryAfter is how long the receiver asked to wait before the next attempt
// (a 429's or a 503's Retry-After), if it did.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter, true
	}
	return 0, false
}

// Config configures a Sender. URL and Secret are required.
type Config struct {
	// URL receives the hand-offs (HIRESYNC_HANDOFF_URL).
	URL string
	// Secret signs them (HIRESYNC_HANDOFF_SECRET, whsec_…).
	Secret string
	// HTTPClient makes the calls; default an http.Client with a 15 s
	// timeout.
	HTTPClient *http.Client
	// BreakerFailures is how many failures in a row open the breaker
	// (default 5); BreakerOpenFor how long it stays open (default 30 s).
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
	// Logger, if set, hears of breaker state changes.
	Logger *slog.Logger
	// OnStateChange, if set, is told of every change of the breaker's
	// state, for metrics.
	OnStateChange func(from, to gobreaker.State)
	// Now is the clock of webhook-timestamp; default time.Now.
	Now func() time.Time
}

// Sender delivers hand-offs. It is safe for concurrent use and meant to be
// shared by a worker's activities: its breaker is per Sender.
type Sender struct {
	url     string
	signer  *standardwebhooks.Webhook
	http    *http.Client
	breaker *gobreaker.CircuitBreaker[struct{}]
	now     func() time.Time
}

// New builds a Sender from cfg.
func New(cfg Config) (*Sender, error) {
	if cfg.URL == "" {
		return nil, errors.New("new hand-off sender: no URL")
	}
	signer, err := standardwebhooks.NewWebhook(cfg.Secret)
	if err != nil {
		// The library's error would quote nothing secret, but say less.
		return nil, errors.New("new hand-off sender: the secret is not a whsec_ secret")
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger, onStateChange := cfg.Logger, cfg.OnStateChange
	return &Sender{
		url:    cfg.URL,
		signer: signer,
		http:   httpClient,
		now:    now,
		breaker: gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name:         breakerName,
			Timeout:      cmp.Or(cfg.BreakerOpenFor, DefaultBreakerOpenFor),
			ReadyToTrip:  breaker.ReadyToTrip(cmp.Or(cfg.BreakerFailures, DefaultBreakerFailures)),
			Interval:     breaker.Window,
			BucketPeriod: breaker.Bucket,
			IsSuccessful: breakerSuccess,
			IsExcluded:   func(err error) bool { return errors.Is(err, context.Canceled) },
			OnStateChange: func(name string, from, to gobreaker.State) {
				if logger != nil {
					logger.Warn("circuit breaker state changed", "breaker", name, "from", from.String(), "to", to.String())
				}
				if onStateChange != nil {
					onStateChange(from, to)
				}
			},
		}),
	}, nil
}

// BreakerState is the state of the Sender's circuit breaker.
func (s *Sender) BreakerState() gobreaker.State { return s.breaker.State() }

// Send POSTs body with the Standard Webhooks headers for webhookID, signed
// now. It returns nil for a 2xx, a *StatusError for any other answer, and
// an error wrapping ErrUnavailable while the breaker is open.
func (s *Sender) Send(ctx context.Context, webhookID string, body []byte) error {
	_, err := s.breaker.Execute(func() (struct{}, error) {
		return struct{}{}, s.post(ctx, webhookID, body)
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func (s *Sender) post(ctx context.Context, webhookID string, body []byte) error {
	at := s.now()
	sig, err := s.signer.Sign(webhookID, at, body)
	if err != nil {
		return fmt.Errorf("sign hand-off: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hand-off request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(standardwebhooks.HeaderWebhookID, webhookID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.http.Do(req)
	if err != nil {
		// Without the URL: its query may hold a receiver's token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post hand-off: %w", err)
	}
	// The answer's body is not kept: a receiver may echo what it was sent.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), s.now())}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date, capped
// at MaxRetryAfter; zero when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// breakerSuccess says which outcomes do not count against the breaker: the
// receiver answered, so it is up — a 2xx, a permanent 4xx, a 429. A 408,
// 5xx, timeout or connection error is a failure.
func breakerSuccess(err error) bool {
	var se *StatusError
	if err == nil {
		return true
	}
	if errors.As(err, &se) {
		return se.Permanent() || se.Status == http.StatusTooManyRequests
	}
	return false
}
