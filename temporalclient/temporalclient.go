// Package temporalclient makes the Temporal client that the ingress, the
// worker and the operator commands share: the environment's connection
// options, the payload codec when HIRESYNC_PAYLOAD_KEY is set, slog, and
// the SDK's metrics on a Prometheus registry.
package temporalclient

import (
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	sdklog "go.temporal.io/sdk/log"

	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/config"
)

// meterName is the meter the Temporal SDK's metrics are made by.
const meterName = "temporal-sdk-go"

// secondsBuckets are the bucket bounds of the SDK's latency histograms
// (OpenTelemetry's defaults are meant for milliseconds): from a
// millisecond to the minutes an activity may wait for its retry.
var secondsBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// New returns a lazy Temporal client: it connects on first use, so
// the ingress can start (and answer 503) while Temporal is down. With reg,
// the SDK's own metrics (of the client and of the workers built on it) go
// to reg, which takes one such client; with nil, there are none.
func New(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (client.Client, error) {
	opts := cfg.Temporal
	if len(cfg.PayloadKeys) > 0 {
		dc := codec.DataConverter(cfg.PayloadKeys)
		opts.DataConverter = dc
		opts.FailureConverter = codec.FailureConverter(dc)
	}
	opts.Logger = sdklog.NewStructuredLogger(log)
	if reg != nil {
		h, err := metricsHandler(reg, log)
		if err != nil {
			return nil, err
		}
		opts.MetricsHandler = h
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// metricsHandler exports the Temporal SDK's metrics (requests, polls,
// workflow and activity task latencies, slots…) to reg, through
// OpenTelemetry: names as the SDK gives them, prefixed temporal_, with
// Prometheus suffixes (_total, _seconds).
func metricsHandler(reg prometheus.Registerer, log *slog.Logger) (client.MetricsHandler, error) {
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutTargetInfo(), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("temporal sdk metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exporter),
		sdkmetric.WithView(sdkmetric.NewView(
			sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: secondsBuckets}},
		)),
	)
	return opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter:                provider.Meter(meterName),
		UseMonotonicCounters: true,
		OnError: func(err error) {
			log.Warn("temporal sdk metric", "error", err)
		},
	}), nil
}
