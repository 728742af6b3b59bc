package activities_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// newHubSpot starts a HubSpot double and builds the activities on a real
// client, batcher and syncer of it; setup creates hiresync's properties
// first.
func newHubSpot(t *testing.T, opts hubspotdouble.Options, breaker hubspot.BreakerSettings, setup bool) (*hubspotdouble.Double, *activities.Activities) {
	t.Helper()
	d, err := hubspotdouble.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	client := hubspot.New(hubspot.Config{
		BaseURL:    d.URL(),
		Token:      d.Token(),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Limit:      hubspot.Limit{Requests: 1000, Interval: time.Second},
		Breaker:    breaker,
	})
	if setup {
		_, err := hubspot.Setup(t.Context(), client, nil)
		require.NoError(t, err)
	}
	syncer, err := hubspot.NewSyncer(hubspot.NewBatcher(client, hubspot.BatcherConfig{Window: time.Millisecond}), "")
	require.NoError(t, err)
	return d, &activities.Activities{HubSpot: syncer}
}

func syncContact(t *testing.T, acts *activities.Activities, ch activities.ContactChange) (activities.ContactResult, error) {
	t.Helper()
	return execute[activities.ContactResult](t, acts, acts.SyncContact, ch)
}

func firstChange(email string) activities.ContactChange {
	return activities.ContactChange{
		EventID:     "evt_1",
		Email:       email,
		FirstName:   "Ada",
		LastName:    "Okafor",
		CandidateID: "cand_7Q2KXW",
		SourceJob:   "Senior Backend Engineer",
		ProfileURL:  "https://app.clarityhire.com/candidates/cand_7Q2KXW",
		Lifecycle:   activities.LifecycleIfEmpty,
	}
}

func props(t *testing.T, d *hubspotdouble.Double, email string) map[string]string {
	t.Helper()
	c, ok := d.Contact(email)
	require.True(t, ok, "no contact %s in the double", email)
	return c.Properties
}

// TestSyncContactStory follows one candidate's contact from the first event
// to the hire.
func TestSyncContactStory(t *testing.T) {
	const email = "ada.okafor@example.com"
	d, acts := newHubSpot(t, hubspotdouble.Options{}, hubspot.BreakerSettings{}, true)

	res, err := syncContact(t, acts, firstChange(email))
	require.NoError(t, err)
	require.True(t, res.Created)
	require.Empty(t, res.LifecycleBefore)
	require.Equal(t, hubspot.StageOther, res.LifecycleAfter)
	require.Equal(t, 6, res.Written, "five properties and the lifecycle stage")
	p := props(t, d, email)
	for name, want := range map[string]string{
		hubspot.PropertyEmail:          email,
		hubspot.PropertyFirstName:      "Ada",
		hubspot.PropertyLastName:       "Okafor",
		hubspot.PropertyLifecycleStage: hubspot.StageOther,
		hubspot.PropertyCandidateID:    "cand_7Q2KXW",
		hubspot.PropertySourceJob:      "Senior Backend Engineer",
		hubspot.PropertyProfileURL:     "https://app.clarityhire.com/candidates/cand_7Q2KXW",
	} {
		require.Equal(t, want, p[name], name)
	}

	res, err = syncContact(t, acts, activities.ContactChange{EventID: "evt_2", Email: email, Stage: "onsite"})
	require.NoError(t, err)
	require.False(t, res.Created)
	require.Equal(t, 1, res.Written)
	p = props(t, d, email)
	require.Equal(t, "onsite", p[hubspot.PropertyStage])
	require.Equal(t, hubspot.StageOther, p[hubspot.PropertyLifecycleStage])

	hired := activities.ContactChange{EventID: "evt_3", Email: email, Stage: "hired", Lifecycle: activities.LifecycleHired}
	res, err = syncContact(t, acts, hired)
	require.NoError(t, err)
	require.Equal(t, hubspot.StageOther, res.LifecycleBefore)
	require.Equal(t, hubspot.StageCustomer, res.LifecycleAfter)
	p = props(t, d, email)
	require.Equal(t, hubspot.StageCustomer, p[hubspot.PropertyLifecycleStage], "other → customer needs a clear, then a set")
	require.Equal(t, "hired", p[hubspot.PropertyStage])

	res, err = syncContact(t, acts, hired)
	require.NoError(t, err, "a retried hire changes nothing")
	require.Equal(t, hubspot.StageCustomer, res.LifecycleBefore)
	require.Equal(t, hubspot.StageCustomer, props(t, d, email)[hubspot.PropertyLifecycleStage])
}

