package worker

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
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
// log says so.
func NewActivities(cfg *config.Config, log *slog.Logger, _ prometheus.Registerer) (*activities.Activities, error) {
	acts := &activities.Activities{Routes: cfg.Routes}
	if cfg.SlackToken == "" {
		log.Warn("Slack is off: SLACK_BOT_TOKEN is not set; timelines will say so")
	} else {
		poster, err := slackpost.New(slackpost.Config{
			Token:    cfg.SlackToken,
			APIURL:   cfg.SlackAPIURL,
			PostRate: rate.Limit(cfg.SlackPerSecond),
			Logger:   log,
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
		})
		syncer, err := hubspot.NewSyncer(hubspot.NewBatcher(client, hubspot.BatcherConfig{}), cfg.HireStage)
		if err != nil {
			return nil, fmt.Errorf("hubspot: %w", err)
		}
		acts.HubSpot = syncer
		log.Info("HubSpot is on", "api", cfg.HubSpotAPIURL, "requests", cfg.HubSpotRate, "per", cfg.HubSpotWindow,
			"hire_stage", cfg.HireStage)
	}
	return acts, nil
}
