package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
)

// item is one delivery, with its event parsed for the direct (no HTTP)
// baseline.
type item struct {
	d  clarityhire.Delivery
	ev hiresync.Event
}

// items generates the stories of n candidates whose ids start with prefix
// (letters and digits only), parsed, at most limit of them (all for 0).
func items(t *testing.T, candidates int, prefix string, limit int) []item {
	t.Helper()
	ds := clarityhire.Stories(clarityhire.StoryOptions{Candidates: candidates, Seed: 1, Prefix: prefix})
	if limit > 0 && len(ds) > limit {
		ds = ds[:limit]
	}
	out := make([]item, len(ds))
	for i, d := range ds {
		ev, err := ingress.ParseEvent(d.Body)
		if err != nil {
			t.Fatalf("delivery %s: %v", d.ID, err)
		}
		out[i] = item{d: d, ev: ev}
	}
	return out
}

func deliveries(its []item) []clarityhire.Delivery {
	out := make([]clarityhire.Delivery, len(its))
	for i, it := range its {
		out[i] = it.d
	}
	return out
}

// sendFunc delivers one item and returns how long the delivery itself
// took (preparation such as signing excluded).
type sendFunc func(ctx context.Context, it item) (time.Duration, error)

// httpClient keeps one idle keep-alive connection per sender.
func httpClient(senders int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second, // ClarityHire's
		Transport: &http.Transport{
			MaxIdleConns:        senders,
			MaxIdleConnsPerHost: senders,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// viaHTTP posts the signed delivery to the ingress and wants a 202.
func viaHTTP(c *http.Client, url string, keys []signature.Key) sendFunc {
	return func(ctx context.Context, it item) (time.Duration, error) {
		ts := time.Now().Unix()
		sigs := make([]string, len(keys))
		for i, k := range keys {
			sigs[i] = signature.Sign(k, it.d.ID, ts, it.d.Body)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(it.d.Body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(signature.HeaderID, it.d.ID)
		req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(signature.HeaderSignature, strings.Join(sigs, " "))
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusAccepted {
			err := fmt.Errorf("delivery %s: status %d: %s", it.d.ID, resp.StatusCode, body)
			if secs, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil && secs > 0 {
				return took, &retryAfterError{err: err, after: time.Duration(secs) * time.Second}
			}
			return took, err
		}
		return took, nil
	}
}

// viaSDK makes the ingress's signal-with-start call directly: the same
// workflow id, options, signal and arguments (ingress.Server.handle).
func viaSDK(c client.Client, taskQueue string) sendFunc {
	return func(ctx context.Context, it item) (time.Duration, error) {
		ev := it.ev
		ev.ReceivedAt = time.Now().UTC()
		wid := hiresync.WorkflowID(ev.Data.Candidate.ID)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.SignalWithStartWorkflow(ctx, wid, hiresync.SignalName, ev, ingress.StartOptions(taskQueue, ev),
			hiresync.WorkflowType, hiresync.NewState(ev.Data.Candidate.ID))
		return time.Since(start), err
	}
}

// retryAfterError is an answer that asked, with Retry-After, to be tried
// again no sooner than after (the ingress's 503: 5 s).
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// retried is f tried up to attempts times, pause apart or as long as a
// Retry-After asked, as ClarityHire retries a delivery that failed (at once,
// then after 5 s, …); delivered, if set, may take an error as proof that an
// earlier attempt got through. Each retry is counted.
func retried(f sendFunc, attempts int, pause time.Duration, delivered func(error) bool, retries *atomic.Int64) sendFunc {
	return func(ctx context.Context, it item) (time.Duration, error) {
		var took time.Duration
		var err error
		for i := range attempts {
			if i > 0 {
				retries.Add(1)
				wait := pause
				if ra := (*retryAfterError)(nil); errors.As(err, &ra) {
					wait = max(wait, ra.after)
				}
				select {
				case <-ctx.Done():
					return took, err
				case <-time.After(wait):
				}
			}
			took, err = f(ctx, it)
			if err == nil || i > 0 && delivered != nil && delivered(err) {
				return took, nil
			}
		}
		return took, err
	}
}

// round is what one batch of deliveries came to.
type round struct {
	lat    []time.Duration // of the successful deliveries
	wall   time.Duration
	errors int
	first  error
}

// send delivers its with senders concurrent senders, in order, and times
// each delivery and the whole.
func send(ctx context.Context, its []item, senders int, f sendFunc) round {
	next := make(chan int, len(its))
	for i := range its {
		next <- i
	}
	close(next)
	shared := func(yield func(int) bool) {
		for i := range next {
			if !yield(i) {
				return
			}
		}
	}
	return deliver(ctx, its, f, senders, func(int) iter.Seq[int] { return shared })
}

// sendOrdered is send with each candidate's deliveries in order: a
// candidate's events all go through one sender, one after the other, as
// ClarityHire sends them, and candidates are dealt to the senders in turn.
func sendOrdered(ctx context.Context, its []item, senders int, f sendFunc) round {
	lanes := make([][]int, senders)
	lane := map[string]int{}
	for i, it := range its {
		c := it.ev.Data.Candidate.ID
		l, ok := lane[c]
		if !ok {
			l = len(lane) % senders
			lane[c] = l
		}
		lanes[l] = append(lanes[l], i)
	}
	return deliver(ctx, its, f, senders, func(s int) iter.Seq[int] { return slices.Values(lanes[s]) })
}

// deliver runs senders goroutines, sender s delivering the items whose
// indexes work(s) yields, and times each delivery and the whole.
func deliver(ctx context.Context, its []item, f sendFunc, senders int, work func(sender int) iter.Seq[int]) round {
	lat := make([]time.Duration, len(its))
	ok := make([]bool, len(its))
	var errs atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for s := range senders {
		wg.Go(func() {
			for i := range work(s) {
				d, err := f(ctx, its[i])
				if err != nil {
					errs.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				lat[i], ok[i] = d, true
			}
		})
	}
	wg.Wait()
	r := round{wall: time.Since(start), errors: int(errs.Load()), first: firstErr}
	for i, d := range lat {
		if ok[i] {
			r.lat = append(r.lat, d)
		}
	}
	return r
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(k, 0), len(s)-1)]
}
