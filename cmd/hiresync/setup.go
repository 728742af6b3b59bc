package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/temporalclient"
	"github.com/hiresync/hiresync/worker"
)

// runSetup registers hiresync's search attributes in the namespace, once.
func runSetup(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	cfg, err := config.Load(nil, config.RoleClient)
	if err != nil {
		return err
	}
	c, err := temporalclient.New(cfg, log, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	added, err := worker.Setup(ctx, c, cfg.Temporal.Namespace)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		fmt.Fprintf(stdout, "search attributes already registered in namespace %s: nothing to do\n", cfg.Temporal.Namespace)
		return nil
	}
	fmt.Fprintf(stdout, "registered search attributes in namespace %s: %s\n", cfg.Temporal.Namespace, strings.Join(added, ", "))
	return nil
}

// runHubSpotSetup creates the property group and contact properties, once.
func runHubSpotSetup(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	cfg, err := config.Load(nil, config.RoleClient)
	if err != nil {
		return err
	}
	if cfg.HubSpotToken == "" {
		return fmt.Errorf("HUBSPOT_ACCESS_TOKEN is not set: nothing to set up")
	}
	client := hubspot.New(hubspot.Config{BaseURL: cfg.HubSpotAPIURL, Token: cfg.HubSpotToken})
	report, err := hubspot.Setup(ctx, client, log)
	if err != nil {
		return err
	}
	for _, w := range report.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	if report.AlreadyDone() {
		fmt.Fprintf(stdout, "HubSpot already has the %s group and all %d properties: nothing to do\n",
			hubspot.PropertyGroupName, len(report.Existing))
		return nil
	}
	if report.GroupCreated {
		fmt.Fprintf(stdout, "created property group %s\n", hubspot.PropertyGroupName)
	}
	fmt.Fprintf(stdout, "created properties: %s\n", strings.Join(report.Created, ", "))
	return nil
}
