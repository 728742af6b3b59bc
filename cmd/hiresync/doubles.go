package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hiresync/hiresync/testsuite/hubspotdouble"
	"github.com/hiresync/hiresync/testsuite/slackdouble"
)

// runDoubles serves the local Slack and HubSpot doubles until ctx ends, for
// the local run and for trying hiresync without real tokens.
func runDoubles(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("doubles", flag.ContinueOnError)
	slackAddr := fs.String("slack", "", "serve the Slack double on this address (e.g. 127.0.0.1:8091)")
	slackToken := fs.String("slack-token", "xoxb-local-double", "bot token the Slack double accepts")
	hubspotAddr := fs.String("hubspot", "", "serve the HubSpot double on this address (e.g. 127.0.0.1:8092)")
	hubspotToken := fs.String("hubspot-token", "pat-local-double", "access token the HubSpot double accepts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slackAddr == "" && *hubspotAddr == "" {
		return errors.New("doubles: give -slack ADDR, -hubspot ADDR or both")
	}
	g, ctx := errgroup.WithContext(ctx)
	if *slackAddr != "" {
		h := slackdouble.New(slackdouble.WithToken(*slackToken)).Handler()
		g.Go(func() error { return serveUntil(ctx, *slackAddr, h, log, "slack double") })
	}
	if *hubspotAddr != "" {
		h := hubspotdouble.New(hubspotdouble.Options{Token: *hubspotToken}).Handler()
		g.Go(func() error { return serveUntil(ctx, *hubspotAddr, h, log, "hubspot double") })
	}
	return g.Wait()
}

func serveUntil(ctx context.Context, addr string, h http.Handler, log *slog.Logger, name string) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info(name+" listening", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}
