package ingress_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
)

// slowTemporal holds every signal until released, to catch a request in
// flight.
type slowTemporal struct {
	recorder
	entered chan struct{}
	release chan struct{}
}

func (s *slowTemporal) SignalWithStartWorkflow(ctx context.Context, id, name string, arg any,
	o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.recorder.SignalWithStartWorkflow(ctx, id, name, arg, o, wf, args...)
}

// TestGracefulStop: when its context ends (SIGTERM), the ingress stops
// accepting connections and finishes the request in flight, which still
// gets its 202.
func TestGracefulStop(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	keys, err := signature.ParseSecrets(secret)
	require.NoError(t, err)
	tc := &slowTemporal{entered: make(chan struct{}), release: make(chan struct{})}
	srv := ingress.New(ingress.Config{Addr: addr, Keys: keys, Now: func() time.Time { return now }},
		tc, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()

	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + hiresync.HealthPath)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)

	req := signed(t, "evt_01JC01Z8Q4", sample(t, "application.submitted"))
	req.URL.Scheme, req.URL.Host, req.RequestURI = "http", addr, ""
	answered := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-tc.entered // the request is in flight
	stop()       // SIGTERM

	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 10*time.Second, 20*time.Millisecond, "stops accepting connections")
	select {
	case err := <-ran:
		t.Fatalf("Run returned before the request in flight finished: %v", err)
	default:
	}

	close(tc.release)
	require.Equal(t, http.StatusAccepted, <-answered, "the request in flight finishes")
	require.NoError(t, <-ran)
	require.Equal(t, 1, tc.count())
}
