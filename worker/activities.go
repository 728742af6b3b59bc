package worker

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities"
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
