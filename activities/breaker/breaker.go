// Package breaker holds the tripping rule hiresync's downstream circuit
// breakers share (sony/gobreaker/v2).
package breaker

import (
	"time"

	"github.com/sony/gobreaker/v2"
)

// Window is the rolling window over which a closed breaker counts calls,
// in buckets of Bucket.
const (
	Window = 30 * time.Second
	Bucket = 5 * time.Second
)

// minVolume is how many calls in the window make its failure ratio
// meaningful.
const minVolume = 20

// ReadyToTrip opens the breaker after failures consecutive failures, when
// those are not just the clusters a busy worker sees at a modest error rate:
// with at least minVolume calls in the window, at least half of them must
// have failed too. A real outage (every call failing) trips it at once; a
// downstream failing one call in four under load does not, and Temporal's
// retries carry those calls.
func ReadyToTrip(failures uint32) func(gobreaker.Counts) bool {
	return func(c gobreaker.Counts) bool {
		if c.ConsecutiveFailures < failures {
			return false
		}
		calls := c.Requests - min(c.TotalExclusions, c.Requests)
		return calls < minVolume || 2*c.TotalFailures >= calls
	}
}