func TestSyncContactWrites(t *testing.T) {
	const email = "ada.okafor@example.com"
	tests := []struct {
		name     string
		existing map[string]string
		change   activities.ContactChange
		want     map[string]string
	}{
		{
			name:     "an existing stage is kept by the first event",
			existing: map[string]string{hubspot.PropertyLifecycleStage: hubspot.StageLead},
			change:   firstChange(email),
			want:     map[string]string{hubspot.PropertyLifecycleStage: hubspot.StageLead, hubspot.PropertyCandidateID: "cand_7Q2KXW"},
		},
		{
			name:   "stage change",
			change: activities.ContactChange{EventID: "evt_2", Email: email, Stage: "technical_interview"},
			want:   map[string]string{hubspot.PropertyStage: "technical_interview"},
		},
		{
			name: "qualified rejection joins the talent pool",
			change: activities.ContactChange{
				EventID: "evt_3", Email: email, Stage: "rejected", TalentPool: hiresync.TalentPoolRejectedQualified,
			},
			want: map[string]string{hubspot.PropertyStage: "rejected", hubspot.PropertyTalentPool: hiresync.TalentPoolRejectedQualified},
		},
		{
			name:     "hire from no stage sets customer directly",
			existing: map[string]string{hubspot.PropertyFirstName: "Ada"},
			change:   activities.ContactChange{EventID: "evt_4", Email: email, Stage: "hired", Lifecycle: activities.LifecycleHired},
			want:     map[string]string{hubspot.PropertyLifecycleStage: hubspot.StageCustomer, hubspot.PropertyStage: "hired"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, acts := newHubSpot(t, hubspotdouble.Options{}, hubspot.BreakerSettings{}, true)
			if tt.existing != nil {
				d.AddContact(email, tt.existing)
			}
			_, err := syncContact(t, acts, tt.change)
			require.NoError(t, err)
			p := props(t, d, email)
			for name, want := range tt.want {
				require.Equal(t, want, p[name], name)
			}
		})
	}
}

func TestSyncContactErrors(t *testing.T) {
	permanent := failure{errType: activities.ErrHubSpotPermanent, nonRetryable: true}
	tests := []struct {
		name   string
		email  string
		change func(activities.ContactChange) activities.ContactChange
		fault  func(d *hubspotdouble.Double)
		want   failure
	}{
		{name: "invalid email", email: "ada.okafor@example", want: permanent},
		{name: "no email", email: "", want: permanent},
		{name: "value HubSpot refuses", email: "ada@example.com", change: func(c activities.ContactChange) activities.ContactChange {
			c.TalentPool = "maybe_later"
			return c
		}, want: permanent},
		{name: "503", email: "ada@example.com", fault: func(d *hubspotdouble.Double) {
			d.FailNext(1, http.StatusServiceUnavailable)
		}, want: failure{contains: []string{"503"}}},
		{name: "500 on the write", email: "ada@example.com", change: func(c activities.ContactChange) activities.ContactChange {
			c.Lifecycle = "" // no read: the first request is the upsert
			return c
		}, fault: func(d *hubspotdouble.Double) {
			d.FailNext(1, http.StatusInternalServerError)
		}, want: failure{contains: []string{"500"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, acts := newHubSpot(t, hubspotdouble.Options{}, hubspot.BreakerSettings{}, true)
			if tt.fault != nil {
				tt.fault(d)
			}
			ch := firstChange(tt.email)
			if tt.change != nil {
				ch = tt.change(ch)
			}
			_, err := syncContact(t, acts, ch)
			requireFailure(t, err, tt.want)
			require.Empty(t, d.Contacts(), "nothing was written")
		})
	}
}

// TestSyncContactRateLimited: a 429 carries how long to wait, which the
// double's headers say is the rest of its window.
func TestSyncContactRateLimited(t *testing.T) {
	const email = "ada@example.com"
	d, acts := newHubSpot(t, hubspotdouble.Options{RateLimit: 1, RateWindow: time.Minute}, hubspot.BreakerSettings{}, false)
	change := activities.ContactChange{EventID: "evt_1", Email: email, FirstName: "Ada"}
	_, err := syncContact(t, acts, change)
	require.NoError(t, err, "the window's one request")

	change.LastName = "Okafor"
	_, err = syncContact(t, acts, change)
	requireFailure(t, err, failure{errType: activities.ErrHubSpotRateLimited, delay: time.Minute})
	require.Equal(t, 1, d.Counters().RateLimited)
	require.Empty(t, props(t, d, email)[hubspot.PropertyLastName])
}

func TestSyncContactBreaker(t *testing.T) {
	d, acts := newHubSpot(t, hubspotdouble.Options{}, hubspot.BreakerSettings{ConsecutiveFailures: 2, OpenFor: time.Hour}, true)
	d.FailNext(2, http.StatusServiceUnavailable)
	change := activities.ContactChange{EventID: "evt_1", Email: "ada@example.com", Stage: "onsite"}
	for range 2 {
		_, err := syncContact(t, acts, change)
		requireFailure(t, err, failure{contains: []string{"503"}})
	}
	calls := d.Calls(hubspotdouble.EndpointBatchUpsert)
	_, err := syncContact(t, acts, change)
	requireFailure(t, err, failure{errType: activities.ErrHubSpotUnavailable, anyDelay: true, contains: []string{"circuit breaker"}})
	require.Equal(t, calls, d.Calls(hubspotdouble.EndpointBatchUpsert), "an open breaker calls nothing")
}
