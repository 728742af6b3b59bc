package activities_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/config"
)

// The channels of the test routes.
const (
	hiring  = "C0HIRING"
	backend = "C0BACKEND"
)

func testRoutes() *config.Routes {
	return &config.Routes{DefaultChannel: hiring, Jobs: map[string]config.JobRoute{"job_BE42": {Channel: backend}}}
}

// execute runs one attempt of an activity of acts in a fresh test activity
// environment, as a worker would, and decodes its result.
func execute[T any](t *testing.T, acts *activities.Activities, activity, arg any) (T, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	var out T
	val, err := env.ExecuteActivity(activity, arg)
	if err != nil {
		return out, err
	}
	require.NoError(t, val.Get(&out))
	return out, nil
}

// failure is how an activity error should reach Temporal's retry policy.
// A zero failure is a plain retryable error, not one of the activities'
// classified types.
type failure struct {
	errType      string
	nonRetryable bool
	delay        time.Duration
	// anyDelay accepts any positive NextRetryDelay.
	anyDelay bool
	contains []string
}

var classified = []string{
	activities.ErrSlackPermanent, activities.ErrSlackRateLimited, activities.ErrSlackUnavailable,
	activities.ErrHubSpotPermanent, activities.ErrHubSpotRateLimited, activities.ErrHubSpotUnavailable,
}

// requireFailure checks err, as ExecuteActivity returns it, against want.
func requireFailure(t *testing.T, err error, want failure) {
	t.Helper()
	require.Error(t, err)
	for _, s := range want.contains {
		require.ErrorContains(t, err, s)
	}
	var appErr *temporal.ApplicationError
	if want.errType == "" {
		// A plain error reaches Temporal as a retryable application error
		// of the Go error's type.
		require.ErrorAs(t, err, &appErr)
		require.False(t, appErr.NonRetryable(), "a plain error must stay retryable: %v", err)
		require.NotContains(t, classified, appErr.Type(), "%v", err)
		require.Zero(t, appErr.NextRetryDelay(), "%v", err)
		return
	}
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, want.errType, appErr.Type(), "%v", err)
	require.Equal(t, want.nonRetryable, appErr.NonRetryable(), "%v", err)
	if want.anyDelay {
		require.Positive(t, appErr.NextRetryDelay(), "%v", err)
	} else {
		require.Equal(t, want.delay, appErr.NextRetryDelay(), "%v", err)
	}
}

func TestDownstreamOff(t *testing.T) {
	acts := &activities.Activities{}
	anyRoot := activities.SlackResult{Channel: hiring, TS: "1700000000.000100"}
	tests := []struct {
		name     string
		activity any
		arg      any
	}{
		{"root", acts.PostSlackRoot, rootRequest("evt_1", "job_BE42")},
		{"reply", acts.PostSlackReply, replyRequest(anyRoot, "evt_2")},
		{"update", acts.UpdateSlackRoot, updateRequest(anyRoot, "evt_1", "hired")},
	}
	for _, tt := range tests {
		t.Run("slack "+tt.name, func(t *testing.T) {
			res, err := execute[activities.SlackResult](t, acts, tt.activity, tt.arg)
			require.NoError(t, err)
			require.Contains(t, res.Skipped, "SLACK_BOT_TOKEN")
			require.Empty(t, res.TS)
		})
	}
	t.Run("hubspot", func(t *testing.T) {
		res, err := execute[activities.ContactResult](t, acts, acts.SyncContact, firstChange("ada@example.com"))
		require.NoError(t, err)
		require.Contains(t, res.Skipped, "HUBSPOT_ACCESS_TOKEN")
		require.Zero(t, res.Written)
	})
}
