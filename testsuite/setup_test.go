package testsuite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hiresync/hiresync/worker"
)

// TestSetupRegistersSearchAttributesOnce runs `hiresync setup`'s logic on a
// namespace without hiresync's search attributes: the first run adds the
// three, the second finds them and adds nothing.
func TestSetupRegistersSearchAttributesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	addr := temporalAddr(t)
	ns, err := client.NewNamespaceClient(client.Options{HostPort: addr})
	require.NoError(t, err)
	defer ns.Close()
	require.NoError(t, ns.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        "setup-test",
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}))

	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "setup-test"})
	require.NoError(t, err)
	defer c.Close()
	added, err := worker.Setup(ctx, c, "setup-test")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"CandidateId", "JobIds", "HiringStage", "StalledSince"}, added)

	again, err := worker.Setup(ctx, c, "setup-test")
	require.NoError(t, err)
	require.Empty(t, again, "a second run changes nothing")
}
