package breaker_test

import (
	"testing"

	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/breaker"
)

func TestReadyToTrip(t *testing.T) {
	trip := breaker.ReadyToTrip(5)
	tests := []struct {
		name string
		c    gobreaker.Counts
		want bool
	}{
		{"four in a row", gobreaker.Counts{Requests: 4, TotalFailures: 4, ConsecutiveFailures: 4}, false},
		{"five in a row, low volume", gobreaker.Counts{Requests: 6, TotalFailures: 5, ConsecutiveFailures: 5}, true},
		{"outage under load", gobreaker.Counts{Requests: 100, TotalFailures: 60, ConsecutiveFailures: 5}, true},
		{"a cluster at 25% under load", gobreaker.Counts{Requests: 100, TotalFailures: 25, ConsecutiveFailures: 5}, false},
		{"exclusions are not calls", gobreaker.Counts{Requests: 100, TotalExclusions: 90, TotalFailures: 6, ConsecutiveFailures: 5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, trip(tt.c))
		})
	}
}
