package slackpost_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// newPoster is a Poster on the double, with the rate limit off unless mod
// sets it.
func newPoster(t *testing.T, d *slackdouble.Server, mod func(*slackpost.Config)) *slackpost.Poster {
	t.Helper()
	cfg := slackpost.Config{Token: d.Token(), APIURL: d.APIURL(), PostRate: rate.Inf}
	if mod != nil {
		mod(&cfg)
	}
	p, err := slackpost.New(cfg)
	require.NoError(t, err)
	return p
}

func msg(eventID string) slackpost.Message {
	return slackpost.Message{Text: "event " + eventID, EventID: eventID, CandidateID: "cand_1", JobID: "job_1"}
}

func payload(t *testing.T, m slackdouble.Message) map[string]string {
	t.Helper()
	require.NotNil(t, m.Metadata)
	assert.Equal(t, slackpost.MetadataEventType, m.Metadata.EventType)
	var p map[string]string
	require.NoError(t, json.Unmarshal(m.Metadata.EventPayload, &p))
	return p
}

func TestNew(t *testing.T) {
	_, err := slackpost.New(slackpost.Config{})
	require.Error(t, err, "a token is required")

	d := slackdouble.Start(t)
	p := newPoster(t, d, func(c *slackpost.Config) { c.APIURL = strings.TrimSuffix(d.APIURL(), "/") })
	resp, err := p.AuthTest(t.Context())
	require.NoError(t, err, "an API URL without its trailing slash works")
	assert.NotEmpty(t, resp.BotID)
}

func TestPostEachMessageKind(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()

	first := sample(t, hiresync.ApplicationSubmitted)
	view := rootView(first, label(first))
	root, err := p.PostRoot(ctx, "C1", slackpost.Root(view))
	require.NoError(t, err)

	stored, found := d.Message("C1", root)
	require.True(t, found)
	assert.Equal(t, "Ada Okafor · Senior Backend Engineer · Applied", stored.Text)
	assert.Contains(t, string(stored.Blocks), `"url":"https://app.clarityhire.com/candidates/cand_7Q2KXW"`)
	assert.Contains(t, string(stored.Blocks), `"action_id":"open_profile"`)
	assert.Equal(t, map[string]string{"event_id": first.ID, "candidate_id": "cand_7Q2KXW", "job_id": "job_BE42"}, payload(t, stored))

	for _, eventType := range hiresync.EventTypes[1:] {
		e := sample(t, eventType)
		_, err := p.Reply(ctx, "C1", root, slackpost.Reply(e))
		require.NoError(t, err, eventType)
	}
	replies := d.Replies("C1", root)
	require.Len(t, replies, len(hiresync.EventTypes)-1)
	for i, r := range replies {
		e := sample(t, hiresync.EventTypes[i+1])
		assert.Equal(t, slackpost.Reply(e).Text, r.Text)
		assert.Equal(t, map[string]string{"event_id": e.ID, "candidate_id": "cand_7Q2KXW", "job_id": "job_BE42"}, payload(t, r))
	}

	hired := sample(t, hiresync.CandidateHired)
	view.Status = label(hired)
	require.NoError(t, p.Update(ctx, "C1", root, slackpost.Root(view)))
	stored, _ = d.Message("C1", root)
	assert.Equal(t, "Ada Okafor · Senior Backend Engineer · Hired", stored.Text)
	assert.Contains(t, string(stored.Blocks), `*Status*\nHired`)
	assert.Equal(t, first.ID, stored.EventID(), "the root keeps the id of the event that posted it")
	assert.Len(t, d.Messages("C1"), 1)
}

func TestRefusedBeforeSlack(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()
	noID := msg("")

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"root without event id", func() error { _, err := p.PostRoot(ctx, "C1", noID); return err }, "missing_event_id"},
		{"root without channel", func() error { _, err := p.PostRoot(ctx, "", msg("evt_1")); return err }, "missing_channel"},
		{"reply without thread", func() error { _, err := p.Reply(ctx, "C1", "", msg("evt_1")); return err }, "missing_thread_ts"},
		{"update without event id", func() error { return p.Update(ctx, "C1", "1.1", noID) }, "missing_event_id"},
		{"find without event id", func() error { _, _, err := p.FindPosted(ctx, "C1", "", ""); return err }, "missing_event_id"},
		// Ids the ingress would have refused are refused, never cleaned.
		{"root with an invalid event id", func() error { _, err := p.PostRoot(ctx, "C1", msg("evt 1")); return err }, "invalid_id"},
		{"reply with a hostile event id", func() error { _, err := p.Reply(ctx, "C1", "1.1", msg(hostile)); return err }, "invalid_id"},
		{"update with an invalid candidate id", func() error {
			m := msg("evt_1")
			m.CandidateID = "cand_[redacted]"
			return p.Update(ctx, "C1", "1.1", m)
		}, "invalid_id"},
		{"find with an invalid event id", func() error { _, _, err := p.FindPosted(ctx, "C1", "", "evt_[redacted]"); return err }, "invalid_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pe *slackpost.PermanentError
			require.ErrorAs(t, tt.call(), &pe)
			assert.Equal(t, tt.code, pe.Code)
		})
	}
	assert.Empty(t, d.Stats().Requests)
}

