package slackdouble

import (
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// fault is the failure injection set for one Web API method.
type fault struct {
	failNext        int
	failNextStatus  int
	failRate        float64
	failRateStatus  int
	loseNext        int
	loseRate        float64
	loseStatus      int
	limitNext       int
	limitRetryAfter time.Duration
}

// faultFor returns the method's fault set, creating it. Callers hold s.mu.
func (s *Server) faultFor(method string) *fault {
	f, ok := s.faults[method]
	if !ok {
		f = &fault{}
		s.faults[method] = f
	}
	return f
}

// FailNext answers the next n calls of method with HTTP status (500, 503…)
// before doing anything.
func (s *Server) FailNext(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	f.failNext, f.failNextStatus = n, status
}

// SetFailureRate answers a fraction (0 to 1) of the calls of method with HTTP
// status, drawn from the double's seeded random source (WithSeed).
func (s *Server) SetFailureRate(method string, fraction float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	f.failRate, f.failRateStatus = fraction, status
}

// LoseNext makes the next n successful calls of method take effect (the
// message is stored or updated) but lose their answer: with status 0 the
// connection is closed without a response, otherwise the answer is that HTTP
// status. It is what a timeout after a post looks like to the client.
func (s *Server) LoseNext(method string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	f.loseNext, f.loseStatus = n, status
}

// SetLossRate makes a fraction (0 to 1) of the successful calls of method
// take effect but lose their answer, as LoseNext does, drawn from the
// double's seeded random source.
func (s *Server) SetLossRate(method string, fraction float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	f.loseRate, f.loseStatus = fraction, status
}

// RateLimitNext answers the next n calls of method with 429 and
// Retry-After: retryAfter (rounded up to whole seconds, at least one),
// whatever the posting rate.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faultFor(method)
	f.limitNext, f.limitRetryAfter = n, retryAfter
}

// SetDelay delays every answer of method by d before handling it; method ""
// sets the delay for all methods without one of their own. A call whose
// client gives up during the delay has no effect.
func (s *Server) SetDelay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[method] = d
}

// SetChannelError makes every call on channel answer the Slack error code
// (channel_not_found, is_archived, not_in_channel…); "" clears it.
func (s *Server) SetChannelError(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.channelErrors, channel)
		return
	}
	s.channelErrors[channel] = code
}

// SetPostRate changes the per-channel chat.postMessage rate; zero perSecond
// means unlimited. Buckets start full.
func (s *Server) SetPostRate(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPostRate(perSecond, burst)
}

func (s *Server) setPostRate(perSecond float64, burst int) {
	s.postRate, s.postBurst = rate.Limit(perSecond), max(burst, 1)
	s.limiters = make(map[string]*rate.Limiter)
}

// SetRetryAfterHeader says whether 429 answers carry a Retry-After header.
func (s *Server) SetRetryAfterHeader(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfterHeader = on
}

// ClearFaults removes every injected failure, delay and channel error; the
// posting rate stays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = make(map[string]*fault)
	s.delays = make(map[string]time.Duration)
	s.channelErrors = make(map[string]string)
}

func (s *Server) delayFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.delays[method]; ok {
		return d
	}
	return s.delays[""]
}

// injected decides, before a call is handled, whether it is answered with a
// forced 429 (retryAfter > 0) or an injected HTTP status. Callers hold s.mu.
func (s *Server) injected(method string) (status int, retryAfter time.Duration) {
	f, ok := s.faults[method]
	if !ok {
		return 0, 0
	}
	switch {
	case f.limitNext > 0:
		f.limitNext--
		return http.StatusTooManyRequests, max(f.limitRetryAfter, time.Second)
	case f.failNext > 0:
		f.failNext--
		return f.failNextStatus, 0
	case f.failRate > 0 && s.rng.Float64() < f.failRate:
		return f.failRateStatus, 0
	}
	return 0, 0
}

// lose reports whether a successful call of method loses its answer, and how.
// Callers hold s.mu.
func (s *Server) lose(method string) (lost bool, status int) {
	f, ok := s.faults[method]
	switch {
	case !ok:
		return false, 0
	case f.loseNext > 0:
		f.loseNext--
		return true, f.loseStatus
	case f.loseRate > 0 && s.rng.Float64() < f.loseRate:
		return true, f.loseStatus
	}
	return false, 0
}

// rateLimited reports whether a post into channel is over the per-channel
// rate, and when to retry. Callers hold s.mu.
func (s *Server) rateLimited(channel string) (bool, time.Duration) {
	if s.postRate == 0 || s.postRate == rate.Inf {
		return false, 0
	}
	lim, ok := s.limiters[channel]
	if !ok {
		lim = rate.NewLimiter(s.postRate, s.postBurst)
		s.limiters[channel] = lim
	}
	if lim.Allow() {
		return false, 0
	}
	r := lim.Reserve()
	wait := r.Delay()
	r.Cancel()
	return true, wait
}

// retryAfterSeconds is the Retry-After header value for a wait: whole
// seconds, rounded up, at least one, as Slack sends it.
func retryAfterSeconds(d time.Duration) int {
	return max(int(math.Ceil(d.Seconds())), 1)
}
