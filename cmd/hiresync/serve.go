package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/temporalclient"
	"github.com/hiresync/hiresync/worker"
)

// runServe runs the ingress, the worker or both until ctx ends.
func runServe(ctx context.Context, log *slog.Logger, withIngress, withWorker bool) error {
	var role config.Role
	if withIngress {
		role |= config.RoleIngress
	}
	if withWorker {
		role |= config.RoleWorker
	}
	cfg, err := config.Load(nil, role)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	c, err := temporalclient.New(cfg, log, reg)
	if err != nil {
		return err
	}
	defer c.Close()

	g, ctx := errgroup.WithContext(ctx)
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(startupCheckDelay):
			startupChecks(ctx, log, cfg, c, withIngress, withWorker)
		}
	}()
	if withIngress {
		srv := ingress.New(ingress.Config{
			Addr: cfg.HTTPAddr, TaskQueue: cfg.TaskQueue, Keys: cfg.WebhookKeys,
			SlackSigningSecret: cfg.SlackSigningSecret, Tuning: cfg.Tuning,
		}, c, log, reg)
		g.Go(func() error { return srv.Run(ctx) })
	}
	if withWorker {
		g.Go(func() error { return worker.Run(ctx, cfg, c, log, reg, !withIngress) })
	}
	return g.Wait()
}
