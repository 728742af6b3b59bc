package hubspot

import (
	"time"

	"golang.org/x/time/rate"
)

// Limit is a request budget: at most Requests in any Interval.
type Limit struct {
	Requests int
	Interval time.Duration
}

// DefaultLimit is HubSpot's limit for a private app.
var DefaultLimit = Limit{Requests: 100, Interval: 10 * time.Second}

// NewLimiter returns a token bucket that keeps every window of l.Interval
// within l.Requests, with room to spare.
//
// A bucket of burst B refilled at rate r lets B + r·T requests through in a
// window of length T, so the burst is 1 and r = (Requests-1)/T at most. But
// a request reaches HubSpot some delay after the bucket lets it go, and
// delays vary: two requests let go a window apart can arrive closer
// together. The rate therefore spreads Requests-1 over Interval + Jitter,
// where Jitter is a tenth of the interval and at least 100 ms (100 per 10 s
// becomes one request every 111 ms, 90 per 10 s when busy).
func NewLimiter(l Limit) *rate.Limiter {
	if l.Requests <= 0 || l.Interval <= 0 {
		l = DefaultLimit
	}
	span := l.Interval + max(l.Interval/10, minJitter)
	gaps := max(l.Requests-1, 1)
	return rate.NewLimiter(rate.Every(span/time.Duration(gaps)), 1)
}

// minJitter is the least variation in network delay NewLimiter allows for.
const minJitter = 100 * time.Millisecond