func TestFindPosted(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()

	start := time.Now()
	var roots []string
	for i := range 5 {
		ts, err := p.PostRoot(ctx, "C1", msg(fmt.Sprintf("evt_root%d", i)))
		require.NoError(t, err)
		roots = append(roots, ts)
	}
	reply, err := p.Reply(ctx, "C1", roots[0], msg("evt_reply"))
	require.NoError(t, err)
	_, err = p.PostRoot(ctx, "C1", slackpost.Message{Text: "someone else's message with the same id in plain text: evt_root0", EventID: "other"})
	require.NoError(t, err)

	tests := []struct {
		name              string
		pageSize, pages   int
		threadTS, eventID string
		wantTS            string
		wantFound         bool
	}{
		{"newest root", 0, 0, "", "evt_root4", roots[4], true},
		{"oldest root, paging", 2, 3, "", "evt_root0", roots[0], true},
		{"oldest root, beyond the pages read", 2, 2, "", "evt_root0", "", false},
		{"reply in its thread", 0, 0, roots[0], "evt_reply", reply, true},
		{"a reply is not a root", 0, 0, "", "evt_reply", "", false},
		{"not posted", 0, 0, "", "evt_never", "", false},
		{"not in that thread", 0, 0, roots[1], "evt_reply", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPoster(t, d, func(c *slackpost.Config) { c.PageSize, c.MaxPages = tt.pageSize, tt.pages })
			ts, found, err := p.FindPosted(ctx, "C1", tt.threadTS, tt.eventID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantFound, found)
			assert.Equal(t, tt.wantTS, ts)
		})
	}

	// Bounded by time instead of pages: the whole channel since the event
	// was received (less the clock skew allowed), however many pages.
	narrow := newPoster(t, d, func(c *slackpost.Config) { c.PageSize, c.MaxPages = 2, 2 })
	ts, found, err := narrow.FindPostedSince(ctx, "C1", "", "evt_root0", start)
	require.NoError(t, err)
	assert.True(t, found, "found beyond MaxPages")
	assert.Equal(t, roots[0], ts)
	_, found, err = narrow.FindPostedSince(ctx, "C1", "", "evt_root0", start.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, found, "posted before the event was received: not read")

	_, _, err = p.FindPosted(ctx, "C1", "1700000000.000001", "evt_reply")
	var pe *slackpost.PermanentError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "thread_not_found", pe.Code)
}

// postOnce is how an activity posts without posting twice: look first, post
// only if nothing is there.
func postOnce(ctx context.Context, p *slackpost.Poster, channel, threadTS string, m slackpost.Message) (string, error) {
	ts, found, err := p.FindPosted(ctx, channel, threadTS, m.EventID)
	switch {
	case err != nil:
		return "", err
	case found:
		return ts, nil
	case threadTS == "":
		return p.PostRoot(ctx, channel, m)
	}
	return p.Reply(ctx, channel, threadTS, m)
}

