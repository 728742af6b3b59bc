package hubspot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

func TestBatcherCoalescesConcurrentUpserts(t *testing.T) {
	d, c := setUp(t)
	// Batches close at 100 inputs; the window only bounds the wait for a
	// partial one. A long window keeps a loaded machine (race detector, two
	// cores) from splitting the burst into more partial batches.
	b := hubspot.NewBatcher(c, hubspot.BatcherConfig{Window: 500 * time.Millisecond})

	const n = 1000
	const bad = 617
	type answer struct {
		res hubspot.UpsertResult
		err error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			email := fmt.Sprintf("cand%d@example.com", i)
			if i == bad {
				email = "cand617-at-example.com"
			}
			res, err := b.Upsert(t.Context(), hubspot.UpsertInput{
				Email:      email,
				Properties: map[string]string{hubspot.PropertyCandidateID: fmt.Sprintf("cand_%d", i)},
			})
			answers[i] = answer{res, err}
		})
	}
	wg.Wait()

	require.LessOrEqual(t, d.Calls(hubspotdouble.EndpointBatchUpsert), 12)
	for i, a := range answers {
		if i == bad {
			require.Error(t, a.err)
			require.True(t, hubspot.IsPermanent(a.err), a.err)
			require.Contains(t, a.err.Error(), "INVALID_EMAIL")
			continue
		}
		require.NoError(t, a.err, "caller %d", i)
		require.Equal(t, fmt.Sprintf("cand%d@example.com", i), a.res.Email)
		require.Equal(t, fmt.Sprintf("cand_%d", i), a.res.Properties[hubspot.PropertyCandidateID])
		require.True(t, a.res.Created)
	}
	require.Len(t, d.Contacts(), n-1)
}

func TestBatcherSendsSameEmailInSeparateBatches(t *testing.T) {
	d, c := setUp(t)
	b := hubspot.NewBatcher(c, hubspot.BatcherConfig{Window: 100 * time.Millisecond})

	var wg sync.WaitGroup
	results := make([]hubspot.UpsertResult, 3)
	errs := make([]error, 3)
	stages := []string{"applied", "screen", "other@example.com"}
	for i := range 3 {
		wg.Go(func() {
			email := "same@example.com"
			props := map[string]string{hubspot.PropertyStage: stages[i]}
			if i == 2 {
				email, props = stages[i], nil
			}
			results[i], errs[i] = b.Upsert(t.Context(), hubspot.UpsertInput{Email: email, Properties: props})
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, results[0].ID, results[1].ID)
	require.Equal(t, 2, d.Calls(hubspotdouble.EndpointBatchUpsert), "one batch per write of the same email")
	same, _ := d.Contact("same@example.com")
	require.Contains(t, []string{"applied", "screen"}, same.Properties[hubspot.PropertyStage])
	require.True(t, results[0].Properties[hubspot.PropertyStage] == "applied" && results[1].Properties[hubspot.PropertyStage] == "screen",
		"each caller sees its own write")
}

func TestBatcherCoalescesReads(t *testing.T) {
	d, c := setUp(t)
	for i := range 20 {
		d.AddContact(fmt.Sprintf("r%d@example.com", i), map[string]string{hubspot.PropertyLifecycleStage: hubspot.StageLead})
	}
	b := hubspot.NewBatcher(c, hubspot.BatcherConfig{})
	type answer struct {
		found bool
		stage string
		err   error
	}
	answers := make([]answer, 40)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			email := fmt.Sprintf("r%d@example.com", i%30) // 20 exist, 10 do not, 10 asked twice
			ct, found, err := b.Read(t.Context(), email)
			answers[i] = answer{found, ct.Properties[hubspot.PropertyLifecycleStage], err}
		})
	}
	wg.Wait()
	require.Equal(t, 1, d.Calls(hubspotdouble.EndpointBatchRead))
	for i, a := range answers {
		require.NoError(t, a.err)
		require.Equal(t, i%30 < 20, a.found, "caller %d", i)
		if a.found {
			require.Equal(t, hubspot.StageLead, a.stage)
		}
	}
}

func TestBatcherCallerWhoseContextEndsStopsWaiting(t *testing.T) {
	d, c := setUp(t)
	b := hubspot.NewBatcher(c, hubspot.BatcherConfig{Window: 20 * time.Millisecond})
	d.SetLatency(300 * time.Millisecond)

	var wg sync.WaitGroup
	var patientErr error
	wg.Go(func() {
		_, patientErr = b.Upsert(t.Context(), hubspot.UpsertInput{Email: "patient@example.com"})
	})
	start := time.Now()
	_, err := b.Upsert(ctxTimeout(t, 50*time.Millisecond), hubspot.UpsertInput{Email: "hasty@example.com"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 250*time.Millisecond, "the hasty caller did not wait for the batch")
	wg.Wait()
	require.NoError(t, patientErr, "one caller giving up does not fail the others")
	_, ok := d.Contact("patient@example.com")
	require.True(t, ok)
}

func TestBatcherSendsBatchesConcurrently(t *testing.T) {
	d, c := setUp(t)
	b := hubspot.NewBatcher(c, hubspot.BatcherConfig{MaxBatch: 1})
	d.SetLatency(200 * time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			_, err := b.Upsert(t.Context(), hubspot.UpsertInput{Email: fmt.Sprintf("slow%d@example.com", i)})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 5, d.Calls(hubspotdouble.EndpointBatchUpsert))
	require.Less(t, time.Since(start), 800*time.Millisecond, "five 200 ms batches one after the other would take a second")
}

// TestBatcherSplitsABatchRefusedWhole uses a server that, like HubSpot
// without multi-status, refuses a whole batch for one bad input.
func TestBatcherSplitsABatchRefusedWhole(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var req struct {
			Inputs []struct {
				ID                 string `json:"id"`
				ObjectWriteTraceID string `json:"objectWriteTraceId"`
			} `json:"inputs"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		var results []map[string]any
		for _, in := range req.Inputs {
			if strings.HasPrefix(in.ID, "bad") {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"status":"error","message":"Property values were not valid","correlationId":"c1","category":"VALIDATION_ERROR"}`))
				return
			}
			results = append(results, map[string]any{"id": "1", "new": true, "properties": map[string]string{"email": in.ID}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "COMPLETE", "results": results})
	}))
	defer srv.Close()

	b := hubspot.NewBatcher(hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", Limit: fast}), hubspot.BatcherConfig{Window: 50 * time.Millisecond})
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			email := fmt.Sprintf("ok%d@example.com", i)
			if i == 11 {
				email = "bad@example.com"
			}
			_, errs[i] = b.Upsert(t.Context(), hubspot.UpsertInput{Email: email})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i == 11 {
			require.True(t, hubspot.IsPermanent(err), err)
			continue
		}
		require.NoError(t, err, "caller %d", i)
	}
	require.LessOrEqual(t, calls.Load(), int32(16), "halving finds the bad input in a few calls")
}
