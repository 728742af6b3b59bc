package worker

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/config"
)

// NewActivities builds the worker's activities: one Slack poster (with its
// per-channel limiter and breaker) and one HubSpot client, batcher and
// syncer (with the process-wide limiter and breaker), shared by every
// activity the worker runs. A downstream without a token is off, and the
// log says so. With reg, their calls, breakers and batches are counted
// there (see metrics.go).
func NewActivities(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*activities.Activities, error) {
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	acts := &activities.Activities{Routes: cfg.Routes}
	if cfg.SlackToken == "" {
		log.Warn("Slack is off: SLACK_BOT_TOKEN is not set; timelines will say so")
	} else {
		poster, err := slackpost.New(slackpost.Config{
			Token:         cfg.SlackToken,
			APIURL:        cfg.SlackAPIURL,
			PostRate:      rate.Limit(cfg.SlackPerSecond),
			Logger:        log,
			Observe:       m.slackCall(),
			OnStateChange: m.breaker(downstreamSlack),
		})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		acts.Slack = poster
		acts.Recruiters = slackpost.NewRecruiters(poster)
		log.Info("Slack is on", "api", cfg.SlackAPIURL, "per_channel_per_second", cfg.SlackPerSecond,
			"default_channel", cfg.Routes.DefaultChannel, "routed_jobs", len(cfg.Routes.Jobs))
	}
	if cfg.HubSpotToken == "" {
		log.Warn("HubSpot is off: HUBSPOT_ACCESS_TOKEN is not set; timelines will say so")
	} else {
		client := hubspot.New(hubspot.Config{
			BaseURL: cfg.HubSpotAPIURL,
			Token:   cfg.HubSpotToken,
			Limit:   hubspot.Limit{Requests: cfg.HubSpotRate, Interval: cfg.HubSpotWindow},
			Breaker: hubspot.BreakerSettings{OnStateChange: logBreaker(log, downstreamHubSpot, m.breaker(downstreamHubSpot))},
			Observe: m.hubspotCall(),
		})
		batcher := hubspot.NewBatcher(client, hubspot.BatcherConfig{ObserveBatch: m.hubspotBatch()})
		syncer, err := hubspot.NewSyncer(batcher, cfg.HireStage)
		if err != nil {
			return nil, fmt.Errorf("hubspot: %w", err)
		}
		acts.HubSpot = syncer
		log.Info("HubSpot is on", "api", cfg.HubSpotAPIURL, "requests", cfg.HubSpotRate, "per", cfg.HubSpotWindow,
			"hire_stage", cfg.HireStage)
	}
	return acts, nil
}

// NewHandoff builds the hand-off's activities: one Sender, with its
// breaker, shared by every hand-off the worker sends. Without
// HIRESYNC_HANDOFF_URL the hand-off is off, and the log says so; the
// secret is never logged.
func NewHandoff(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*handoff.Activities, error) {
	if cfg.HandoffURL == "" {
		log.Warn("hand-off is off: HIRESYNC_HANDOFF_URL is not set; hires' timelines will say so")
		return &handoff.Activities{}, nil
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	var httpClient *http.Client
	if cfg.HandoffTimeout > 0 {
		httpClient = &http.Client{Timeout: cfg.HandoffTimeout}
	}
	sender, err := handoff.New(handoff.Config{
		HTTPClient:    httpClient,
		URL:           cfg.HandoffURL,
		Secret:        cfg.HandoffSecret,
		Logger:        log,
		OnStateChange: m.breaker(downstreamHandoff),
	})
	if err != nil {
		return nil, fmt.Errorf("hand-off: %w", err)
	}
	log.Info("hand-off is on", "url", redactedURL(cfg.HandoffURL))
	return &handoff.Activities{Sender: sender}, nil
}

// redactedURL is the URL without its query, which may hold a token.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// resolveRecruiters looks every recruiter of the routes up once, so that
// one Slack cannot resolve is a warning at start-up, not a surprise in a
// timeline. It names the routes entry, never the email. A Slack that does
// not answer now is only noted: the activities resolve later.
func resolveRecruiters(ctx context.Context, acts *activities.Activities, routes *config.Routes, log *slog.Logger) {
	if acts.Recruiters == nil || routes == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	entries := map[string][]string{} // recruiter -> routes entries naming it
	add := func(recruiter, entry string) {
		if recruiter != "" {
			entries[recruiter] = append(entries[recruiter], entry)
		}
	}
	add(routes.DefaultRecruiter, "default_recruiter")
	for _, job := range slices.Sorted(maps.Keys(routes.Jobs)) {
		add(routes.Jobs[job].Recruiter, "jobs."+job+".recruiter")
	}
	for _, recruiter := range routes.Recruiters() {
		r, err := acts.Recruiters.Resolve(ctx, recruiter)
		switch {
		case err != nil:
			log.Warn("recruiter not looked up yet; Slack did not answer", "routes", entries[recruiter], "error", err)
		case r.Unresolved != "":
			log.Warn("recruiter cannot be mentioned; test replies and nudges go out without the mention",
				"routes", entries[recruiter], "reason", r.Unresolved)
		}
	}
}

// logBreaker logs every state change of downstream's breaker (as the Slack
// poster does of its own) and passes it on to next, if any.
func logBreaker(log *slog.Logger, downstream string, next func(from, to gobreaker.State)) func(from, to gobreaker.State) {
	return func(from, to gobreaker.State) {
		log.Warn("circuit breaker state changed", "breaker", downstream, "from", from.String(), "to", to.String())
		if next != nil {
			next(from, to)
		}
	}
}
