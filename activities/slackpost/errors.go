package slackpost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable is wrapped by every error of a call refused because the
// circuit breaker is open (or half-open and busy); such errors also wrap
// gobreaker.ErrOpenState or gobreaker.ErrTooManyRequests. Retry later.
var ErrUnavailable = errors.New("slack unavailable")

// RateLimitedError is Slack's 429: wait RetryAfter before calling again.
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("slack rate limited, retry after %s", e.RetryAfter)
}

// PermanentError is a Slack error code that retrying cannot fix, such as
// channel_not_found or invalid_auth. Code is Slack's code, or one of
// missing_channel, missing_thread_ts, missing_event_id for a call refused
// before it reached Slack.
type PermanentError struct {
	Code string
}

func (e *PermanentError) Error() string { return "slack error " + e.Code }

// IsPermanent reports whether err wraps a *PermanentError.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// IsRateLimited reports whether err wraps a *RateLimitedError, and how long
// to wait.
func IsRateLimited(err error) (time.Duration, bool) {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter, true
	}
	return 0, false
}

// IsUnavailable reports whether err is a call refused by the open breaker.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// permanentCodes are the Slack error codes that retrying cannot fix: the
// channel, the token, the app's scopes or the message itself must change.
var permanentCodes = map[string]bool{
	"channel_not_found":                        true,
	"not_in_channel":                           true,
	"is_archived":                              true,
	"msg_too_long":                             true,
	"no_text":                                  true,
	"invalid_blocks":                           true,
	"invalid_blocks_format":                    true,
	"invalid_metadata_format":                  true,
	"invalid_metadata_schema":                  true,
	"metadata_too_large":                       true,
	"too_many_attachments":                     true,
	"restricted_action":                        true,
	"restricted_action_read_only_channel":      true,
	"restricted_action_thread_only_channel":    true,
	"restricted_action_non_threadable_channel": true,
	"missing_scope":                            true,
	"not_authed":                               true,
	"invalid_auth":                             true,
	"account_inactive":                         true,
	"token_revoked":                            true,
	"token_expired":                            true,
	"no_permission":                            true,
	"ekm_access_denied":                        true,
	"access_denied":                            true,
	"as_user_not_supported":                    true,
	"message_not_found":                        true,
	"cant_update_message":                      true,
	"edit_window_closed":                       true,
	"thread_not_found":                         true,
	"invalid_arguments":                        true,
	"invalid_arg_name":                         true,
	"invalid_form_data":                        true,
	"invalid_post_type":                        true,
	"missing_post_type":                        true,
	"invalid_charset":                          true,
	"invalid_cursor":                           true,
	"users_not_found":                          true,
}

// serverCodes are Slack error codes that mean Slack itself is in trouble:
// they count against the breaker like a 5xx.
var serverCodes = map[string]bool{
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// classify turns what slack-go returned into this package's errors: a 429
// into *RateLimitedError (defaultRetryAfter when Slack gave no Retry-After,
// which slack-go reports as a StatusCodeError), a permanent code into
// *PermanentError; anything else is returned as it is, and is retryable.
func classify(err error, defaultRetryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		// Retry-After: 0 must not turn into hammering.
		return &RateLimitedError{RetryAfter: max(rl.RetryAfter, time.Second)}
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return &RateLimitedError{RetryAfter: defaultRetryAfter}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch {
		case permanentCodes[se.Err]:
			return &PermanentError{Code: se.Err}
		case se.Err == "ratelimited" || se.Err == "rate_limited":
			return &RateLimitedError{RetryAfter: defaultRetryAfter}
		}
	}
	return err
}

// breakerSuccess says which errors do not count against the breaker: Slack
// answered, so it is up — a 429, a permanent error, or any Slack error code
// but those that mean Slack is in trouble. 5xx, timeouts and connection
// errors are failures.
func breakerSuccess(err error) bool {
	if err == nil {
		return true
	}
	var rl *RateLimitedError
	var pe *PermanentError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl), errors.As(err, &pe):
		return true
	case errors.As(err, &se):
		return !serverCodes[se.Err]
	}
	return false
}

// breakerExcluded says which errors the breaker ignores altogether: a call
// cancelled by its caller tells nothing about Slack.
func breakerExcluded(err error) bool { return errors.Is(err, context.Canceled) }

// unavailable wraps the breaker's refusal so that callers can recognise it.
func unavailable(err error) error {
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
