package hubspotdouble_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// TestTokenScopesAndProperties: a token without a scope gets HubSpot's 403
// MISSING_SCOPES naming the scopes; a dropped property is gone and a
// changed one reads with its new type.
func TestTokenScopesAndProperties(t *testing.T) {
	d, err := hubspotdouble.Start(hubspotdouble.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	get := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, d.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+d.Token())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}
	d.AddContact("a@acme.example", nil)
	status, body := get("/crm/v3/objects/contacts?limit=1")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, body["results"], 1)

	d.SetScopes(hubspotdouble.ScopeSchemasWrite)
	status, body = get("/crm/v3/objects/contacts?limit=1")
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "MISSING_SCOPES", body["category"])
	require.Contains(t, string(must(json.Marshal(body["errors"]))), hubspotdouble.ScopeContactsRead)
	d.SetScopes(hubspotdouble.DefaultScopes...)

	require.True(t, d.DropProperty("firstname"))
	status, _ = get("/crm/v3/properties/contacts/firstname")
	require.Equal(t, http.StatusNotFound, status)
	require.NoError(t, d.SetPropertyType("lastname", "number", "number"))
	_, body = get("/crm/v3/properties/contacts/lastname")
	require.Equal(t, "number", body["type"])
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
