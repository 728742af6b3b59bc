package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

func TestBatchUpsertContacts(t *testing.T) {
	d, c := setUp(t)
	d.AddContact("old@example.com", map[string]string{"firstname": "Olga"})

	res, err := c.BatchUpsertContacts(t.Context(), []hubspot.UpsertInput{
		{Email: "new@example.com", Properties: map[string]string{"firstname": "Nia", hubspot.PropertyStage: "applied"}},
		{Email: "not-an-email", Properties: map[string]string{"firstname": "X"}},
		{Email: "Old@Example.com", Properties: map[string]string{"lastname": "Olsen"}},
		{Email: "odd@example.com", Properties: map[string]string{"favourite_colour": "red"}},
	})
	require.NoError(t, err)
	require.Len(t, res, 4)

	require.NoError(t, res[0].Err)
	require.True(t, res[0].Created)
	require.NotEmpty(t, res[0].ID)
	require.Equal(t, "applied", res[0].Properties[hubspot.PropertyStage])

	var apiErr *hubspot.APIError
	require.ErrorAs(t, res[1].Err, &apiErr)
	require.Equal(t, "VALIDATION_ERROR", apiErr.Category)
	require.Contains(t, apiErr.Message, "INVALID_EMAIL")
	require.True(t, hubspot.IsPermanent(res[1].Err))

	require.NoError(t, res[2].Err)
	require.False(t, res[2].Created)
	require.Equal(t, "Old@Example.com", res[2].Email)

	require.ErrorAs(t, res[3].Err, &apiErr)
	require.Contains(t, apiErr.Message, "PROPERTY_DOESNT_EXIST")
	require.True(t, hubspot.IsPermanent(res[3].Err))

	old, _ := d.Contact("old@example.com")
	require.Equal(t, "Olga", old.Properties["firstname"])
	require.Equal(t, "Olsen", old.Properties["lastname"])
	require.Len(t, d.Contacts(), 2)
}

func TestBatchUpsertRefusesBadBatchesBeforeSending(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{})
	tooMany := make([]hubspot.UpsertInput, 101)
	for i := range tooMany {
		tooMany[i].Email = fmt.Sprintf("p%d@example.com", i)
	}
	for name, inputs := range map[string][]hubspot.UpsertInput{
		"over 100":     tooMany,
		"same email":   {{Email: "a@example.com"}, {Email: "A@example.com "}},
		"empty email":  {{Email: " "}},
		"one of empty": {{Email: "a@example.com"}, {Email: ""}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.BatchUpsertContacts(t.Context(), inputs)
			require.ErrorIs(t, err, hubspot.ErrInvalidInput)
			require.True(t, hubspot.IsPermanent(err))
		})
	}
	require.Zero(t, d.Calls(hubspotdouble.EndpointBatchUpsert))
}

func TestBatchReadContacts(t *testing.T) {
	d, c := setUp(t)
	d.AddContact("cat@example.com", map[string]string{hubspot.PropertyLifecycleStage: hubspot.StageCustomer, "firstname": "Cat"})
	d.AddContact("dan@example.com", nil)

	got, err := c.BatchReadContacts(t.Context(),
		[]string{"Cat@Example.com", "dan@example.com", "nobody@example.com", "cat@example.com"},
		[]string{hubspot.PropertyLifecycleStage, hubspot.PropertyFirstName})
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.Equal(t, hubspot.StageCustomer, got["Cat@Example.com"].Properties[hubspot.PropertyLifecycleStage])
	require.Equal(t, "Cat", got["cat@example.com"].Properties[hubspot.PropertyFirstName])
	require.Equal(t, "", got["dan@example.com"].Properties[hubspot.PropertyLifecycleStage])
	require.NotEmpty(t, got["dan@example.com"].ID)
	require.NotContains(t, got, "nobody@example.com")
	require.Equal(t, 1, d.Calls(hubspotdouble.EndpointBatchRead))
}

