package hubspotdouble_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// TestSaveLoad: a double loaded from another's saved state has its
// contacts, created groups and properties, gives new contacts ids after the
// old ones, and forgets faults and counters.
func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubspot.json")
	a := start(t, hubspotdouble.Options{})
	require.Equal(t, http.StatusCreated, call(t, a, http.MethodPost, "/crm/v3/properties/contacts/groups",
		map[string]any{"name": "clarityhire", "label": "ClarityHire", "displayOrder": -1}).status)
	require.Equal(t, http.StatusCreated, call(t, a, http.MethodPost, "/crm/v3/properties/contacts",
		map[string]any{"name": "clarityhire_stage", "label": "Stage", "type": "string", "fieldType": "text", "groupName": "clarityhire"}).status)
	r := call(t, a, http.MethodPost, upsertPath, upsert(
		in{ID: "ada@example.com", Properties: map[string]any{"firstname": "Ada", "clarityhire_stage": "onsite", "lifecyclestage": "opportunity"}},
		in{ID: "bob@example.com", Properties: map[string]any{"lastname": "Byrne"}},
	))
	require.Equal(t, http.StatusOK, r.status, r.body)
	a.FailNext(3, http.StatusServiceUnavailable)
	require.NoError(t, a.Save(path))
	want := a.State()

	b := start(t, hubspotdouble.Options{})
	require.NoError(t, b.Load(path))
	got := b.State()
	require.Equal(t, want.Contacts, got.Contacts)
	require.Equal(t, want.Groups, got.Groups)
	require.Equal(t, want.Properties, got.Properties)
	require.Equal(t, a.Properties(), b.Properties(), "HubSpot's own properties too, in the same order")
	require.Zero(t, got.Counters.Calls[hubspotdouble.EndpointBatchUpsert], "counters are not saved")

	// The loaded double answers as the old one did: the property exists,
	// lifecycle stages still only move forward, and the faults are gone.
	r = call(t, b, http.MethodPost, upsertPath, upsert(
		in{ID: "ADA@example.com", Properties: map[string]any{"clarityhire_stage": "offer", "lifecyclestage": "lead"}},
		in{ID: "cy@example.com", Properties: map[string]any{"firstname": "Cy"}},
	))
	require.Equal(t, http.StatusOK, r.status, r.body)
	ada, _ := b.Contact("ada@example.com")
	require.Equal(t, "offer", ada.Properties["clarityhire_stage"])
	require.Equal(t, "opportunity", ada.Properties["lifecyclestage"])
	cy, ok := b.Contact("cy@example.com")
	require.True(t, ok)
	for _, old := range want.Contacts {
		require.Greater(t, recordID(t, cy.ID), recordID(t, old.ID), "a new contact's id comes after the saved ones")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	d := hubspotdouble.New(hubspotdouble.Options{})
	require.ErrorIs(t, d.Load(filepath.Join(dir, "missing.json")), fs.ErrNotExist)

	for name, body := range map[string]string{
		"corrupt.json": `{"format":"hiresync-hubspot-double/1","contacts":[`,
		"slack.json":   `{"format":"hiresync-slack-double/1"}`,
		"badid.json":   `{"format":"hiresync-hubspot-double/1","contacts":[{"id":"x","properties":{"email":"a@example.com"}}]}`,
		"noemail.json": `{"format":"hiresync-hubspot-double/1","contacts":[{"id":"1001","properties":{}}]}`,
		"twice.json":   `{"format":"hiresync-hubspot-double/1","contacts":[{"id":"1001","properties":{"email":"a@example.com"}},{"id":"1002","properties":{"email":"A@example.com"}}]}`,
		"nogroup.json": `{"format":"hiresync-hubspot-double/1","properties":[{"name":"x","groupName":"missing"}]}`,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		err := d.Load(path)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), path, "the error names the file")
	}
	require.Empty(t, d.Contacts(), "a failed load changes nothing")
}

// TestAutoSave: changes reach the file within the interval, without a
// final Save, and no temporary file is left behind.
func TestAutoSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hubspot.json")
	d := start(t, hubspotdouble.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.AutoSave(ctx, path, 20*time.Millisecond, func(err error) { t.Error(err) })
	}()
	d.AddContact("eve@example.com", map[string]string{"firstname": "Eve"})
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), "eve@example.com")
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	<-done

	again := hubspotdouble.New(hubspotdouble.Options{})
	require.NoError(t, again.Load(path))
	eve, ok := again.Contact("eve@example.com")
	require.True(t, ok)
	require.Equal(t, "Eve", eve.Properties["firstname"])
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary files left behind")
}

func recordID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}
