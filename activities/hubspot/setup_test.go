package hubspot_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

func TestSetupIsIdempotent(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{})
	names := []string{hubspot.PropertyCandidateID, hubspot.PropertySourceJob, hubspot.PropertyProfileURL, hubspot.PropertyStage, hubspot.PropertyTalentPool}

	first, err := hubspot.Setup(t.Context(), c, testLogger(t))
	require.NoError(t, err)
	require.True(t, first.GroupCreated)
	require.Equal(t, names, first.Created)
	require.Empty(t, first.Existing)
	require.False(t, first.AlreadyDone())

	second, err := hubspot.Setup(t.Context(), c, testLogger(t))
	require.NoError(t, err)
	require.True(t, second.AlreadyDone())
	require.False(t, second.GroupCreated)
	require.Empty(t, second.Created)
	require.Equal(t, names, second.Existing)
	require.Empty(t, second.Warnings)
	require.Equal(t, 5, d.Calls(hubspotdouble.EndpointCreateProperty), "the second run created nothing")

	for _, p := range d.State().Properties {
		require.Equal(t, hubspot.PropertyGroupName, p.GroupName)
	}
	pool, err := c.ReadProperty(t.Context(), hubspot.PropertyTalentPool)
	require.NoError(t, err)
	require.Equal(t, "enumeration", pool.Type)
	require.Equal(t, hiresync.TalentPoolRejectedQualified, pool.Options[0].Value)

	// The properties now take hiresync's values.
	res, err := c.BatchUpsertContacts(t.Context(), []hubspot.UpsertInput{{Email: "r@example.com", Properties: map[string]string{
		hubspot.PropertyStage: "rejected", hubspot.PropertyTalentPool: hiresync.TalentPoolRejectedQualified,
	}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
}

func TestSetupWarnsAboutADifferentExistingProperty(t *testing.T) {
	d := startDouble(t, hubspotdouble.Options{})
	c := newClient(d, hubspot.Config{})
	_, err := c.CreatePropertyGroup(t.Context(), hubspot.PropertyGroup{Name: hubspot.PropertyGroupName, Label: "By hand"})
	require.NoError(t, err)
	_, err = c.CreateProperty(t.Context(), hubspot.Property{
		Name: hubspot.PropertyTalentPool, Label: "Pool", Type: "enumeration", FieldType: "select", GroupName: hubspot.PropertyGroupName,
		Options: []hubspot.PropertyOption{{Label: "Silver", Value: "silver"}},
	})
	require.NoError(t, err)

	report, err := hubspot.Setup(t.Context(), c, testLogger(t))
	require.NoError(t, err)
	require.False(t, report.GroupCreated)
	require.Len(t, report.Created, 4)
	require.Equal(t, []string{hubspot.PropertyTalentPool}, report.Existing)
	require.Len(t, report.Warnings, 1)
	require.Contains(t, report.Warnings[0], hiresync.TalentPoolRejectedQualified)
}
