package hubspot_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// fast is a limit that keeps tests quick while still pacing requests.
var fast = hubspot.Limit{Requests: 1000, Interval: time.Second}

func startDouble(t *testing.T, opts hubspotdouble.Options) *hubspotdouble.Double {
	t.Helper()
	d, err := hubspotdouble.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// newClient returns a client of d; cfg may set anything but the URL and
// token, and gets the fast limit unless it says otherwise.
func newClient(d *hubspotdouble.Double, cfg hubspot.Config) *hubspot.Client {
	cfg.BaseURL = d.URL()
	if cfg.Token == "" {
		cfg.Token = d.Token()
	}
	if cfg.Limiter == nil && cfg.Limit == (hubspot.Limit{}) {
		cfg.Limit = fast
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return hubspot.New(cfg)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// setUp returns a double with hiresync's properties created, and a client.
func setUp(t *testing.T) (*hubspotdouble.Double, *hubspot.Client) {
	t.Helper()
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{})
	_, err := hubspot.Setup(t.Context(), c, testLogger(t))
	require.NoError(t, err)
	return d, c
}

func stage(t *testing.T, d *hubspotdouble.Double, email string) string {
	t.Helper()
	c, ok := d.Contact(email)
	require.True(t, ok, "no contact %s in the double", email)
	return c.Properties[hubspot.PropertyLifecycleStage]
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