func TestLostResponseIsAdoptedNotPostedTwice(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()

	d.LoseNext(slackdouble.MethodPostMessage, 1, 0) // stored, connection closed
	_, err := postOnce(ctx, p, "C1", "", msg("evt_root"))
	require.Error(t, err)
	assert.False(t, slackpost.IsPermanent(err), "a lost answer is retryable: %v", err)

	root, err := postOnce(ctx, p, "C1", "", msg("evt_root")) // the retry
	require.NoError(t, err)
	stored := d.MessagesForEvent("evt_root")
	require.Len(t, stored, 1)
	assert.Equal(t, stored[0].TS, root, "the retry adopted the stored message")

	d.LoseNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError) // stored, answered 500
	_, err = postOnce(ctx, p, "C1", root, msg("evt_reply"))
	require.Error(t, err)
	reply, err := postOnce(ctx, p, "C1", root, msg("evt_reply"))
	require.NoError(t, err)
	stored = d.MessagesForEvent("evt_reply")
	require.Len(t, stored, 1)
	assert.Equal(t, stored[0].TS, reply)
	assert.Equal(t, 2, d.Stats().Posts)
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(d *slackdouble.Server, cfg *slackpost.Config)
		permanent  string
		retryAfter time.Duration
	}{
		{name: "500 is retryable", setup: func(d *slackdouble.Server, _ *slackpost.Config) {
			d.FailNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError)
		}},
		{name: "503 is retryable", setup: func(d *slackdouble.Server, _ *slackpost.Config) {
			d.FailNext(slackdouble.MethodPostMessage, 1, http.StatusServiceUnavailable)
		}},
		{name: "429 with Retry-After", setup: func(d *slackdouble.Server, _ *slackpost.Config) {
			d.RateLimitNext(slackdouble.MethodPostMessage, 1, 7*time.Second)
		}, retryAfter: 7 * time.Second},
		{name: "429 without Retry-After", setup: func(d *slackdouble.Server, _ *slackpost.Config) {
			d.SetRetryAfterHeader(false)
			d.RateLimitNext(slackdouble.MethodPostMessage, 1, 7*time.Second)
		}, retryAfter: slackpost.DefaultRetryAfter},
		{name: "channel_not_found is permanent", setup: func(d *slackdouble.Server, _ *slackpost.Config) {
			d.SetChannelError("C1", "channel_not_found")
		}, permanent: "channel_not_found"},
		{name: "invalid_auth is permanent", setup: func(_ *slackdouble.Server, cfg *slackpost.Config) {
			cfg.Token = "xoxb-wrong"
		}, permanent: "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := slackdouble.Start(t)
			p := newPoster(t, d, func(c *slackpost.Config) { tt.setup(d, c) })
			_, err := p.PostRoot(t.Context(), "C1", msg("evt_1"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "post root message to C1")
			assert.False(t, slackpost.IsUnavailable(err))

			wait, limited := slackpost.IsRateLimited(err)
			assert.Equal(t, tt.retryAfter != 0, limited, "rate limited: %v", err)
			assert.Equal(t, tt.retryAfter, wait)

			var pe *slackpost.PermanentError
			if tt.permanent != "" {
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tt.permanent, pe.Code)
			} else {
				assert.False(t, errors.As(err, &pe), "retryable: %v", err)
			}
			assert.Equal(t, gobreaker.StateClosed, p.BreakerState())
		})
	}
}

func TestAuthTest(t *testing.T) {
	d := slackdouble.Start(t)
	resp, err := newPoster(t, d, nil).AuthTest(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, resp.TeamID)

	_, err = newPoster(t, d, func(c *slackpost.Config) { c.Token = "xoxb-wrong" }).AuthTest(t.Context())
	assert.True(t, slackpost.IsPermanent(err), "%v", err)
}

// cancelOnSend cancels the call's context as the request leaves, as a caller
// giving up mid-call would.
type cancelOnSend struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (c *cancelOnSend) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.cancel()
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestBreakerOpens(t *testing.T) {
	const failures = 3
	tests := []struct {
		name  string
		setup func(t *testing.T, d *slackdouble.Server, cfg *slackpost.Config)
	}{
		{"on 5xx", func(_ *testing.T, d *slackdouble.Server, _ *slackpost.Config) {
			d.FailNext(slackdouble.MethodPostMessage, 100, http.StatusInternalServerError)
		}},
		{"on timeouts", func(_ *testing.T, d *slackdouble.Server, cfg *slackpost.Config) {
			d.SetDelay("", time.Minute)
			cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
		}},
		{"on connection errors", func(t *testing.T, _ *slackdouble.Server, cfg *slackpost.Config) {
			gone := slackdouble.Start(t)
			cfg.APIURL = gone.APIURL()
			require.NoError(t, gone.Close())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := slackdouble.Start(t)
			p := newPoster(t, d, func(c *slackpost.Config) {
				c.BreakerFailures = failures
				tt.setup(t, d, c)
			})
			ctx := t.Context()
			for i := range failures {
				_, err := p.PostRoot(ctx, fmt.Sprintf("C%d", i), msg("evt_1"))
				require.Error(t, err)
				assert.False(t, slackpost.IsUnavailable(err), "call %d reached Slack", i)
			}
			assert.Equal(t, gobreaker.StateOpen, p.BreakerState())
			requests := d.Stats().Requests[slackdouble.MethodPostMessage]

			_, err := p.PostRoot(ctx, "C9", msg("evt_1"))
			assert.True(t, slackpost.IsUnavailable(err), "%v", err)
			assert.ErrorIs(t, err, gobreaker.ErrOpenState)
			_, _, err = p.FindPosted(ctx, "C9", "", "evt_1")
			assert.True(t, slackpost.IsUnavailable(err), "one breaker for every call: %v", err)
			assert.Equal(t, requests, d.Stats().Requests[slackdouble.MethodPostMessage], "fails fast, without calling Slack")
		})
	}
}

