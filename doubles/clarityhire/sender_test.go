package clarityhire_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/signature"
)

func sample(t *testing.T) clarityhire.Delivery {
	t.Helper()
	ds, err := clarityhire.Samples()
	require.NoError(t, err)
	return ds[0]
}

// answering serves the given statuses in turn, then 202, and counts calls.
func answering(t *testing.T, header http.Header, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if n <= len(statuses) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(statuses[n-1])
			_, _ = w.Write([]byte(`{"error":"no"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"event_id":"x"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSendRetriesEveryNon2xx(t *testing.T) {
	key, err := signature.ParseSecret("whsec_" + "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
	require.NoError(t, err)
	for _, status := range []int{400, 401, 404, 408, 413, 422, 429, 500, 502, 503} {
		srv, calls := answering(t, nil, status, status)
		s := &clarityhire.Sender{URL: srv.URL, Keys: []signature.Key{key}, Attempts: 3, Backoff: time.Millisecond}
		res, err := s.Send(context.Background(), sample(t))
		require.NoError(t, err, "status %d", status)
		require.Equal(t, http.StatusAccepted, res.Status)
		require.Equal(t, 3, res.Attempts)
		require.EqualValues(t, 3, calls.Load())
	}
}

func TestSendGivesUpAfterAttempts(t *testing.T) {
	srv, calls := answering(t, nil, 401, 401, 401, 401)
	var retries []clarityhire.Attempt
	s := &clarityhire.Sender{URL: srv.URL, Attempts: 3, Backoff: time.Millisecond,
		OnRetry: func(_ clarityhire.Delivery, a clarityhire.Attempt, _ time.Duration) { retries = append(retries, a) }}
	d := sample(t)
	res, err := s.Send(context.Background(), d)
	require.EqualError(t, err, "delivery "+d.ID+`: gave up after 3 attempts: last status 401: {"error":"no"}`)
	require.Equal(t, 401, res.Status)
	require.Equal(t, 3, res.Attempts)
	require.EqualValues(t, 3, calls.Load())
	require.Len(t, retries, 2, "two retries, none after the last attempt")
	require.Equal(t, 1, retries[0].N)
}

func TestSendDoesNotRetryGone(t *testing.T) {
	srv, calls := answering(t, nil, http.StatusGone)
	s := &clarityhire.Sender{URL: srv.URL, Attempts: 5, Backoff: time.Millisecond}
	res, err := s.Send(context.Background(), sample(t))
	require.ErrorIs(t, err, clarityhire.ErrEndpointGone)
	require.Equal(t, http.StatusGone, res.Status)
	require.EqualValues(t, 1, calls.Load())
}

func TestSendRetriesConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	s := &clarityhire.Sender{URL: url, Attempts: 2, Backoff: time.Millisecond}
	res, err := s.Send(context.Background(), sample(t))
	require.ErrorContains(t, err, "gave up after 2 attempts: last ")
	require.ErrorContains(t, err, "connection refused")
	require.Equal(t, 2, res.Attempts)
}

func TestSendHonoursRetryAfter(t *testing.T) {
	srv, _ := answering(t, http.Header{"Retry-After": {"1"}}, http.StatusServiceUnavailable)
	var waited time.Duration
	s := &clarityhire.Sender{URL: srv.URL, Attempts: 2, Backoff: time.Millisecond,
		OnRetry: func(_ clarityhire.Delivery, _ clarityhire.Attempt, wait time.Duration) { waited = wait }}
	start := time.Now()
	res, err := s.Send(context.Background(), sample(t))
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, res.Status)
	require.Equal(t, time.Second, waited)
	require.GreaterOrEqual(t, time.Since(start), time.Second)
}

func TestSendStopsWithContext(t *testing.T) {
	srv, _ := answering(t, nil, 500, 500, 500)
	s := &clarityhire.Sender{URL: srv.URL, Attempts: 5, Backoff: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Send(ctx, sample(t))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "stopped after 1 attempts")
}
