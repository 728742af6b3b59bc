package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

func newTestMetrics(t *testing.T) (*metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	require.NoError(t, err)
	return m, reg
}

func message(eventID string) slackpost.Message {
	return slackpost.Message{Text: "event " + eventID, EventID: eventID, CandidateID: "cand_1", JobID: "job_1"}
}

func TestMetricsObserveSlackCalls(t *testing.T) {
	d := slackdouble.Start(t)
	m, _ := newTestMetrics(t)
	p, err := slackpost.New(slackpost.Config{
		Token: d.Token(), APIURL: d.APIURL(), PostRate: rate.Inf, BreakerFailures: 100,
		Observe: m.slackCall(), OnStateChange: m.breaker(downstreamSlack),
	})
	require.NoError(t, err)
	ctx := t.Context()

	root, err := p.PostRoot(ctx, "C1", message("ev_1"))
	require.NoError(t, err)
	_, err = p.Reply(ctx, "C1", root, message("ev_2"))
	require.NoError(t, err)
	_, found, err := p.FindPosted(ctx, "C1", "", "ev_1")
	require.NoError(t, err)
	require.True(t, found)
	_, _, err = p.FindPosted(ctx, "C1", root, "ev_2")
	require.NoError(t, err)

	d.RateLimitNext(slackdouble.MethodPostMessage, 1, 30*time.Second)
	_, err = p.PostRoot(ctx, "C2", message("ev_3"))
	_, limited := slackpost.IsRateLimited(err)
	require.True(t, limited, "%v", err)
	_, err = p.PostRoot(ctx, "C2", message("ev_3")) // the channel waits out the 429
	_, limited = slackpost.IsRateLimited(err)
	require.True(t, limited, "%v", err)

	d.FailNext(slackdouble.MethodUpdate, 1, http.StatusInternalServerError)
	require.Error(t, p.Update(ctx, "C1", root, message("ev_1")))

	d.SetChannelError("C3", "channel_not_found")
	_, err = p.PostRoot(ctx, "C3", message("ev_4"))
	require.True(t, slackpost.IsPermanent(err), "%v", err)
	_, err = p.PostRoot(ctx, "", message("ev_5"))
	require.True(t, slackpost.IsPermanent(err), "%v", err)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = p.PostRoot(canceled, "C1", message("ev_6"))
	require.ErrorIs(t, err, context.Canceled)

	calls := func(method, result string) float64 {
		return toFloat64(m.slackCalls.WithLabelValues(method, result))
	}
	assert.Equal(t, 2.0, calls(slackpost.MethodPostMessage, slackpost.ResultOK), "root and reply")
	assert.Equal(t, 1.0, calls(slackpost.MethodConversationsHistory, slackpost.ResultOK))
	assert.Equal(t, 1.0, calls(slackpost.MethodConversationsReplies, slackpost.ResultOK))
	assert.Equal(t, 1.0, calls(slackpost.MethodPostMessage, slackpost.ResultRateLimited))
	assert.Equal(t, 1.0, calls(slackpost.MethodPostMessage, slackpost.ResultPaused))
	assert.Equal(t, 1.0, calls(slackpost.MethodUpdate, slackpost.ResultServerError))
	assert.Equal(t, 2.0, calls(slackpost.MethodPostMessage, slackpost.ResultPermanent), "channel_not_found and no channel")
	assert.Equal(t, 1.0, calls(slackpost.MethodPostMessage, slackpost.ResultCanceled))
	assert.Equal(t, 8, collectAndCount(m.slackCalls), "no other series")
	assert.Equal(t, 0.0, toFloat64(m.breakerState.WithLabelValues(downstreamSlack)), "closed")
	assert.Equal(t, 0, collectAndCount(m.breakerTransitions))
}

