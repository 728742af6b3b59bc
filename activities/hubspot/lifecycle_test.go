package hubspot_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/hubspot"
)

func TestPlanLifecycle(t *testing.T) {
	tests := []struct {
		current string
		intent  hubspot.Intent
		target  string
		want    []string
	}{
		// First event: other, only when there is no stage yet.
		{"", hubspot.InitialStage, "customer", []string{"other"}},
		{"lead", hubspot.InitialStage, "customer", nil},
		{"customer", hubspot.InitialStage, "customer", nil},
		{"other", hubspot.InitialStage, "customer", nil},
		// Hire: forward moves are direct.
		{"", hubspot.HireStage, "customer", []string{"customer"}},
		{"subscriber", hubspot.HireStage, "customer", []string{"customer"}},
		{"opportunity", hubspot.HireStage, "customer", []string{"customer"}},
		// From other, clear and then set.
		{"other", hubspot.HireStage, "customer", []string{"", "customer"}},
		{"other", hubspot.HireStage, "opportunity", []string{"", "opportunity"}},
		// Never downgrade, and leave what is already there.
		{"customer", hubspot.HireStage, "customer", nil},
		{"evangelist", hubspot.HireStage, "customer", nil},
		{"customer", hubspot.HireStage, "opportunity", nil},
		{"other", hubspot.HireStage, "other", nil},
		// A custom stage has no known place in the order: leave it.
		{"1234567", hubspot.HireStage, "customer", nil},
		{"lead", hubspot.HireStage, "other", []string{"other"}},
		// No intent, no write.
		{"", hubspot.LeaveStage, "customer", nil},
		{"other", hubspot.LeaveStage, "customer", nil},
	}
	for _, tt := range tests {
		got := hubspot.PlanLifecycle(tt.current, tt.intent, tt.target)
		require.Equal(t, tt.want, got, "from %q, intent %d, target %q", tt.current, tt.intent, tt.target)
	}
}
