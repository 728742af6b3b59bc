package temporalclient

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/config"
)

// metric is the series of name in reg whose label has value.
func metric(t *testing.T, reg *prometheus.Registry, name, label, value string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return nil
}

// TestMetricsHandler: the Temporal SDK's counters, timers and gauges
// reach the registry as Prometheus counters, histograms in seconds and
// gauges.
func TestMetricsHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	h, err := metricsHandler(reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	tagged := h.WithTags(map[string]string{"task_queue": "hiresync"})
	tagged.Counter("temporal_request").Inc(2)
	tagged.Timer("temporal_activity_execution_latency").Record(30 * time.Millisecond)
	tagged.Gauge("temporal_num_pollers").Update(3)

	assert.Equal(t, 2.0, metric(t, reg, "temporal_request_total", "task_queue", "hiresync").GetCounter().GetValue())
	assert.Equal(t, 3.0, metric(t, reg, "temporal_num_pollers", "task_queue", "hiresync").GetGauge().GetValue())
	hist := metric(t, reg, "temporal_activity_execution_latency_seconds", "task_queue", "hiresync").GetHistogram()
	assert.Equal(t, uint64(1), hist.GetSampleCount())
	assert.InDelta(t, 0.03, hist.GetSampleSum(), 1e-9)
	assert.Len(t, hist.GetBucket(), len(secondsBuckets), "buckets in seconds")
}

// TestNew: a client with a registry, and one without.
func TestMetricsNew(t *testing.T) {
	cfg := &config.Config{}
	cfg.Temporal.HostPort = "127.0.0.1:1"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, reg := range []prometheus.Registerer{prometheus.NewRegistry(), nil} {
		c, err := New(cfg, log, reg)
		require.NoError(t, err)
		c.Close()
	}
}
