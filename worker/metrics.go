package worker

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// The downstream label of the breaker metrics.
const (
	downstreamSlack   = "slack"
	downstreamHubSpot = "hubspot"
	downstreamHandoff = "handoff"
)

// metrics are the worker's own Prometheus collectors: what the activities'
// Slack and HubSpot clients did, and their breakers. A nil *metrics hands
// out nil hooks.
type metrics struct {
	slackCalls         *prometheus.CounterVec
	hubspotCalls       *prometheus.CounterVec
	breakerState       *prometheus.GaugeVec
	breakerTransitions *prometheus.CounterVec
	batchSize          *prometheus.HistogramVec
}

// newMetrics creates the worker's collectors on reg; nil reg, nil metrics.
// Collectors already on reg (a worker started again in the same process)
// are taken over, so that their counts go on.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		slackCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiresync_slack_calls_total",
			Help: "Slack Web API calls by method and result (ok, rate_limited, paused, permanent, server_error, timeout, unavailable, canceled, error).",
		}, []string{"method", "result"}),
		hubspotCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiresync_hubspot_calls_total",
			Help: "HubSpot API requests by endpoint and result (ok, rate_limited, permanent, server_error, timeout, unavailable, canceled, error).",
		}, []string{"endpoint", "result"}),
		breakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hiresync_breaker_state",
			Help: "Circuit breaker state per downstream: 0 closed, 1 half-open, 2 open.",
		}, []string{"downstream"}),
		breakerTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hiresync_breaker_transitions_total",
			Help: "Circuit breaker state changes per downstream, by the states left and entered.",
		}, []string{"downstream", "from", "to"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hiresync_hubspot_batch_size",
			Help:    "Inputs (contacts) per HubSpot batch call, by kind (upsert, read).",
			Buckets: []float64{1, 2, 3, 5, 10, 20, 50, 100},
		}, []string{"kind"}),
	}
	var err error
	if m.slackCalls, err = register(reg, m.slackCalls); err != nil {
		return nil, err
	}
	if m.hubspotCalls, err = register(reg, m.hubspotCalls); err != nil {
		return nil, err
	}
	if m.breakerState, err = register(reg, m.breakerState); err != nil {
		return nil, err
	}
	if m.breakerTransitions, err = register(reg, m.breakerTransitions); err != nil {
		return nil, err
	}
	if m.batchSize, err = register(reg, m.batchSize); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c on reg, or returns the collector of its kind that is
// already there.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("register metrics: %w", err)
}

// slackCall is slackpost.Config.Observe.
func (m *metrics) slackCall() func(method, result string) {
	if m == nil {
		return nil
	}
	return func(method, result string) { m.slackCalls.WithLabelValues(method, result).Inc() }
}

// hubspotCall is hubspot.Config.Observe.
func (m *metrics) hubspotCall() func(endpoint, result string) {
	if m == nil {
		return nil
	}
	return func(endpoint, result string) { m.hubspotCalls.WithLabelValues(endpoint, result).Inc() }
}

// hubspotBatch is hubspot.BatcherConfig.ObserveBatch.
func (m *metrics) hubspotBatch() func(kind string, inputs int) {
	if m == nil {
		return nil
	}
	return func(kind string, inputs int) { m.batchSize.WithLabelValues(kind).Observe(float64(inputs)) }
}

// breaker is the OnStateChange hook of downstream's breaker. It sets the
// state gauge to closed, as a new breaker is.
func (m *metrics) breaker(downstream string) func(from, to gobreaker.State) {
	if m == nil {
		return nil
	}
	state := m.breakerState.WithLabelValues(downstream)
	state.Set(breakerValue(gobreaker.StateClosed))
	return func(from, to gobreaker.State) {
		state.Set(breakerValue(to))
		m.breakerTransitions.WithLabelValues(downstream, from.String(), to.String()).Inc()
	}
}

// breakerValue is a breaker state as hiresync_breaker_state reports it.
func breakerValue(s gobreaker.State) float64 {
	switch s {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}