func TestMetricsSlackBreakerOpens(t *testing.T) {
	d := slackdouble.Start(t)
	m, _ := newTestMetrics(t)
	p, err := slackpost.New(slackpost.Config{
		Token: d.Token(), APIURL: d.APIURL(), PostRate: rate.Inf, BreakerFailures: 2, BreakerOpenFor: time.Hour,
		Observe: m.slackCall(), OnStateChange: m.breaker(downstreamSlack),
	})
	require.NoError(t, err)
	state := m.breakerState.WithLabelValues(downstreamSlack)
	require.Equal(t, 0.0, toFloat64(state))

	d.FailNext(slackdouble.MethodPostMessage, 2, http.StatusServiceUnavailable)
	for i := range 3 {
		_, err := p.PostRoot(t.Context(), "C1", message(fmt.Sprint("ev_", i)))
		require.Error(t, err)
	}
	assert.Equal(t, 2.0, toFloat64(state), "open")
	assert.Equal(t, 1.0, toFloat64(m.breakerTransitions.WithLabelValues(downstreamSlack, "closed", "open")))
	assert.Equal(t, 2.0, toFloat64(m.slackCalls.WithLabelValues(slackpost.MethodPostMessage, slackpost.ResultServerError)))
	assert.Equal(t, 1.0, toFloat64(m.slackCalls.WithLabelValues(slackpost.MethodPostMessage, slackpost.ResultUnavailable)))
}

// setUpHubSpot returns a double with hiresync's properties (set up by a
// client that is not observed).
func setUpHubSpot(t *testing.T, opts hubspotdouble.Options) *hubspotdouble.Double {
	t.Helper()
	d, err := hubspotdouble.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	_, err = hubspot.Setup(t.Context(), hubspot.New(hubspot.Config{BaseURL: d.URL(), Token: d.Token()}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	return d
}

func observedClient(d *hubspotdouble.Double, m *metrics, failures uint32) *hubspot.Client {
	return hubspot.New(hubspot.Config{
		BaseURL: d.URL(), Token: d.Token(),
		Limit:   hubspot.Limit{Requests: 1000, Interval: time.Second},
		Breaker: hubspot.BreakerSettings{ConsecutiveFailures: failures, OpenFor: time.Hour, OnStateChange: m.breaker(downstreamHubSpot)},
		Observe: m.hubspotCall(),
	})
}

func contact(email string) hubspot.UpsertInput {
	return hubspot.UpsertInput{Email: email, Properties: map[string]string{hubspot.PropertyFirstName: "Ada"}}
}

func TestMetricsObserveHubSpotCalls(t *testing.T) {
	d := setUpHubSpot(t, hubspotdouble.Options{})
	m, _ := newTestMetrics(t)
	c := observedClient(d, m, 100)
	ctx := t.Context()

	_, err := c.BatchUpsertContacts(ctx, []hubspot.UpsertInput{contact("a@example.com"), contact("b@example.com")})
	require.NoError(t, err)
	_, err = c.BatchReadContacts(ctx, []string{"a@example.com"}, nil)
	require.NoError(t, err)
	_, err = c.ReadProperties(ctx)
	require.NoError(t, err)
	_, err = c.ReadProperty(ctx, hubspot.PropertyStage)
	require.NoError(t, err)

	d.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.BatchUpsertContacts(ctx, []hubspot.UpsertInput{contact("a@example.com")})
	require.Error(t, err)
	d.FailNext(1, http.StatusBadRequest)
	_, err = c.BatchUpsertContacts(ctx, []hubspot.UpsertInput{contact("a@example.com")})
	require.True(t, hubspot.IsPermanent(err), "%v", err)

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.BatchReadContacts(canceled, []string{"a@example.com"}, nil)
	require.ErrorIs(t, err, context.Canceled)

	calls := func(endpoint, result string) float64 {
		return toFloat64(m.hubspotCalls.WithLabelValues(endpoint, result))
	}
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointBatchUpsert, hubspot.ResultOK))
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointBatchRead, hubspot.ResultOK), "without the query")
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointListProperties, hubspot.ResultOK))
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointReadProperty, hubspot.ResultOK), "a property name is {propertyName}")
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointBatchUpsert, hubspot.ResultServerError))
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointBatchUpsert, hubspot.ResultPermanent))
	assert.Equal(t, 1.0, calls(hubspotdouble.EndpointBatchRead, hubspot.ResultCanceled))
	assert.Equal(t, 7, collectAndCount(m.hubspotCalls), "no other series")
	assert.Equal(t, 0.0, toFloat64(m.breakerState.WithLabelValues(downstreamHubSpot)), "closed")
}

