// Package hubspot is hiresync's small HubSpot CRM v3 client and the rules it
// writes contacts by: batch upsert and read of contacts keyed by email, the
// contact properties API, one rate limiter for the process, a circuit
// breaker per client, a Batcher that coalesces concurrent callers into batch
// calls, the lifecycle-stage rule (Syncer) and the Setup of hiresync's custom
// properties. It knows nothing of Temporal; the activities classify its
// errors with IsPermanent, RateLimitedError and ErrUnavailable.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities/breaker"
)

// DefaultBaseURL is HubSpot's API.
const DefaultBaseURL = "https://api.hubapi.com"

// DefaultTimeout bounds one HTTP request when Config.HTTPClient is nil. It
// should be shorter than the activities' timeouts, so that a hanging
// HubSpot counts as a breaker failure rather than as the caller giving up.
const DefaultTimeout = 20 * time.Second

// maxResponseBytes caps how much of an answer is read.
const maxResponseBytes = 16 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is DefaultBaseURL when empty (tests point it at a double).
	BaseURL string
	// Token is the private-app access token, sent as a bearer token.
	Token string
	// HTTPClient sends the requests; one with DefaultTimeout when nil.
	HTTPClient *http.Client
	// Limiter paces every request. Share one Limiter between all clients
	// of a process; when nil, the client makes its own from Limit.
	Limiter *rate.Limiter
	// Limit is used when Limiter is nil; DefaultLimit when zero.
	Limit Limit
	// Breaker configures the client's circuit breaker.
	Breaker BreakerSettings
	// Observe, if set, is told of every request the client makes or its
	// breaker refuses: the endpoint, as "POST /crm/v3/objects/contacts/batch/upsert"
	// (without query, with path parameters as {propertyName}), and the
	// result (ResultOK, ResultRateLimited…), for metrics. It must not block.
	Observe func(endpoint, result string)
}

// The results of a request, as Config.Observe hears them.
const (
	// ResultOK is a 2xx answer (a 207 with per-input errors included).
	ResultOK = "ok"
	// ResultRateLimited is a 429.
	ResultRateLimited = "rate_limited"
	// ResultPermanent is an answer retrying cannot fix (see IsPermanent).
	ResultPermanent = "permanent"
	// ResultServerError is a 5xx.
	ResultServerError = "server_error"
	// ResultTimeout is a request that got no answer in time (the HTTP
	// client's timeout), while its caller still waited.
	ResultTimeout = "timeout"
	// ResultUnavailable is a request refused without calling HubSpot
	// because the circuit breaker is open (or half-open and busy).
	ResultUnavailable = "unavailable"
	// ResultCanceled is a request its caller gave up on, before or while
	// it was sent (including a rate-limiter wait longer than its deadline).
	ResultCanceled = "canceled"
	// ResultError is any other failure: no connection, a 401 or 403.
	ResultError = "error"
)

// BreakerSettings configure the circuit breaker. Zero fields take defaults.
type BreakerSettings struct {
	// ConsecutiveFailures open the breaker (default 5). 5xx answers,
	// timeouts and connection errors are failures; a 429, a validation
	// error and a cancelled caller are not.
	ConsecutiveFailures uint32
	// OpenFor is how long the breaker stays open before it lets one trial
	// request through (default 30 s).
	OpenFor time.Duration
	// OnStateChange, if set, is told of every change (for logs and metrics).
	OnStateChange func(from, to gobreaker.State)
}

// Client calls HubSpot's CRM v3 API. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
	limiter *rate.Limiter
	breaker *gobreaker.CircuitBreaker[*response]
	observe func(endpoint, result string)
}

