package testsuite_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/testsuite"
)

// TestMetricsEndToEnd sends the eleven samples through the real ingress
// and worker, then scrapes both: the ingress's /metrics, and the worker's
// registry as HIRESYNC_METRICS_ADDR would serve it.
func TestMetricsEndToEnd(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	ds := samplesFor(t, "cand_METRICS1")
	require.Len(t, ds, 11)
	s.Send(t, ds...)
	check(t, s, ds, 2*time.Minute)

	ingress := scrape(t, s.IngressURL+"/metrics")
	require.Equal(t, 11.0, ingress.sum("hiresync_webhook_requests_total", "outcome", "accepted"))
	require.Equal(t, 11.0, ingress.count("hiresync_webhook_request_seconds", "outcome", "accepted"))
	require.Equal(t, 11.0, ingress.count("hiresync_signal_with_start_seconds"))
	require.Zero(t, ingress.sum("hiresync_webhook_signature_failures_total"))

	srv := httptest.NewServer(promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	w := scrape(t, srv.URL)

	require.Positive(t, w.sum("hiresync_slack_calls_total", "method", "chat.postMessage", "result", "ok"))
	require.Positive(t, w.sum("hiresync_slack_calls_total", "method", "chat.update", "result", "ok"), "the root follows the status")
	require.Positive(t, w.sum("hiresync_hubspot_calls_total", "endpoint", "POST /crm/v3/objects/contacts/batch/upsert", "result", "ok"))
	require.Equal(t, w.sum("hiresync_slack_calls_total"), w.sum("hiresync_slack_calls_total", "result", "ok"), "nothing failed")
	require.Equal(t, w.sum("hiresync_hubspot_calls_total"), w.sum("hiresync_hubspot_calls_total", "result", "ok"), "nothing failed")
	upserts := w.count("hiresync_hubspot_batch_size", "kind", "upsert")
	require.Positive(t, upserts)
	require.GreaterOrEqual(t, w.histogramSum("hiresync_hubspot_batch_size", "kind", "upsert"), upserts, "at least one contact a batch")
	require.Equal(t, upserts, w.sum("hiresync_hubspot_calls_total", "endpoint", "POST /crm/v3/objects/contacts/batch/upsert"),
		"one observation per batch call")
	require.Equal(t, 0.0, w.sum("hiresync_breaker_state", "downstream", "slack"), "closed")
	require.Equal(t, 0.0, w.sum("hiresync_breaker_state", "downstream", "hubspot"), "closed")
	require.True(t, w.has("hiresync_breaker_state", "downstream", "slack"))
	require.True(t, w.has("hiresync_breaker_state", "downstream", "hubspot"))
	require.Zero(t, w.sum("hiresync_breaker_transitions_total"))

	var temporal []string
	for name := range w {
		if strings.HasPrefix(name, "temporal_") {
			temporal = append(temporal, name)
		}
	}
	slices.Sort(temporal)
	t.Logf("Temporal SDK metrics: %s", strings.Join(temporal, " "))
	require.NotEmpty(t, temporal)
	require.Positive(t, w.count("temporal_workflow_task_execution_latency_seconds", "task_queue", s.TaskQueue))
	require.Positive(t, w.count("temporal_activity_execution_latency_seconds", "task_queue", s.TaskQueue))
	require.Positive(t, w.sum("temporal_request_total", "operation", "SignalWithStartWorkflowExecution"))
}

// families are scraped metric families by name.
type families map[string]*dto.MetricFamily

func scrape(t *testing.T, url string) families {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fs, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	require.NoError(t, err, "%s", body)
	return fs
}

// series are the series of name whose labels include labels (name, value
// pairs).
func (fs families) series(name string, labels ...string) []*dto.Metric {
	f, ok := fs[name]
	if !ok {
		return nil
	}
	var out []*dto.Metric
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

func (fs families) has(name string, labels ...string) bool {
	return len(fs.series(name, labels...)) > 0
}

// sum adds up the counters or gauges of name{labels…}.
func (fs families) sum(name string, labels ...string) float64 {
	var v float64
	for _, m := range fs.series(name, labels...) {
		v += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
	}
	return v
}

// count adds up the observations of the histograms of name{labels…}.
func (fs families) count(name string, labels ...string) float64 {
	var n uint64
	for _, m := range fs.series(name, labels...) {
		n += m.GetHistogram().GetSampleCount()
	}
	return float64(n)
}

// histogramSum adds up the sums of the histograms of name{labels…}.
func (fs families) histogramSum(name string, labels ...string) float64 {
	var v float64
	for _, m := range fs.series(name, labels...) {
		v += m.GetHistogram().GetSampleSum()
	}
	return v
}
