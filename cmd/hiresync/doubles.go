package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// stateSaveInterval bounds how often a double with a state dir writes its
// file, and so how much a kill -9 can lose.
const stateSaveInterval = time.Second

// The files the doubles keep their state in, under -state-dir.
const (
	slackStateFile   = "slack.json"
	hubspotStateFile = "hubspot.json"
	handoffStateFile = "handoff.json"
)

// stateful is a double whose durable state can be kept in a file.
type stateful interface {
	Load(path string) error
	Save(path string) error
	AutoSave(ctx context.Context, path string, interval time.Duration, report func(error))
}

// runDoubles serves the local Slack, HubSpot and hand-off receiver doubles
// until ctx ends, for the local run and for trying hiresync without real
// tokens. With -state-dir, each double starts from its file there, if any,
// and writes it after changes and when stopped.
func runDoubles(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("doubles", flag.ContinueOnError)
	slackAddr := fs.String("slack", "", "serve the Slack double on this address (e.g. 127.0.0.1:8091)")
	slackToken := fs.String("slack-token", "xoxb-local-double", "bot token the Slack double accepts")
	slackUsers := fs.String("slack-users", "", "workspace members the Slack double knows, as id=email,… (the routes' recruiters)")
	hubspotAddr := fs.String("hubspot", "", "serve the HubSpot double on this address (e.g. 127.0.0.1:8092)")
	hubspotToken := fs.String("hubspot-token", "pat-local-double", "access token the HubSpot double accepts")
	handoffAddr := fs.String("handoff", "", "serve the hand-off receiver double on this address (e.g. 127.0.0.1:8093); it receives at "+handoffdouble.HookPath)
	handoffSecret := fs.String("handoff-secret", cmp.Or(os.Getenv("HIRESYNC_HANDOFF_SECRET"), handoffdouble.DefaultSecret),
		"whsec_ secret the hand-off receiver verifies with; default $HIRESYNC_HANDOFF_SECRET, else the double's own")
	stateDir := fs.String("state-dir", "", "keep the doubles' channels, messages, contacts and hand-offs in this directory ("+
		slackStateFile+", "+hubspotStateFile+", "+handoffStateFile+") across restarts; empty: in memory only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slackAddr == "" && *hubspotAddr == "" && *handoffAddr == "" {
		return errors.New("doubles: give -slack ADDR, -hubspot ADDR, -handoff ADDR or several")
	}
	if *stateDir != "" {
		if err := os.MkdirAll(*stateDir, 0o755); err != nil {
			return fmt.Errorf("doubles: -state-dir: %w", err)
		}
	}
	statePath := func(file string) string {
		if *stateDir == "" {
			return ""
		}
		return filepath.Join(*stateDir, file)
	}

	type double struct {
		name, addr, path string
		h                http.Handler
		state            stateful
	}
	var doubles []double
	if *slackAddr != "" {
		opts := []slackdouble.Option{slackdouble.WithToken(*slackToken)}
		for _, u := range strings.FieldsFunc(*slackUsers, func(r rune) bool { return r == ',' }) {
			id, email, ok := strings.Cut(strings.TrimSpace(u), "=")
			if !ok {
				return fmt.Errorf("doubles: -slack-users: %q is not id=email", u)
			}
			opts = append(opts, slackdouble.WithUser(id, email))
		}
		d := slackdouble.New(opts...)
		doubles = append(doubles, double{"slack double", *slackAddr, statePath(slackStateFile), d.Handler(), d})
	}
	if *hubspotAddr != "" {
		d := hubspotdouble.New(hubspotdouble.Options{Token: *hubspotToken})
		doubles = append(doubles, double{"hubspot double", *hubspotAddr, statePath(hubspotStateFile), d.Handler(), d})
	}
	if *handoffAddr != "" {
		d, err := handoffdouble.New(handoffdouble.Options{Secret: *handoffSecret})
		if err != nil {
			return fmt.Errorf("doubles: -handoff-secret: %w", err)
		}
		doubles = append(doubles, double{"hand-off double", *handoffAddr, statePath(handoffStateFile), d.Handler(), d})
	}
	for _, d := range doubles {
		if err := loadState(d.state, d.path, log, d.name); err != nil {
			return fmt.Errorf("doubles: %w", err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, d := range doubles {
		g.Go(func() error { return serveDouble(ctx, d.addr, d.h, d.state, d.path, log, d.name) })
	}
	return g.Wait()
}

// loadState loads a double's state from path, if there is one to load.
func loadState(d stateful, path string, log *slog.Logger, name string) error {
	if path == "" {
		return nil
	}
	err := d.Load(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		log.Info(name+" starts empty", "state_file", path)
		return nil
	case err != nil:
		return fmt.Errorf("%w (move the file away to start empty)", err)
	}
	log.Info(name+" loaded its state", "state_file", path)
	return nil
}

// serveDouble serves a double until ctx ends; with a path, it saves the
// double's state there after changes and once more after the server has
// stopped, so the file holds every answered request.
func serveDouble(ctx context.Context, addr string, h http.Handler, d stateful, path string, log *slog.Logger, name string) error {
	if path == "" {
		return serveUntil(ctx, addr, h, log, name)
	}
	saveCtx, stopSaving := context.WithCancel(ctx)
	saving := make(chan struct{})
	go func() {
		defer close(saving)
		d.AutoSave(saveCtx, path, stateSaveInterval, func(err error) {
			log.Error(name+" could not save its state", "state_file", path, "error", err)
		})
	}()
	err := serveUntil(ctx, addr, h, log, name)
	stopSaving()
	<-saving
	if saveErr := d.Save(path); saveErr != nil {
		return errors.Join(err, saveErr)
	}
	log.Info(name+" saved its state", "state_file", path)
	return err
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
