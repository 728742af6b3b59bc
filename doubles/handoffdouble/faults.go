package handoffdouble

import (
	"net/http"
	"time"
)

// faults are the failures injected into deliveries.
type faults struct {
	failNext        int
	failNextStatus  int
	failRate        float64
	failRateStatus  int
	loseNext        int
	loseRate        float64
	loseStatus      int
	limitNext       int
	limitRetryAfter time.Duration
	delay           time.Duration
	delayNext       int
	delayNextBy     time.Duration
}

// FailNext answers the next n deliveries with HTTP status (500, 503, 408,
// 400…) before looking at them: nothing is accepted.
func (d *Double) FailNext(n, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.failNext, d.faults.failNextStatus = n, status
}

// SetFailureRate answers a fraction (0 to 1) of the deliveries with HTTP
// status, drawn from the double's seeded random source.
func (d *Double) SetFailureRate(fraction float64, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.failRate, d.faults.failRateStatus = fraction, status
}

// LoseNext makes the next n verified deliveries take effect (the hand-off
// is accepted) but lose their answer: with status 0 the connection is
// closed without a response, otherwise the answer is that status. It is
// what a timeout after a delivery looks like to the sender.
func (d *Double) LoseNext(n, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.loseNext, d.faults.loseStatus = n, status
}

// SetLossRate loses the answer of a fraction of the verified deliveries,
// as LoseNext does.
func (d *Double) SetLossRate(fraction float64, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.loseRate, d.faults.loseStatus = fraction, status
}

// RateLimitNext answers the next n deliveries 429 with Retry-After:
// retryAfter (whole seconds, at least one).
func (d *Double) RateLimitNext(n int, retryAfter time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.limitNext, d.faults.limitRetryAfter = n, max(retryAfter.Round(time.Second), time.Second)
}

// SetDelay delays every answer by delay; a delivery whose sender gives up
// during the delay has no effect.
func (d *Double) SetDelay(delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.delay = delay
}

// DelayNext delays the next n deliveries by delay each, as a receiver
// that hangs: a sender that gives up first leaves no trace.
func (d *Double) DelayNext(n int, delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.delayNext, d.faults.delayNextBy = n, delay
}

// ClearFaults removes every injected failure and delay.
func (d *Double) ClearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = faults{}
}

// arrive counts a delivery that arrived and says how long to delay it.
func (d *Double) arrive() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.arrived++
	if d.faults.delayNext > 0 {
		d.faults.delayNext--
		return d.faults.delayNextBy
	}
	return d.faults.delay
}

// injected decides whether a delivery is answered with a forced failure,
// before it is looked at. Callers hold d.mu.
func (d *Double) injected() (status int, retryAfter time.Duration, fault string) {
	f := &d.faults
	switch {
	case f.limitNext > 0:
		f.limitNext--
		return http.StatusTooManyRequests, f.limitRetryAfter, "429"
	case f.failNext > 0:
		f.failNext--
		return f.failNextStatus, 0, "fail"
	case f.failRate > 0 && d.rng.Float64() < f.failRate:
		return f.failRateStatus, 0, "fail"
	}
	return 0, 0, ""
}

// lose reports whether an accepted delivery loses its answer, and how.
// Callers hold d.mu.
func (d *Double) lose() (bool, int) {
	f := &d.faults
	switch {
	case f.loseNext > 0:
		f.loseNext--
		return true, f.loseStatus
	case f.loseRate > 0 && d.rng.Float64() < f.loseRate:
		return true, f.loseStatus
	}
	return false, 0
}