func TestPropertiesAPI(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{})
	ctx := t.Context()

	g, err := c.CreatePropertyGroup(ctx, hubspot.PropertyGroup{Name: "clarityhire", Label: "ClarityHire"})
	require.NoError(t, err)
	require.Equal(t, "ClarityHire", g.Label)
	_, err = c.CreatePropertyGroup(ctx, hubspot.PropertyGroup{Name: "clarityhire", Label: "ClarityHire"})
	var apiErr *hubspot.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusConflict, apiErr.Status)
	require.Equal(t, "OBJECT_ALREADY_EXISTS", apiErr.Category)
	require.NotEmpty(t, apiErr.CorrelationID)

	want := hubspot.Property{Name: "clarityhire_stage", Label: "Stage", Type: "string", FieldType: "text", GroupName: "clarityhire"}
	p, err := c.CreateProperty(ctx, want)
	require.NoError(t, err)
	require.Equal(t, "clarityhire", p.GroupName)
	require.False(t, p.CreatedAt.IsZero())

	one, err := c.ReadProperty(ctx, "clarityhire_stage")
	require.NoError(t, err)
	require.Equal(t, "text", one.FieldType)
	all, err := c.ReadProperties(ctx)
	require.NoError(t, err)
	require.Greater(t, len(all), 10)

	_, err = c.ReadProperty(ctx, "nope")
	require.True(t, hubspot.IsNotFound(err))
	require.True(t, hubspot.IsPermanent(err))
}

func TestErrorClasses(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{RateLimit: 1, RateWindow: time.Minute})
	ctx := t.Context()

	// Validation: a property in a group that does not exist.
	c := newClient(d, hubspot.Config{})
	_, err := c.CreateProperty(ctx, hubspot.Property{Name: "x_y", Label: "X", Type: "string", FieldType: "text", GroupName: "missing"})
	var apiErr *hubspot.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.Status)
	require.Equal(t, "VALIDATION_ERROR", apiErr.Category)
	require.True(t, hubspot.IsPermanent(err))

	// Rate limit: the double's one request a minute is used up.
	_, err = c.ReadProperties(ctx)
	var limited *hubspot.RateLimitedError
	require.ErrorAs(t, err, &limited)
	require.Equal(t, time.Minute, limited.RetryAfter)
	require.Equal(t, "TEN_SECONDLY_ROLLING", limited.PolicyName)
	require.False(t, hubspot.IsPermanent(err))

	// Authentication.
	d2 := startDouble(t, hubspotdouble.Options{})
	_, err = newClient(d2, hubspot.Config{Token: "wrong"}).ReadProperties(ctx)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.Status)
	require.Equal(t, "INVALID_AUTHENTICATION", apiErr.Category)
	require.False(t, hubspot.IsPermanent(err), "a token can be fixed")

	// 5xx.
	c2 := newClient(d2, hubspot.Config{})
	d2.FailNext(1, http.StatusInternalServerError)
	_, err = c2.ReadProperties(ctx)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusInternalServerError, apiErr.Status)
	require.False(t, hubspot.IsPermanent(err))

	// Timeout.
	d2.SetLatency(time.Second)
	_, err = newClient(d2, hubspot.Config{HTTPClient: &http.Client{Timeout: 20 * time.Millisecond}}).ReadProperties(ctx)
	require.Error(t, err)
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	require.True(t, netErr.Timeout())
	require.False(t, hubspot.IsPermanent(err))
	d2.SetLatency(0)

	// A lost answer: stored, but the connection dropped.
	d2.LoseNext(1, hubspotdouble.LoseDrop)
	_, err = c2.BatchUpsertContacts(ctx, []hubspot.UpsertInput{{Email: "lost@example.com"}})
	require.Error(t, err)
	require.False(t, hubspot.IsPermanent(err))
	_, stored := d2.Contact("lost@example.com")
	require.True(t, stored)

	// Connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = hubspot.New(hubspot.Config{BaseURL: "http://" + addr, Token: "t"}).ReadProperties(ctx)
	require.Error(t, err)
	require.False(t, hubspot.IsPermanent(err))
}

func TestRetryAfterFromHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration
	}{
		{"no headers", nil, hubspot.DefaultRetryAfter},
		{"nothing remains", map[string]string{"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "0"}, 10 * time.Second},
		{"some remain", map[string]string{"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "4"}, 2500 * time.Millisecond},
		{"retry-after wins", map[string]string{"Retry-After": "3", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"}, 3 * time.Second},
		{"garbage", map[string]string{"X-HubSpot-RateLimit-Interval-Milliseconds": "soon"}, hubspot.DefaultRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte(`{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}`))
			}))
			defer srv.Close()
			_, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t"}).ReadProperties(t.Context())
			var limited *hubspot.RateLimitedError
			require.ErrorAs(t, err, &limited)
			require.Equal(t, tt.want, limited.RetryAfter)
			require.Equal(t, "SECONDLY", limited.PolicyName)
		})
	}
}

// TestLimiterNeverExceedsWindow drives the default limiter on a simulated
// clock, asking every millisecond for a minute, and checks every 10-second
// window.
func TestLimiterNeverExceedsWindow(t *testing.T) {
	for _, l := range []hubspot.Limit{hubspot.DefaultLimit, {Requests: 150, Interval: 10 * time.Second}, {Requests: 1, Interval: time.Second}} {
		t.Run(fmt.Sprintf("%d per %s", l.Requests, l.Interval), func(t *testing.T) {
			lim := hubspot.NewLimiter(l)
			start := time.Now()
			var allowed []time.Time
			for ms := range 6 * l.Interval.Milliseconds() {
				now := start.Add(time.Duration(ms) * time.Millisecond)
				if lim.AllowN(now, 1) {
					allowed = append(allowed, now)
				}
			}
			most := 0
			for i := range allowed {
				j := i
				for j < len(allowed) && allowed[j].Sub(allowed[i]) < l.Interval {
					j++
				}
				most = max(most, j-i)
			}
			require.LessOrEqual(t, most, l.Requests, "requests in one window")
			require.GreaterOrEqual(t, float64(len(allowed)), 0.85*6*float64(l.Requests), "throughput")
		})
	}
}