// New returns a Client.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(cfg.Limit)
	}
	b := cfg.Breaker
	if b.ConsecutiveFailures == 0 {
		b.ConsecutiveFailures = 5
	}
	if b.OpenFor <= 0 {
		b.OpenFor = 30 * time.Second
	}
	st := gobreaker.Settings{
		Name:         "hubspot",
		MaxRequests:  1,
		Timeout:      b.OpenFor,
		ReadyToTrip:  breaker.ReadyToTrip(b.ConsecutiveFailures),
		Interval:     breaker.Window,
		BucketPeriod: breaker.Bucket,
		IsSuccessful: breakerSuccess,
		IsExcluded:   breakerExcluded,
	}
	if b.OnStateChange != nil {
		st.OnStateChange = func(_ string, from, to gobreaker.State) { b.OnStateChange(from, to) }
	}
	return &Client{
		baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		token:   cfg.Token,
		http:    cfg.HTTPClient,
		limiter: cfg.Limiter,
		breaker: gobreaker.NewCircuitBreaker[*response](st),
		observe: cfg.Observe,
	}
}

// BreakerState is the circuit breaker's state (for health and metrics).
func (c *Client) BreakerState() gobreaker.State { return c.breaker.State() }

type response struct {
	body []byte
}

// callerGone marks an error caused by the caller's context ending, which
// the breaker does not count.
type callerGone struct{ err error }

func (e *callerGone) Error() string { return e.err.Error() }
func (e *callerGone) Unwrap() error { return e.err }

func breakerExcluded(err error) bool {
	var gone *callerGone
	var limited *RateLimitedError
	return errors.As(err, &gone) || errors.As(err, &limited)
}

// breakerSuccess counts every answer HubSpot gave below 500 as a sign of
// health, whatever it said.
func breakerSuccess(err error) bool {
	var apiErr *APIError
	return err == nil || (errors.As(err, &apiErr) && apiErr.Status < 500)
}

// do sends one request through the breaker and the limiter and decodes a
// 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	resp, err := c.breaker.Execute(func() (*response, error) {
		return c.send(ctx, method, path, body)
	})
	if c.observe != nil {
		c.observe(endpoint(method, path), result(err))
	}
	switch {
	case errors.Is(err, gobreaker.ErrOpenState):
		return ErrUnavailable
	case errors.Is(err, gobreaker.ErrTooManyRequests):
		return fmt.Errorf("%w (half-open, trial request in flight): %w", ErrUnavailable, gobreaker.ErrTooManyRequests)
	case err != nil:
		var gone *callerGone
		if errors.As(err, &gone) {
			return gone.err
		}
		return err
	}
	if out != nil && len(resp.body) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return fmt.Errorf("decode %s %s answer: %w", method, path, err)
		}
	}
	return nil
}

func (c *Client) send(ctx context.Context, method, path string, body []byte) (*response, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		if ctx.Err() == nil { // the wait would outlast the caller's deadline
			err = fmt.Errorf("%w: %w", err, context.DeadlineExceeded)
		}
		return nil, &callerGone{fmt.Errorf("wait for rate limiter: %w", err)}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return nil, &callerGone{fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "hiresync")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &callerGone{fmt.Errorf("%s %s: %w", method, path, ctx.Err())}
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &callerGone{fmt.Errorf("read %s %s answer: %w", method, path, ctx.Err())}
		}
		return nil, fmt.Errorf("read %s %s answer: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return nil, newRateLimitedError(resp.Header, raw)
	case resp.StatusCode >= 300:
		return nil, newAPIError(resp.StatusCode, raw)
	}
	return &response{body: raw}, nil
}

// endpoint names a request for metrics: method and path without query,
// with a property name as {propertyName} (the names HubSpot's docs use).
func endpoint(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	const properties = "/crm/v3/properties/contacts/"
	if rest, ok := strings.CutPrefix(path, properties); ok && rest != "groups" {
		if _, ok := strings.CutPrefix(rest, "groups/"); ok {
			path = properties + "groups/{groupName}"
		} else {
			path = properties + "{propertyName}"
		}
	}
	return method + " " + path
}

// result classifies what the breaker returned for one request.
func result(err error) string {
	var gone *callerGone
	var limited *RateLimitedError
	var apiErr *APIError
	var netErr net.Error
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		return ResultUnavailable
	case errors.As(err, &gone):
		return ResultCanceled
	case errors.As(err, &limited):
		return ResultRateLimited
	case errors.As(err, &apiErr) && apiErr.Status >= 500:
		return ResultServerError
	case IsPermanent(err):
		return ResultPermanent
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return ResultTimeout
	}
	return ResultError
}
