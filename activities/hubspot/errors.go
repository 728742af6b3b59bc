package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable is returned without calling HubSpot while the circuit
// breaker is open. It wraps gobreaker.ErrOpenState; retry later.
var ErrUnavailable = fmt.Errorf("hubspot unavailable: %w", gobreaker.ErrOpenState)

// ErrInvalidInput is wrapped by errors in what the caller asked for (no
// email, too many inputs, duplicate emails); retrying cannot help.
var ErrInvalidInput = errors.New("invalid hubspot input")

// DefaultRetryAfter is how long to wait after a 429 that says nothing more
// useful: HubSpot's rolling window is 10 s.
const DefaultRetryAfter = 10 * time.Second

// APIError is an error answer from HubSpot, or one input's error inside a
// 207 multi-status answer.
type APIError struct {
	// Status is the HTTP status of the answer (207 for a per-input error).
	Status int
	// Category is HubSpot's error category, e.g. VALIDATION_ERROR.
	Category string
	// Message is HubSpot's message.
	Message string
	// CorrelationID identifies the request for HubSpot support.
	CorrelationID string
	// Context is HubSpot's error context, e.g. {"ids": ["a@example.com"]}.
	Context map[string][]string
}

// Error says status, category, message and correlation id.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hubspot: %d", e.Status)
	if e.Category != "" {
		b.WriteString(" " + e.Category)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.CorrelationID != "" {
		b.WriteString(" (correlation id " + e.CorrelationID + ")")
	}
	return b.String()
}

// errorBody is HubSpot's error body, also the shape of each entry of a
// batch answer's errors[].
type errorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	Context       map[string][]string `json:"context"`
	PolicyName    string              `json:"policyName"`
}

func newAPIError(status int, raw []byte) *APIError {
	var b errorBody
	if err := json.Unmarshal(raw, &b); err != nil || b.Message == "" {
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &APIError{Status: status, Category: b.Category, Message: msg, CorrelationID: b.CorrelationID}
	}
	return &APIError{Status: status, Category: b.Category, Message: b.Message, CorrelationID: b.CorrelationID, Context: b.Context}
}

// RateLimitedError is a 429 from HubSpot. Wait RetryAfter before the next
// request; it is not a breaker failure.
type RateLimitedError struct {
	RetryAfter time.Duration
	// PolicyName is the limit that was hit, e.g. TEN_SECONDLY_ROLLING or DAILY.
	PolicyName string
	Err        *APIError
}

// Error says which limit was hit and how long to wait.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("hubspot rate limited (%s), retry after %s: %v", e.PolicyName, e.RetryAfter, e.Err)
}

// Unwrap returns HubSpot's 429 answer.
func (e *RateLimitedError) Unwrap() error { return e.Err }

func newRateLimitedError(h http.Header, raw []byte) *RateLimitedError {
	apiErr := newAPIError(http.StatusTooManyRequests, raw)
	var b errorBody
	_ = json.Unmarshal(raw, &b)
	return &RateLimitedError{RetryAfter: retryAfter(h), PolicyName: b.PolicyName, Err: apiErr}
}

// retryAfter reads how long to wait from a 429's headers: Retry-After when
// HubSpot sends it; else the rate-limit interval spread over what remains
// of it (the whole interval when nothing remains); else DefaultRetryAfter.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	interval, err := strconv.ParseInt(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"), 10, 64)
	if err != nil || interval <= 0 {
		return DefaultRetryAfter
	}
	wait := time.Duration(interval) * time.Millisecond
	if remaining, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining")); err == nil && remaining > 0 {
		wait /= time.Duration(remaining)
	}
	return wait
}

// IsPermanent reports whether retrying err cannot succeed: HubSpot refused
// what was sent (a 4xx other than 401, 403, 408, 423 and 429, or a
// per-input validation error) or the input was invalid before sending.
// Authentication failures are not permanent: they heal when an operator
// fixes the token, and the events then go through.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrInvalidInput) {
		return true
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.Status {
	case http.StatusMultiStatus:
		return apiErr.Category != "RATE_LIMITS" && apiErr.Category != "INTERNAL_ERROR"
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout,
		http.StatusLocked, http.StatusTooManyRequests:
		return false
	}
	return apiErr.Status >= 400 && apiErr.Status < 500
}

// IsNotFound reports whether HubSpot answered that the thing asked for does
// not exist.
func IsNotFound(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound
}

// isConflict reports a 409, e.g. a property that already exists.
func isConflict(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict
}