func TestMetricsObserveHubSpotRateLimit(t *testing.T) {
	d, err := hubspotdouble.Start(hubspotdouble.Options{RateLimit: 1, RateWindow: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	m, _ := newTestMetrics(t)
	c := observedClient(d, m, 1)
	_, err = c.BatchReadContacts(t.Context(), []string{"a@example.com"}, nil)
	require.NoError(t, err)
	var limited *hubspot.RateLimitedError
	_, err = c.BatchReadContacts(t.Context(), []string{"a@example.com"}, nil)
	require.ErrorAs(t, err, &limited)
	assert.Equal(t, 1.0, toFloat64(m.hubspotCalls.WithLabelValues(hubspotdouble.EndpointBatchRead, hubspot.ResultOK)))
	assert.Equal(t, 1.0, toFloat64(m.hubspotCalls.WithLabelValues(hubspotdouble.EndpointBatchRead, hubspot.ResultRateLimited)))
	assert.Equal(t, 0.0, toFloat64(m.breakerState.WithLabelValues(downstreamHubSpot)), "a 429 is no breaker failure")
}

func TestMetricsHubSpotBreakerOpens(t *testing.T) {
	d := setUpHubSpot(t, hubspotdouble.Options{})
	m, _ := newTestMetrics(t)
	c := observedClient(d, m, 2)
	state := m.breakerState.WithLabelValues(downstreamHubSpot)
	require.Equal(t, 0.0, toFloat64(state))

	d.FailNext(2, http.StatusBadGateway)
	for range 3 {
		_, err := c.BatchUpsertContacts(t.Context(), []hubspot.UpsertInput{contact("a@example.com")})
		require.Error(t, err)
	}
	assert.Equal(t, 2.0, toFloat64(state), "open")
	assert.Equal(t, 1.0, toFloat64(m.breakerTransitions.WithLabelValues(downstreamHubSpot, "closed", "open")))
	assert.Equal(t, 2.0, toFloat64(m.hubspotCalls.WithLabelValues(hubspotdouble.EndpointBatchUpsert, hubspot.ResultServerError)))
	assert.Equal(t, 1.0, toFloat64(m.hubspotCalls.WithLabelValues(hubspotdouble.EndpointBatchUpsert, hubspot.ResultUnavailable)))
}

// TestMetricsObserveHubSpotBatchSizes: three upserts make one batch of
// three; three reads of two emails (one asked twice, in another case) one
// batch of two inputs.
func TestMetricsObserveHubSpotBatchSizes(t *testing.T) {
	d := setUpHubSpot(t, hubspotdouble.Options{})
	m, reg := newTestMetrics(t)
	c := observedClient(d, m, 100)
	// The upsert batch goes when it is full; the read batch gathers for a
	// second, long enough for three goroutines to join it.
	upserts := hubspot.NewBatcher(c, hubspot.BatcherConfig{MaxBatch: 3, Window: time.Minute, ObserveBatch: m.hubspotBatch()})
	reads := hubspot.NewBatcher(c, hubspot.BatcherConfig{Window: time.Second, ObserveBatch: m.hubspotBatch()})

	run := func(calls ...func() error) {
		var wg sync.WaitGroup
		errs := make([]error, len(calls))
		for i, call := range calls {
			wg.Go(func() { errs[i] = call() })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	upsert := func(email string) func() error {
		return func() error { _, err := upserts.Upsert(t.Context(), contact(email)); return err }
	}
	read := func(email string) func() error {
		return func() error { _, _, err := reads.Read(t.Context(), email); return err }
	}
	run(upsert("a@example.com"), upsert("b@example.com"), upsert("c@example.com"))
	run(read("a@example.com"), read("A@example.com"), read("b@example.com"))

	count, sum := histogram(t, reg, "hiresync_hubspot_batch_size", hubspot.BatchUpsert)
	assert.Equal(t, uint64(1), count)
	assert.Equal(t, 3.0, sum)
	count, sum = histogram(t, reg, "hiresync_hubspot_batch_size", hubspot.BatchRead)
	assert.Equal(t, uint64(1), count)
	assert.Equal(t, 2.0, sum)
	assert.Equal(t, 1, d.Calls(hubspotdouble.EndpointBatchUpsert))
	assert.Equal(t, 1, d.Calls(hubspotdouble.EndpointBatchRead))
}

// histogram returns the sample count and sum of name{kind}.
func histogram(t *testing.T, reg *prometheus.Registry, name, kind string) (uint64, float64) {
	t.Helper()
	h := find(t, reg, name, "kind", kind).GetHistogram()
	return h.GetSampleCount(), h.GetSampleSum()
}

// value returns the value of the counter or gauge name{labels…}.
func value(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	m := find(t, reg, name, labels...)
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// find gathers reg and returns the series name{labels…}, labels given as
// name, value pairs.
func find(t *testing.T, reg *prometheus.Registry, name string, labels ...string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			return m
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return nil
}

// TestMetricsNewActivities: NewActivities wires the hooks, a second worker
// on the same registry takes the collectors over, and a nil registry
// counts nothing.
func TestMetricsNewActivities(t *testing.T) {
	slack := slackdouble.Start(t)
	hub := setUpHubSpot(t, hubspotdouble.Options{})
	cfg := &config.Config{
		Routes:        &config.Routes{DefaultChannel: "C1"},
		SlackToken:    slack.Token(),
		SlackAPIURL:   slack.APIURL(),
		HubSpotToken:  hub.Token(),
		HubSpotAPIURL: hub.URL(),
		HubSpotRate:   1000, HubSpotWindow: time.Second,
		SlackPerSecond: 1000,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	for range 2 {
		acts, err := NewActivities(cfg, log, reg)
		require.NoError(t, err)
		_, err = acts.Slack.PostRoot(t.Context(), "C1", message("ev_1"))
		require.NoError(t, err)
		_, err = acts.HubSpot.Sync(t.Context(), hubspot.Change{Email: "a@example.com", Properties: map[string]string{hubspot.PropertyStage: "applied"}})
		require.NoError(t, err)
	}
	_, err := NewActivities(cfg, log, nil)
	require.NoError(t, err)

	assert.Equal(t, 2.0, value(t, reg, "hiresync_slack_calls_total", "method", slackpost.MethodPostMessage, "result", slackpost.ResultOK))
	assert.Equal(t, 0.0, value(t, reg, "hiresync_breaker_state", "downstream", downstreamSlack))
	assert.Equal(t, 0.0, value(t, reg, "hiresync_breaker_state", "downstream", downstreamHubSpot))
	assert.Equal(t, 2, countSeries(t, reg, "hiresync_breaker_state"), "slack and hubspot")
	assert.Positive(t, countSeries(t, reg, "hiresync_hubspot_calls_total"))
	assert.Positive(t, countSeries(t, reg, "hiresync_hubspot_batch_size"))
}

// toFloat64 is the value of the one counter or gauge c collects (as
// prometheus/testutil's, which needs a module go.mod does not list).
func toFloat64(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	close(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		panic(err)
	}
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// collectAndCount is how many series c collects.
func collectAndCount(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	n := 0
	for range ch {
		n++
	}
	return n
}

// countSeries is how many series of name reg gathers.
func countSeries(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
