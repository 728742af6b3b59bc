package slackpost

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/hiresync/hiresync/activities/slackscopes"

	"github.com/slack-go/slack"
)

// The Slack Web API methods a Poster calls, as Config.Observe hears them
// (named once, in activities/slackscopes).
const (
	MethodPostMessage          = slackscopes.MethodPostMessage
	MethodUpdate               = slackscopes.MethodUpdate
	MethodConversationsHistory = slackscopes.MethodConversationsHistory
	MethodConversationsReplies = slackscopes.MethodConversationsReplies
	MethodAuthTest             = slackscopes.MethodAuthTest
	MethodUsersLookupByEmail   = slackscopes.MethodUsersLookupByEmail
)

// The results of a call, as Config.Observe hears them.
const (
	// ResultOK is a call Slack answered ok.
	ResultOK = "ok"
	// ResultRateLimited is a 429 (or a ratelimited error code) from Slack.
	ResultRateLimited = "rate_limited"
	// ResultPaused is a post refused without calling Slack: the channel is
	// waiting out an earlier 429.
	ResultPaused = "paused"
	// ResultPermanent is an error retrying cannot fix (channel_not_found,
	// invalid_auth…), or a message refused before sending.
	ResultPermanent = "permanent"
	// ResultServerError is a 5xx, or an error code that means Slack is in
	// trouble (internal_error…).
	ResultServerError = "server_error"
	// ResultTimeout is a call that got no answer in time (the HTTP
	// client's timeout), while its caller still waited.
	ResultTimeout = "timeout"
	// ResultUnavailable is a call refused without calling Slack because
	// the circuit breaker is open (or half-open and busy).
	ResultUnavailable = "unavailable"
	// ResultCanceled is a call its caller gave up on (context cancelled or
	// past its deadline).
	ResultCanceled = "canceled"
	// ResultError is any other failure: no connection, an unexpected HTTP
	// status, a retryable Slack error code.
	ResultError = "error"
)

// observe tells Config.Observe, if set, the result of one call of method.
func (p *Poster) observe(method, result string) {
	if p.observer != nil {
		p.observer(method, result)
	}
}

// result classifies the error of a call (after classify and unavailable)
// made within ctx. A refusal while the channel is paused is told apart by
// the caller, who knows it made no call.
func result(ctx context.Context, err error) string {
	if err == nil {
		return ResultOK
	}
	var rl *RateLimitedError
	var pe *PermanentError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	var ne net.Error
	switch {
	case IsUnavailable(err):
		return ResultUnavailable
	case errors.As(err, &rl):
		return ResultRateLimited
	case errors.As(err, &pe):
		return ResultPermanent
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return ResultCanceled
	case errors.As(err, &sc) && sc.Code >= http.StatusInternalServerError,
		errors.As(err, &se) && serverCodes[se.Err]:
		return ResultServerError
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ResultTimeout
	}
	return ResultError
}
