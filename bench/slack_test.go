package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// Row 4: how long 300 posts into three channels take to drain under a
// per-channel rate, against the bound the rate sets.
const (
	slackPosts = 300
	// slackPerSecond is Slack's one post a second per channel, ten times
	// faster.
	slackPerSecond = 10.0
	// slackMaxRatio is the target: drain time over the bound.
	slackMaxRatio = 1.15
	// slackAttempts bounds a caller's tries, as a retry policy would.
	slackAttempts = 30
)

var slackChannels = []string{"C0BACKEND", "C0DESIGN", "C0HIRING"}

func benchSlack(t *testing.T, rep *report) {
	d := slackdouble.Start(t, slackdouble.WithPostRate(slackPerSecond, 1))
	p, err := slackpost.New(slackpost.Config{Token: d.Token(), APIURL: d.APIURL(), PostRate: rate.Limit(slackPerSecond)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	ready := make(chan struct{})
	var waited, failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range slackPosts {
		channel := slackChannels[i%len(slackChannels)]
		m := slackpost.Message{
			Text:        fmt.Sprintf("bench post %d", i),
			EventID:     fmt.Sprintf("evt_slackbench_%03d", i),
			CandidateID: fmt.Sprintf("cand_slackbench_%03d", i),
			JobID:       "job_BE42",
		}
		wg.Go(func() {
			<-ready
			for range slackAttempts {
				_, err := p.PostRoot(ctx, channel, m)
				wait, limited := slackpost.IsRateLimited(err)
				if !limited {
					if err != nil {
						failed.Add(1)
						once.Do(func() { firstErr = err })
					}
					return
				}
				// Told to wait (a 429, or the channel paused after one):
				// wait as the activity's retry would, then try again.
				waited.Add(1)
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			failed.Add(1)
		})
	}
	start := time.Now()
	close(ready)
	wg.Wait()
	took := time.Since(start)
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d posts failed, the first: %v", n, slackPosts, firstErr)
	}
	for _, ch := range slackChannels {
		if n := len(d.Messages(ch)); n != slackPosts/len(slackChannels) {
			t.Errorf("%s holds %d messages, want %d", ch, n, slackPosts/len(slackChannels))
		}
	}
	st := d.Stats()
	bound := time.Duration(float64(slackPosts) / (float64(len(slackChannels)) * slackPerSecond) * float64(time.Second))
	r := took.Seconds() / bound.Seconds()
	t.Logf("%d posts drained in %s (bound %s, %.3f ×); the double answered %d with 429; callers told to wait %d times",
		slackPosts, took, bound, r, st.RateLimited, waited.Load())

	met := r <= slackMaxRatio && st.RateLimited == 0
	rep.add(row{
		ID:       "4",
		What:     "Slack: 300 posts into 3 channels under a per-channel rate",
		Measured: fmt.Sprintf("drained in %.2f s; %d answered 429; callers told to wait %d times", took.Seconds(), st.RateLimited, waited.Load()),
		Baseline: fmt.Sprintf("bound: %d posts ÷ (%d channels × %.0f/s) = %.1f s", slackPosts, len(slackChannels), slackPerSecond, bound.Seconds()),
		Ratio:    ratio(r),
		Target:   fmt.Sprintf("≤ %.2f ×, zero 429", slackMaxRatio),
		Met:      yes(met),
		Notes:    fmt.Sprintf("double allows %.0f posts/s per channel, burst 1; poster set to the same (Slack's 1/s, time-scaled ×10)", slackPerSecond),
	})
	rep.finding("**Row 4 (Slack), fixed.** With the poster as it was, this row measured 2.00 × the bound and 187 posts " +
		"answered 429 (2026-11-29, while building this benchmark). The poster paced each channel with a token bucket " +
		"of burst 1 at exactly the limit: posts left the bucket exactly 100 ms apart, but reached the double a varying " +
		"time later (goroutine wake-up, HTTP client, the double's own scheduling on a loaded machine), so whenever one " +
		"post was quicker on its way than the one before, the two arrived less than 100 ms apart and a strict limit " +
		"answered 429; every 429 then paused the channel for Retry-After, a whole second, ten posts' worth. Pacing a " +
		"tenth under the limit (the HubSpot limiter's margin) still measured 1.10–1.12 × with 3 to 8 posts answered " +
		"429 per run under load. The fix, in `activities/slackpost/poster.go`: with a burst of 1 (the default) a " +
		"channel's posts and updates now go one at a time, each a full interval after the previous one's *answer*. " +
		"The previous post reached Slack before its answer came back, so no two arrive closer than the interval " +
		"however the delays vary; the cost is one response time per post (about a millisecond here, a few tens " +
		"of milliseconds against Slack's 1 s interval). After a 429 the next caller, waiting for the channel, now " +
		"sees the pause instead of sending into it. A larger PostBurst keeps the token bucket.")
}
