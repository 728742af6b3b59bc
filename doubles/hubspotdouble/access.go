package hubspotdouble

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// EndpointListContacts reads a page of contacts: the harmless read
// `hiresync doctor` checks a token with.
const EndpointListContacts = "GET /crm/v3/objects/contacts"

// The scopes hiresync's HubSpot credential holds (a Service Key or a
// private-app token).
const (
	ScopeContactsRead  = "crm.objects.contacts.read"
	ScopeContactsWrite = "crm.objects.contacts.write"
	ScopeSchemasRead   = "crm.schemas.contacts.read"
	ScopeSchemasWrite  = "crm.schemas.contacts.write"
)

// DefaultScopes are granted unless Options.Scopes says otherwise.
var DefaultScopes = []string{ScopeContactsRead, ScopeContactsWrite, ScopeSchemasWrite}

// endpointScopes lists, for each endpoint, the scopes any one of which
// lets a token call it.
var endpointScopes = map[string][]string{
	EndpointBatchUpsert:    {ScopeContactsWrite},
	EndpointBatchRead:      {ScopeContactsRead, ScopeContactsWrite},
	EndpointListContacts:   {ScopeContactsRead, ScopeContactsWrite},
	EndpointCreateGroup:    {ScopeSchemasWrite},
	EndpointCreateProperty: {ScopeSchemasWrite},
	EndpointListGroups:     {ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead},
	EndpointReadGroup:      {ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead},
	EndpointListProperties: {ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead},
	EndpointReadProperty:   {ScopeSchemasRead, ScopeSchemasWrite, ScopeContactsRead},
}

// SetScopes changes the scopes granted to the token: an endpoint that needs
// another answers 403 MISSING_SCOPES.
func (d *Double) SetScopes(scopes ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.scopes = slices.Clone(scopes)
}

// missingScopes returns the scopes endpoint would accept when the token has
// none of them, else nil.
func (d *Double) missingScopes(endpoint string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	accepted := endpointScopes[endpoint]
	for _, s := range accepted {
		if slices.Contains(d.scopes, s) {
			return nil
		}
	}
	return accepted
}

// writeMissingScopes is HubSpot's 403 for a token without the scope.
func writeMissingScopes(w http.ResponseWriter, scopes []string) {
	writeJSON(w, http.StatusForbidden, map[string]any{
		"status":        "error",
		"message":       "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
		"correlationId": newCorrelationID(),
		"errors": []map[string]any{{
			"message": "One or more of the following scopes are required.",
			"context": map[string][]string{"requiredGranularScopes": scopes},
		}},
		"links":    map[string]string{"scopes": "https://developers.hubspot.com/scopes"},
		"category": "MISSING_SCOPES",
	})
}

// listContacts answers a page of contacts, oldest first (limit, default
// 10, at most 100), with the properties asked for.
func (d *Double) listContacts(w http.ResponseWriter, r *http.Request) {
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	d.mu.Lock()
	all := d.contactsLocked()
	d.mu.Unlock()
	results := []map[string]any{}
	for _, c := range all[:min(limit, len(all))] {
		results = append(results, map[string]any{
			"id": c.ID, "properties": map[string]string{"email": c.Properties["email"]},
			"createdAt": c.CreatedAt, "updatedAt": c.UpdatedAt, "archived": false,
		})
	}
	body := map[string]any{"results": results}
	if len(all) > limit {
		body["paging"] = map[string]any{"next": map[string]string{"after": all[limit].ID}}
	}
	writeJSON(w, http.StatusOK, body)
}

// DropProperty deletes a contact property, as if someone archived it in
// HubSpot; it reports whether there was one.
func (d *Double) DropProperty(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.properties[name]; !ok {
		return false
	}
	delete(d.properties, name)
	d.propOrder = slices.DeleteFunc(d.propOrder, func(n string) bool { return n == name })
	d.changes++
	return true
}

// SetPropertyType changes a property's type and field type (and drops its
// options unless it stays an enumeration), as an admin editing it in
// HubSpot would.
func (d *Double) SetPropertyType(name, typ, fieldType string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.properties[name]
	if !ok {
		return fmt.Errorf("no property %s", name)
	}
	p.Type, p.FieldType, p.UpdatedAt = typ, fieldType, time.Now().UTC()
	if typ != "enumeration" {
		p.Options = []Option{}
	}
	d.properties[name] = p
	d.changes++
	return nil
}
