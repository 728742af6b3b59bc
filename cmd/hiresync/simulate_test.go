package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/signature"
)

const simSecret = "whsec_c2ltdWxhdGUtdGVzdC1zZWNyZXQtMzItYnl0ZXMh"

func ids(ds []clarityhire.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func TestSimulationDeliveries(t *testing.T) {
	samples, err := clarityhire.Samples()
	require.NoError(t, err)
	story := ids(samples)
	list := func(s simulation) []string {
		t.Helper()
		ds, err := s.deliveries()
		require.NoError(t, err)
		return ids(ds)
	}

	require.Equal(t, story, list(simulation{seed: 1}), "the samples, in story order")

	shuffled := list(simulation{shuffle: true, seed: 1})
	require.ElementsMatch(t, story, shuffled)
	require.NotEqual(t, story, shuffled, "-shuffle reorders the samples")
	require.Equal(t, shuffled, list(simulation{shuffle: true, seed: 1}), "the same seed, the same order")
	require.NotEqual(t, shuffled, list(simulation{shuffle: true, seed: 2}), "another seed, another order")

	twice := list(simulation{duplicates: 1, seed: 1})
	require.Len(t, twice, 2*len(story))
	for i, id := range story {
		require.Equal(t, []string{id, id}, twice[2*i:2*i+2], "each delivery again right after itself")
	}

	some := list(simulation{duplicates: 0.5, seed: 3})
	require.Greater(t, len(some), len(story))
	require.Less(t, len(some), 2*len(story))
	var deduped []string
	for i, id := range some {
		if i == 0 || some[i-1] != id {
			deduped = append(deduped, id)
		}
	}
	require.Equal(t, story, deduped, "duplicates are sent next to their original")

	generated := list(simulation{candidates: 3, duplicates: 0.2, shuffle: true, seed: 5, prefix: "T"})
	want := ids(clarityhire.Stories(clarityhire.StoryOptions{Candidates: 3, Duplicates: 0.2, Shuffle: true, Seed: 5, Prefix: "T"}))
	require.Equal(t, want, generated, "generated mode is clarityhire.Stories")
}

func TestSimulateRejectsFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-duplicate", "2"},
		{"-duplicate", "-0.1"},
		{"-prefix", "x"},
		{"-second-application", "0.5"},
		{"-attempts", "0"},
		{"-candidates", "-1"},
		{"extra"},
	} {
		err := runSimulate(context.Background(), append([]string{"-secret", simSecret, "-url", "http://127.0.0.1:1/"}, args...), io.Discard, io.Discard)
		require.Error(t, err, args)
		require.ErrorContains(t, err, "simulate: ", args)
	}
}

// receiver is a webhook endpoint that checks signatures, answers the first
// attempt of each event in fail with status, and records what it accepted.
type receiver struct {
	verifier *signature.Verifier
	fail     map[string]int

	mu       sync.Mutex
	attempts map[string]int
	accepted []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(signature.HeaderID)
	if err := rc.verifier.Verify(r.Header, body); err != nil {
		http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts[id]++
	if status, ok := rc.fail[id]; ok && rc.attempts[id] == 1 {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"not now"}`))
		return
	}
	rc.accepted = append(rc.accepted, id)
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"event_id":"` + id + `"}`))
}

func startReceiver(t *testing.T, fail map[string]int) (*receiver, string) {
	t.Helper()
	keys, err := signature.ParseSecrets(simSecret)
	require.NoError(t, err)
	rc := &receiver{verifier: signature.NewVerifier(keys, time.Now), fail: fail, attempts: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

// TestSimulateSendsTheList: simulate sends exactly the delivery list, in
// order for a candidate, and retries a 4xx until it is accepted.
func TestSimulateSendsTheList(t *testing.T) {
	want, err := simulation{shuffle: true, duplicates: 0.5, seed: 9}.deliveries()
	require.NoError(t, err)
	rc, url := startReceiver(t, map[string]int{want[0].ID: http.StatusBadRequest, want[3].ID: http.StatusServiceUnavailable})
	var stdout, stderr bytes.Buffer
	err = runSimulate(context.Background(), []string{"-url", url, "-secret", simSecret,
		"-shuffle", "-duplicate", "0.5", "-seed", "9", "-backoff", "1ms"}, &stdout, &stderr)
	require.NoError(t, err, stdout.String())
	require.Equal(t, ids(want), rc.accepted)
	require.Contains(t, stdout.String(), "accepted, 0 failed")
	require.Contains(t, stderr.String(), want[0].ID)
	require.Contains(t, stderr.String(), "attempt 1/8: status 400")
}

// TestSimulateReportsFailures: a delivery never accepted is named with the
// tries made and the last answer, and simulate fails.
func TestSimulateReportsFailures(t *testing.T) {
	_, url := startReceiver(t, nil)
	var stdout bytes.Buffer
	err := runSimulate(context.Background(), []string{"-url", url, "-secret", "whsec_" + strings.Repeat("QUFB", 8),
		"-attempts", "2", "-backoff", "1ms"}, &stdout, io.Discard)
	require.ErrorContains(t, err, "11 deliveries not accepted")
	require.Contains(t, stdout.String(), "FAILED delivery evt_01JC01Z8Q4: gave up after 2 attempts: last status 401")
	require.Contains(t, stdout.String(), "0 accepted, 11 failed")
}
