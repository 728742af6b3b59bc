package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// Row 3: HubSpot calls for a burst of new candidates.
const (
	hubspotContacts = 1000
	// hubspotMaxPerContact is the target: calls per contact, reads included.
	hubspotMaxPerContact = 0.025
)

// hubspotLimit is HubSpot's 100 requests per 10 s, ten times faster.
var hubspotLimit = hubspot.Limit{Requests: 100, Interval: time.Second}

func benchHubSpot(t *testing.T, rep *report) {
	hub, err := hubspotdouble.Start(hubspotdouble.Options{RateLimit: hubspotLimit.Requests, RateWindow: hubspotLimit.Interval})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := hubspot.Setup(ctx, hubspot.New(hubspot.Config{BaseURL: hub.URL(), Token: hub.Token(), Limit: hubspotLimit}), quiet); err != nil {
		t.Fatal(err)
	}
	time.Sleep(hubspotLimit.Interval + 100*time.Millisecond) // the set-up's calls leave the double's window
	before := hub.Counters()

	// One client, batcher and syncer, as a worker holds them.
	var batches, batchInputs atomic.Int64
	client := hubspot.New(hubspot.Config{BaseURL: hub.URL(), Token: hub.Token(), Limit: hubspotLimit})
	batcher := hubspot.NewBatcher(client, hubspot.BatcherConfig{ObserveBatch: func(_ string, n int) {
		batches.Add(1)
		batchInputs.Add(int64(n))
	}})
	syncer, err := hubspot.NewSyncer(batcher, "")
	if err != nil {
		t.Fatal(err)
	}

	ready := make(chan struct{})
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range hubspotContacts {
		wg.Go(func() {
			<-ready
			// A candidate's first event: who they are and where they
			// applied, and lifecyclestage=other if HubSpot has none.
			_, err := syncer.Sync(ctx, hubspot.Change{
				Email: fmt.Sprintf("cand_burst%04d@example.com", i),
				Properties: map[string]string{
					hubspot.PropertyFirstName:   "Ada",
					hubspot.PropertyLastName:    fmt.Sprintf("Burst%d", i),
					hubspot.PropertyCandidateID: fmt.Sprintf("cand_burst%04d", i),
					hubspot.PropertySourceJob:   "Senior Backend Engineer",
					hubspot.PropertyProfileURL:  fmt.Sprintf("https://app.clarityhire.com/candidates/cand_burst%04d", i),
				},
				Lifecycle: hubspot.InitialStage,
			})
			if err != nil {
				failed.Add(1)
				once.Do(func() { firstErr = err })
			}
		})
	}
	start := time.Now()
	close(ready)
	wg.Wait()
	took := time.Since(start)
	after := hub.Counters()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d syncs failed, the first: %v", n, hubspotContacts, firstErr)
	}

	calls, reads, upserts := 0, 0, 0
	for endpoint, n := range after.Calls {
		d := n - before.Calls[endpoint]
		calls += d
		switch endpoint {
		case hubspotdouble.EndpointBatchRead:
			reads += d
		case hubspotdouble.EndpointBatchUpsert:
			upserts += d
		}
	}
	limited := after.RateLimited - before.RateLimited
	contacts := 0
	for _, c := range hub.Contacts() {
		if c.Properties[hubspot.PropertyLifecycleStage] == hubspot.StageOther && c.Properties[hubspot.PropertyCandidateID] != "" {
			contacts++
		}
	}
	if contacts != hubspotContacts {
		t.Errorf("%d contacts with lifecyclestage other and a candidate id, want %d", contacts, hubspotContacts)
	}
	perContact := float64(calls) / hubspotContacts
	t.Logf("%d calls (%d reads, %d upserts, %d batches of %.1f on average) for %d contacts in %s, %d answered 429",
		calls, reads, upserts, batches.Load(), float64(batchInputs.Load())/float64(max(batches.Load(), 1)), hubspotContacts, took, limited)

	met := perContact <= hubspotMaxPerContact && limited == 0 && contacts == hubspotContacts
	rep.add(row{
		ID:       "3",
		What:     "HubSpot calls for a burst of 1,000 new candidates",
		Measured: fmt.Sprintf("%d calls (%d batch reads, %d batch upserts), %d answered 429; done in %.1f s", calls, reads, upserts, limited, took.Seconds()),
		Baseline: fmt.Sprintf("one call per contact: %d calls", hubspotContacts),
		Ratio:    fmt.Sprintf("%.3f calls per contact", perContact),
		Target:   fmt.Sprintf("≤ %.3f calls per contact, zero 429", hubspotMaxPerContact),
		Met:      yes(met),
		Notes: fmt.Sprintf("double enforces %d per rolling %s and the client is set to the same (HubSpot's 100 per 10 s, time-scaled ×10); %d contacts as mapped",
			hubspotLimit.Requests, hubspotLimit.Interval, contacts),
	})
}
