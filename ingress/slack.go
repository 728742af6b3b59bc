package ingress

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/slack-go/slack"
)

// SlackMaxBodyBytes is the largest Slack interactivity request accepted
// (413 above); a button click's payload is a few kilobytes.
const SlackMaxBodyBytes = 64 << 10

// Slack's request-signing headers (v0 scheme).
const (
	slackTimestampHeader = "X-Slack-Request-Timestamp"
	slackSignatureHeader = "X-Slack-Signature"
)

// slackTolerance is how far a request's timestamp may be from the
// ingress's clock, as Slack recommends.
const slackTolerance = 5 * time.Minute

// Reasons a Slack interactivity request is refused; they are answered and
// logged, so none carries the secret, the signature or the body.
var (
	errSlackNotConfigured = errors.New("slack interactivity is not configured (SLACK_SIGNING_SECRET unset)")
	errSlackMissing       = errors.New("missing " + slackTimestampHeader + " or " + slackSignatureHeader + " header")
	errSlackBadTimestamp  = errors.New(slackTimestampHeader + " is not a Unix time")
	errSlackStale         = errors.New("timestamp is more than 5 minutes from now")
	errSlackBadSignature  = errors.New("signature does not match")
)

// slackInteractivity acknowledges what Slack sends when someone clicks the
// root message's "Open in ClarityHire" link button: the link opens in the
// browser anyway, but Slack warns the user unless the app answers within
// 3 s. A request whose signature holds gets an empty 200 and nothing else
// happens; there is no workflow to start.
func (s *Server) slackInteractivity(c *gin.Context) {
	start := time.Now()
	status, result, err := s.ackSlack(c)
	latency := time.Since(start)
	attrs := []any{"status", status, "outcome", result, "latency_ms", float64(latency.Microseconds()) / 1000}
	if err != nil {
		attrs = append(attrs, "reason", err.Error())
	}
	s.log.Log(c.Request.Context(), slog.LevelInfo, "slack interactivity", attrs...)
}

// ackSlack answers one interactivity request and says how it went.
func (s *Server) ackSlack(c *gin.Context) (status int, result string, err error) {
	reject := func(status int, result string, err error) (int, string, error) {
		c.JSON(status, gin.H{"error": err.Error()})
		return status, result, err
	}
	secret := s.cfg.SlackSigningSecret
	if secret == "" {
		return reject(http.StatusNotFound, "not_configured", errSlackNotConfigured)
	}
	body, status, result, err := readBody(c, SlackMaxBodyBytes)
	if err != nil {
		return reject(status, result, err)
	}
	if err := verifySlack(c.Request.Header, body, secret, s.cfg.Now()); err != nil {
		return reject(http.StatusUnauthorized, "bad_signature", err)
	}
	c.Status(http.StatusOK)
	return http.StatusOK, "acknowledged", nil
}

// verifySlack checks a request signed with Slack's v0 scheme. The
// timestamp is checked against the ingress's clock (Config.Now); the HMAC
// and its constant-time comparison are slack-go's SecretsVerifier, which
// also checks the timestamp against the wall clock, the same clock outside
// tests.
func verifySlack(h http.Header, body []byte, secret string, now time.Time) error {
	ts, sig := h.Get(slackTimestampHeader), h.Get(slackSignatureHeader)
	if ts == "" || sig == "" {
		return errSlackMissing
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errSlackBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > slackTolerance || d < -slackTolerance {
		return errSlackStale
	}
	v, err := slack.NewSecretsVerifier(h, secret)
	switch {
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return errSlackStale
	case err != nil:
		// A malformed signature; slack-go's error may quote part of it.
		return errSlackBadSignature
	}
	if _, err := v.Write(body); err != nil {
		return errSlackBadSignature
	}
	if err := v.Ensure(); err != nil {
		return errSlackBadSignature
	}
	return nil
}
