package hubspot_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

func newSyncer(t *testing.T, c *hubspot.Client, hireStage string) *hubspot.Syncer {
	t.Helper()
	s, err := hubspot.NewSyncer(hubspot.NewBatcher(c, hubspot.BatcherConfig{}), hireStage)
	require.NoError(t, err)
	return s
}

func submitted(email string) hubspot.Change {
	return hubspot.Change{
		Email: email,
		Properties: map[string]string{
			hubspot.PropertyFirstName:   "Ada",
			hubspot.PropertyLastName:    "Lovelace",
			hubspot.PropertyCandidateID: "cand_1",
			hubspot.PropertySourceJob:   "Backend Engineer",
			hubspot.PropertyProfileURL:  "https://app.clarityhire.example/c/cand_1",
		},
		Lifecycle: hubspot.InitialStage,
	}
}

func hired(email string) hubspot.Change {
	return hubspot.Change{Email: email, Properties: map[string]string{hubspot.PropertyStage: "hired"}, Lifecycle: hubspot.HireStage}
}

func TestSyncFirstEvent(t *testing.T) {
	t.Run("new contact gets other", func(t *testing.T) {
		d, c := setUp(t)
		out, err := newSyncer(t, c, "").Sync(t.Context(), submitted("ada@example.com"))
		require.NoError(t, err)
		require.True(t, out.Created)
		require.Equal(t, "other", stage(t, d, "ada@example.com"))
		require.Equal(t, []string{"other"}, out.LifecycleSteps)
		require.Equal(t, "", out.LifecycleBefore)
		require.Equal(t, "other", out.LifecycleAfter)
		ct, _ := d.Contact("ada@example.com")
		require.Equal(t, "Backend Engineer", ct.Properties[hubspot.PropertySourceJob])
		require.Equal(t, ct.ID, out.ContactID)
	})
	t.Run("an existing customer applies", func(t *testing.T) {
		d, c := setUp(t)
		d.AddContact("ada@example.com", map[string]string{hubspot.PropertyLifecycleStage: "customer"})
		out, err := newSyncer(t, c, "").Sync(t.Context(), submitted("ada@example.com"))
		require.NoError(t, err)
		require.False(t, out.Created)
		require.Nil(t, out.LifecycleSteps)
		require.NotContains(t, out.Written, hubspot.PropertyLifecycleStage)
		require.Equal(t, "customer", stage(t, d, "ada@example.com"))
		require.Equal(t, "customer", out.LifecycleAfter)
		ct, _ := d.Contact("ada@example.com")
		require.Equal(t, "cand_1", ct.Properties[hubspot.PropertyCandidateID])
	})
}

func TestSyncHire(t *testing.T) {
	tests := []struct {
		name      string
		before    string // "-" for no contact
		hireStage string
		want      string
		upserts   int
		steps     []string
	}{
		{"no contact", "-", "", "customer", 1, []string{"customer"}},
		{"no stage", "", "", "customer", 1, []string{"customer"}},
		{"lead", "lead", "", "customer", 1, []string{"customer"}},
		{"other is cleared, then set", "other", "", "customer", 2, []string{"", "customer"}},
		{"customer stays", "customer", "", "customer", 1, nil},
		{"evangelist is not downgraded", "evangelist", "", "evangelist", 1, nil},
		{"configured stage", "other", "opportunity", "opportunity", 2, []string{"", "opportunity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, c := setUp(t)
			if tt.before != "-" {
				d.AddContact("hire@example.com", map[string]string{hubspot.PropertyLifecycleStage: tt.before})
			}
			out, err := newSyncer(t, c, tt.hireStage).Sync(t.Context(), hired("hire@example.com"))
			require.NoError(t, err)
			require.Equal(t, tt.want, stage(t, d, "hire@example.com"))
			require.Equal(t, tt.want, out.LifecycleAfter)
			require.Equal(t, tt.steps, out.LifecycleSteps)
			require.Equal(t, tt.upserts, d.Calls(hubspotdouble.EndpointBatchUpsert))
			require.Equal(t, 1, d.Calls(hubspotdouble.EndpointBatchRead))
			require.Equal(t, "hired", out.Written[hubspot.PropertyStage])
			ct, _ := d.Contact("hire@example.com")
			require.Equal(t, "hired", ct.Properties[hubspot.PropertyStage])
		})
	}
}

func TestSyncIsIdempotent(t *testing.T) {
	d, c := setUp(t)
	d.AddContact("twice@example.com", map[string]string{hubspot.PropertyLifecycleStage: "other"})
	s := newSyncer(t, c, "")
	first, err := s.Sync(t.Context(), hired("twice@example.com"))
	require.NoError(t, err)
	after, _ := d.Contact("twice@example.com")

	second, err := s.Sync(t.Context(), hired("twice@example.com"))
	require.NoError(t, err)
	again, _ := d.Contact("twice@example.com")
	require.Equal(t, after.ID, again.ID)
	require.Equal(t, "customer", again.Properties[hubspot.PropertyLifecycleStage])
	delete(after.Properties, "lastmodifieddate")
	delete(again.Properties, "lastmodifieddate")
	require.Equal(t, after.Properties, again.Properties)
	require.Equal(t, []string{"", "customer"}, first.LifecycleSteps)
	require.Nil(t, second.LifecycleSteps)
	require.Len(t, d.Contacts(), 1)
}

func TestSyncWithoutLifecycleDoesNotRead(t *testing.T) {
	d, c := setUp(t)
	out, err := newSyncer(t, c, "").Sync(t.Context(), hubspot.Change{
		Email:      "stage@example.com",
		Properties: map[string]string{hubspot.PropertyStage: "onsite"},
	})
	require.NoError(t, err)
	require.Zero(t, d.Calls(hubspotdouble.EndpointBatchRead))
	require.False(t, out.LifecycleChecked)
	require.Equal(t, "onsite", out.Written[hubspot.PropertyStage])
}

func TestSyncRefusesBadChanges(t *testing.T) {
	d, c := setUp(t)
	s := newSyncer(t, c, "")
	_, err := s.Sync(t.Context(), hubspot.Change{Email: "x@example.com", Properties: map[string]string{hubspot.PropertyLifecycleStage: "customer"}})
	require.ErrorIs(t, err, hubspot.ErrInvalidInput)
	_, err = s.Sync(t.Context(), hubspot.Change{Properties: map[string]string{hubspot.PropertyStage: "x"}})
	require.ErrorIs(t, err, hubspot.ErrInvalidInput)

	_, err = s.Sync(t.Context(), hubspot.Change{Email: "x@example.com", Properties: map[string]string{hubspot.PropertyTalentPool: "maybe"}})
	require.True(t, hubspot.IsPermanent(err), "HubSpot refuses an unknown option: %v", err)
	_, err = s.Sync(t.Context(), submitted("no-at-sign.example.com"))
	require.True(t, hubspot.IsPermanent(err), "HubSpot refuses an invalid email: %v", err)
	require.Empty(t, d.Contacts())

	_, err = hubspot.NewSyncer(hubspot.NewBatcher(c, hubspot.BatcherConfig{}), "hired")
	require.Error(t, err)
}