func TestBreakerStaysClosed(t *testing.T) {
	const failures, calls = 3, 10
	tests := []struct {
		name  string
		setup func(d *slackdouble.Server, cfg *slackpost.Config, cancel *cancelOnSend)
		check func(t *testing.T, err error)
	}{
		{"on 429", func(d *slackdouble.Server, _ *slackpost.Config, _ *cancelOnSend) {
			d.RateLimitNext(slackdouble.MethodPostMessage, calls, time.Second)
		}, func(t *testing.T, err error) {
			_, limited := slackpost.IsRateLimited(err)
			assert.True(t, limited, "%v", err)
		}},
		{"on permanent errors", func(d *slackdouble.Server, _ *slackpost.Config, _ *cancelOnSend) {
			for i := range calls {
				d.SetChannelError(fmt.Sprintf("C%d", i), "is_archived")
			}
		}, func(t *testing.T, err error) {
			assert.True(t, slackpost.IsPermanent(err), "%v", err)
		}},
		{"on cancelled calls", func(_ *slackdouble.Server, cfg *slackpost.Config, cancel *cancelOnSend) {
			cfg.HTTPClient = &http.Client{Transport: cancel}
		}, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, context.Canceled)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := slackdouble.Start(t)
			cancel := &cancelOnSend{cancel: func() {}}
			p := newPoster(t, d, func(c *slackpost.Config) {
				c.BreakerFailures = failures
				tt.setup(d, c, cancel)
			})
			for i := range calls {
				ctx, stop := context.WithCancel(t.Context())
				cancel.mu.Lock()
				cancel.cancel = stop
				cancel.mu.Unlock()
				_, err := p.PostRoot(ctx, fmt.Sprintf("C%d", i), msg("evt_1"))
				stop()
				require.Error(t, err)
				tt.check(t, err)
				assert.False(t, slackpost.IsUnavailable(err))
			}
			assert.Equal(t, gobreaker.StateClosed, p.BreakerState())
		})
	}
}

func TestBreakerRecovers(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, func(c *slackpost.Config) {
		c.BreakerFailures = 1
		c.BreakerOpenFor = 50 * time.Millisecond
	})
	ctx := t.Context()
	d.FailNext(slackdouble.MethodPostMessage, 1, http.StatusServiceUnavailable)
	_, err := p.PostRoot(ctx, "C1", msg("evt_1"))
	require.Error(t, err)
	require.Equal(t, gobreaker.StateOpen, p.BreakerState())

	require.Eventually(t, func() bool {
		_, err := p.PostRoot(ctx, "C1", msg("evt_1"))
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "a trial call after BreakerOpenFor closes the breaker")
	assert.Equal(t, gobreaker.StateClosed, p.BreakerState())
}