// TestLimiterAgainstDouble sends a burst of 1,000 contacts, 10 to a
// request, all at once, against a double enforcing the same limit,
// time-scaled to 20 requests per 250 ms: five times what one window takes.
// (Tighter scales measure the test machine: on two busy cores a process
// that is both client and server cannot keep milliseconds apart.)
func TestLimiterAgainstDouble(t *testing.T) {
	limit := hubspot.Limit{Requests: 20, Interval: 250 * time.Millisecond}
	burst := func(t *testing.T, limiter *rate.Limiter) (*hubspotdouble.Double, error) {
		d := startDouble(t, hubspotdouble.Options{RateLimit: limit.Requests, RateWindow: limit.Interval})
		c := newClient(d, hubspot.Config{Limiter: limiter})
		errs := make([]error, 100)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				inputs := make([]hubspot.UpsertInput, 10)
				for j := range inputs {
					inputs[j].Email = fmt.Sprintf("c%d-%d@example.com", i, j)
				}
				res, err := c.BatchUpsertContacts(t.Context(), inputs)
				for _, r := range res {
					err = errors.Join(err, r.Err)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		return d, errors.Join(errs...)
	}

	t.Run("paced", func(t *testing.T) {
		d, err := burst(t, hubspot.NewLimiter(limit))
		require.NoError(t, err)
		require.Zero(t, d.Counters().RateLimited)
		require.Len(t, d.Contacts(), 1000)
	})
	t.Run("unpaced control", func(t *testing.T) {
		d, err := burst(t, rate.NewLimiter(rate.Inf, 0))
		require.Positive(t, d.Counters().RateLimited, "without the limiter the double does refuse")
		var limited *hubspot.RateLimitedError
		require.ErrorAs(t, err, &limited)
	})
}

func TestBreakerOpensOnServerErrors(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	var mu sync.Mutex
	var changes []string
	c := newClient(d, hubspot.Config{Breaker: hubspot.BreakerSettings{
		OpenFor: 100 * time.Millisecond,
		OnStateChange: func(from, to gobreaker.State) {
			mu.Lock()
			defer mu.Unlock()
			changes = append(changes, from.String()+"→"+to.String())
		},
	}})
	ctx := t.Context()

	d.FailNext(5, http.StatusServiceUnavailable)
	for range 4 {
		_, err := c.ReadProperties(ctx)
		require.Error(t, err)
		require.Equal(t, gobreaker.StateClosed, c.BreakerState())
	}
	_, err := c.ReadProperties(ctx)
	require.Error(t, err)
	require.Equal(t, gobreaker.StateOpen, c.BreakerState())

	calls := d.Calls(hubspotdouble.EndpointListProperties)
	_, err = c.ReadProperties(ctx)
	require.ErrorIs(t, err, hubspot.ErrUnavailable)
	require.ErrorIs(t, err, gobreaker.ErrOpenState)
	require.False(t, hubspot.IsPermanent(err))
	require.Equal(t, calls, d.Calls(hubspotdouble.EndpointListProperties), "an open breaker fails fast")

	require.Eventually(t, func() bool {
		_, err := c.ReadProperties(ctx)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, gobreaker.StateClosed, c.BreakerState())
	mu.Lock()
	require.Equal(t, []string{"closed→open", "open→half-open", "half-open→closed"}, changes)
	mu.Unlock()
}

func TestBreakerOpensOnTimeouts(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{
		HTTPClient: &http.Client{Timeout: 20 * time.Millisecond},
		Breaker:    hubspot.BreakerSettings{ConsecutiveFailures: 3},
	})
	d.SetLatency(time.Second)
	for range 3 {
		_, err := c.ReadProperties(t.Context())
		require.Error(t, err)
	}
	require.Equal(t, gobreaker.StateOpen, c.BreakerState())
}

func TestBreakerIgnoresRateLimitsValidationAndCancellation(t *testing.T) {
	tests := []struct {
		name string
		// provoke makes one failing request.
		provoke func(t *testing.T, d *hubspotdouble.Double, c *hubspot.Client) error
	}{
		{"429", func(t *testing.T, d *hubspotdouble.Double, c *hubspot.Client) error {
			_, err := c.ReadProperties(t.Context())
			var limited *hubspot.RateLimitedError
			require.ErrorAs(t, err, &limited)
			return err
		}},
		{"validation", func(t *testing.T, d *hubspotdouble.Double, c *hubspot.Client) error {
			_, err := c.CreateProperty(t.Context(), hubspot.Property{Name: "x", Label: "X", Type: "nonsense", FieldType: "text", GroupName: "contactinformation"})
			require.True(t, hubspot.IsPermanent(err))
			return err
		}},
		{"not found", func(t *testing.T, d *hubspotdouble.Double, c *hubspot.Client) error {
			_, err := c.ReadProperty(t.Context(), "nope")
			require.True(t, hubspot.IsNotFound(err))
			return err
		}},
		{"caller cancelled", func(t *testing.T, d *hubspotdouble.Double, c *hubspot.Client) error {
			d.SetLatency(time.Minute)
			defer d.SetLatency(0)
			_, err := c.ReadProperties(ctxTimeout(t, 10*time.Millisecond))
			require.ErrorIs(t, err, context.DeadlineExceeded)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := hubspotdouble.Options{}
			if tt.name == "429" {
				opts = hubspotdouble.Options{RateLimit: 1, RateWindow: time.Hour}
			}
			d := startDouble(t, opts)
			c := newClient(d, hubspot.Config{Breaker: hubspot.BreakerSettings{ConsecutiveFailures: 2}})
			if tt.name == "429" {
				_, err := c.ReadProperties(t.Context()) // uses the double's one request
				require.NoError(t, err)
			}
			for range 6 {
				require.Error(t, tt.provoke(t, d, c))
			}
			require.Equal(t, gobreaker.StateClosed, c.BreakerState())
		})
	}
}
