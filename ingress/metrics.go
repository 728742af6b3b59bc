package ingress

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	signatureFailures prometheus.Counter
	signalLatency     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiresync_webhook_requests_total",
			Help: "Webhook requests by outcome (accepted, bad_signature, bad_event, too_large, temporal_unavailable, unreadable).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hiresync_webhook_request_seconds",
			Help:    "Time to answer a webhook request, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"outcome"}),
		signatureFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hiresync_webhook_signature_failures_total",
			Help: "Webhook requests refused for a missing, stale or wrong signature.",
		}),
		signalLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hiresync_signal_with_start_seconds",
			Help:    "Latency of SignalWithStartWorkflow calls to Temporal.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.signatureFailures, m.signalLatency)
	return m
}