func TestRateLimit(t *testing.T) {
	// Time scaled: 20 posts a second instead of one. The double tolerates a
	// burst of two, which absorbs the jitter between the two clocks.
	const perSecond, posts = 20, 4
	burst := func(t *testing.T, p *slackpost.Poster, n int) []error {
		t.Helper()
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = p.PostRoot(t.Context(), "C1", msg(fmt.Sprintf("evt_%d", i))) })
		}
		wg.Wait()
		return errs
	}

	t.Run("a burst into one channel waits its turn", func(t *testing.T) {
		d := slackdouble.Start(t, slackdouble.WithPostRate(perSecond, 2))
		p := newPoster(t, d, func(c *slackpost.Config) { c.PostRate = perSecond })
		start := time.Now()
		for _, err := range burst(t, p, posts) {
			require.NoError(t, err)
		}
		assert.GreaterOrEqual(t, time.Since(start), (posts-1)*time.Second/perSecond-10*time.Millisecond)
		assert.Zero(t, d.Stats().RateLimited)
		assert.Len(t, d.Messages("C1"), posts)
	})

	t.Run("without the limiter the double pushes back", func(t *testing.T) {
		d := slackdouble.Start(t, slackdouble.WithPostRate(perSecond, 2))
		p := newPoster(t, d, nil) // rate.Inf
		limited := 0
		for _, err := range burst(t, p, 2*posts) {
			if _, ok := slackpost.IsRateLimited(err); ok {
				limited++
			}
		}
		assert.Positive(t, limited)
		assert.Positive(t, d.Stats().RateLimited)
	})

	t.Run("limits are per channel and cover updates", func(t *testing.T) {
		d := slackdouble.Start(t)
		p := newPoster(t, d, func(c *slackpost.Config) { c.PostRate = 0 }) // the default, 1 a second
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		root, err := p.PostRoot(ctx, "C1", msg("evt_1"))
		require.NoError(t, err)
		_, err = p.PostRoot(ctx, "C2", msg("evt_2"))
		require.NoError(t, err, "another channel does not wait")

		short, cancelShort := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancelShort()
		_, err = p.PostRoot(short, "C1", msg("evt_3"))
		require.Error(t, err, "the next post into C1 must wait a second, longer than ctx allows")
		err = p.Update(short, "C1", root, msg("evt_1"))
		require.Error(t, err, "an update takes its turn too")
		assert.Equal(t, 2, d.Stats().Requests[slackdouble.MethodPostMessage])
		assert.Zero(t, d.Stats().Requests[slackdouble.MethodUpdate])
	})

	t.Run("a 429 is waited out, not hammered", func(t *testing.T) {
		d := slackdouble.Start(t)
		p := newPoster(t, d, nil)
		d.RateLimitNext(slackdouble.MethodPostMessage, 1, 5*time.Second)
		_, err := p.PostRoot(t.Context(), "C1", msg("evt_1"))
		wait, limited := slackpost.IsRateLimited(err)
		require.True(t, limited)
		assert.Equal(t, 5*time.Second, wait)

		_, err = p.PostRoot(t.Context(), "C1", msg("evt_1"))
		wait, limited = slackpost.IsRateLimited(err)
		require.True(t, limited, "%v", err)
		assert.Greater(t, wait, time.Duration(0))
		assert.LessOrEqual(t, wait, 5*time.Second)
		assert.Equal(t, 1, d.Stats().Requests[slackdouble.MethodPostMessage], "the second call did not reach Slack")

		_, err = p.PostRoot(t.Context(), "C2", msg("evt_2"))
		require.NoError(t, err, "other channels carry on")
	})
}

func TestNoContactDetailsReachSlack(t *testing.T) {
	d := slackdouble.Start(t)
	p := newPoster(t, d, nil)
	ctx := t.Context()
	// Event and candidate ids passed the ingress's rules (a hostile one is
	// refused: TestRefusedBeforeSlack); the job id is checked there too, but
	// the poster does not rely on it: a hostile one is left out of the
	// metadata.
	event := func(eventType string) hiresync.Event {
		e := hostileEvent(eventType)
		e.ID, e.Data.Candidate.ID = "evt_"+eventType, "cand_1"
		return e
	}
	first := event(hiresync.ApplicationSubmitted)
	root, err := p.PostRoot(ctx, "C1", slackpost.Root(rootView(first, hostile)))
	require.NoError(t, err)
	for _, eventType := range append(slicesClone(hiresync.EventTypes), "unknown.type") {
		_, err := p.Reply(ctx, "C1", root, slackpost.Reply(event(eventType)))
		require.NoError(t, err, eventType)
	}
	_, found, err := p.FindPosted(ctx, "C1", "", first.ID)
	require.NoError(t, err)
	assert.True(t, found, "the root is found by its event id")
	stored, _ := d.Message("C1", root)
	assert.Equal(t, map[string]string{"event_id": first.ID, "candidate_id": "cand_1", "job_id": ""}, payload(t, stored))

	resp, err := http.Get(d.URL() + slackdouble.StatePath)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	// Slack timestamps are digits that could hold a forbidden fragment
	// ("…955528" holds "555"): leave them out of the search.
	state := regexp.MustCompile(`"(ts|thread_ts|latest_reply|edited_ts)": *"[0-9.]*"`).ReplaceAllString(strings.ToLower(string(body)), "")
	require.Contains(t, state, "[redacted]")
	for _, f := range forbidden {
		if f == "<!channel>" || f == "<https://evil" {
			continue // the state's JSON escapes "<"; checked on the texts below
		}
		assert.NotContains(t, state, strings.ToLower(f))
	}
	for _, m := range append(d.Messages("C1"), d.Replies("C1", root)...) {
		assert.NotContains(t, m.Text, "<!channel>")
		assert.NotContains(t, string(m.Blocks), "<!channel>")
	}
}
