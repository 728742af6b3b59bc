// Package worker wires hiresync together: the Temporal client, the
// CandidateWorkflow, and the activities with their Slack and HubSpot
// clients, breakers and limiters.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/workflows"
)

// stopTimeout is how long a stopping worker lets running activities finish
// before it hands them back to Temporal (they are retried elsewhere).
const stopTimeout = 10 * time.Second

// Register adds hiresync's workflow and activities to w.
func Register(w worker.Registry, acts *activities.Activities, hand *handoff.Activities) {
	w.RegisterWorkflowWithOptions(workflows.CandidateWorkflow, workflow.RegisterOptions{Name: hiresync.WorkflowType})
	w.RegisterActivity(acts)
	w.RegisterActivity(hand)
}

// Options are the Temporal worker's options. Pollers scale with the
// backlog, on the server's advice (1 to 100 per kind of task), instead of
// the SDK's fixed two: with two, a burst of events left workflow tasks
// waiting about a second to be picked up while the worker had CPU to
// spare; autoscaling carried about 30% more events a second (make bench,
// row 5, and BENCHMARKS.md).
func Options() worker.Options {
	return worker.Options{
		WorkerStopTimeout:          stopTimeout,
		WorkflowTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{}),
		ActivityTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{}),
	}
}

// Run runs a worker on cfg.TaskQueue until ctx ends, then stops it
// gracefully. With serveMetrics (a worker without an ingress beside it), it
// serves /metrics and /healthz on cfg.MetricsAddr, the paths the ingress
// serves them on; the listener opens once the worker has started, so
// /healthz answering means the worker is up (`hiresync healthcheck`).
func Run(ctx context.Context, cfg *config.Config, c client.Client, log *slog.Logger, reg *prometheus.Registry, serveMetrics bool) error {
	acts, err := NewActivities(cfg, log, reg)
	if err != nil {
		return err
	}
	hand, err := NewHandoff(cfg, log, reg)
	if err != nil {
		return err
	}
	resolveRecruiters(ctx, acts, cfg.Routes, log)
	if err := waitForTemporal(ctx, c, log); err != nil {
		return err
	}
	w := worker.New(c, cfg.TaskQueue, Options())
	Register(w, acts, hand)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker started", "task_queue", cfg.TaskQueue, "namespace", cfg.Temporal.Namespace)
	if serveMetrics {
		mux := http.NewServeMux()
		mux.Handle(hiresync.MetricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET "+hiresync.HealthPath, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		})
		srv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "error", err)
			}
		}()
		defer srv.Close()
	}
	<-ctx.Done()
	w.Stop()
	log.Info("worker stopped")
	return nil
}

// waitForTemporal waits until the frontend answers, so a worker started
// before Temporal (as in make run) does not fail.
func waitForTemporal(ctx context.Context, c client.Client, log *slog.Logger) error {
	wait := 250 * time.Millisecond
	for {
		check, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.CheckHealth(check, &client.CheckHealthRequest{})
		cancel()
		if err == nil {
			return nil
		}
		log.Warn("waiting for temporal", "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
