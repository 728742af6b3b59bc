package hubspotdouble_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

func start(t *testing.T, opts hubspotdouble.Options) *hubspotdouble.Double {
	t.Helper()
	d, err := hubspotdouble.Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	require.True(t, strings.HasPrefix(d.URL(), "http://127.0.0.1:"), d.URL())
	return d
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, d *hubspotdouble.Double, method, path string, body any) answer {
	t.Helper()
	return callWith(t, d, d.Token(), method, path, body)
}

func callWith(t *testing.T, d *hubspotdouble.Double, token, method, path string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, d.URL()+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := answer{status: resp.StatusCode, header: resp.Header}
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), string(raw))
	}
	return out
}

type in struct {
	ID                 string         `json:"id"`
	IDProperty         string         `json:"idProperty"`
	Properties         map[string]any `json:"properties"`
	ObjectWriteTraceID string         `json:"objectWriteTraceId,omitempty"`
}

func upsert(inputs ...in) map[string]any {
	for i := range inputs {
		if inputs[i].IDProperty == "" {
			inputs[i].IDProperty = "email"
		}
	}
	return map[string]any{"inputs": inputs}
}

const upsertPath = "/crm/v3/objects/contacts/batch/upsert"
const readPath = "/crm/v3/objects/contacts/batch/read"

func requireHubSpotError(t *testing.T, a answer, status int, category string) {
	t.Helper()
	require.Equal(t, status, a.status, a.body)
	require.Equal(t, "error", a.body["status"])
	require.Equal(t, category, a.body["category"])
	require.NotEmpty(t, a.body["message"])
	require.NotEmpty(t, a.body["correlationId"])
}

func TestTokenIsChecked(t *testing.T) {
	d := start(t, hubspotdouble.Options{Token: "pat-right"})
	for _, token := range []string{"", "pat-wrong"} {
		a := callWith(t, d, token, http.MethodGet, "/crm/v3/properties/contacts", nil)
		requireHubSpotError(t, a, http.StatusUnauthorized, "INVALID_AUTHENTICATION")
	}
	a := callWith(t, d, "pat-right", http.MethodGet, "/crm/v3/properties/contacts", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, 2, d.Counters().Unauthorized)
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	a := call(t, d, http.MethodPost, upsertPath, upsert(
		in{ID: "Ada@Example.com", Properties: map[string]any{"firstname": "Ada", "lifecyclestage": "other"}, ObjectWriteTraceID: "0"},
		in{ID: "bob@example.com", Properties: map[string]any{"lastname": "Byrne"}},
	))
	require.Equal(t, http.StatusOK, a.status, a.body)
	require.Equal(t, "COMPLETE", a.body["status"])
	results := a.body["results"].([]any)
	require.Len(t, results, 2)
	first := results[0].(map[string]any)
	require.Equal(t, true, first["new"])
	require.Equal(t, "0", first["objectWriteTraceId"])
	require.Equal(t, "ada@example.com", first["properties"].(map[string]any)["email"])
	require.Equal(t, "other", first["properties"].(map[string]any)["lifecyclestage"])

	a = call(t, d, http.MethodPost, upsertPath, upsert(in{ID: "ada@example.com", Properties: map[string]any{"lastname": "Lovelace"}}))
	require.Equal(t, http.StatusOK, a.status)
	again := a.body["results"].([]any)[0].(map[string]any)
	require.Equal(t, false, again["new"])
	require.Equal(t, first["id"], again["id"])

	c, ok := d.Contact("ADA@example.com")
	require.True(t, ok)
	require.Equal(t, "Ada", c.Properties["firstname"])
	require.Equal(t, "Lovelace", c.Properties["lastname"])
	require.Equal(t, "other", c.Properties["lifecyclestage"])
	require.Len(t, d.Contacts(), 2)
	require.Equal(t, 2, d.Calls(hubspotdouble.EndpointBatchUpsert))
}

func TestUpsertRejectsWhatHubSpotRejects(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	many := make([]in, 101)
	for i := range many {
		many[i] = in{ID: fmt.Sprintf("p%d@example.com", i)}
	}
	tests := []struct {
		name string
		body map[string]any
	}{
		{"over 100 inputs", upsert(many...)},
		{"duplicate ids", upsert(in{ID: "a@example.com"}, in{ID: "A@example.com"})},
		{"unknown property without trace id", upsert(in{ID: "a@example.com", Properties: map[string]any{"favourite_colour": "red"}})},
		{"read-only property", upsert(in{ID: "a@example.com", Properties: map[string]any{"hs_object_id": "12"}})},
		{"unknown lifecycle stage", upsert(in{ID: "a@example.com", Properties: map[string]any{"lifecyclestage": "hired"}})},
		{"other id property", upsert(in{ID: "12", IDProperty: "hs_object_id"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, d, http.MethodPost, upsertPath, tt.body)
			requireHubSpotError(t, a, http.StatusBadRequest, "VALIDATION_ERROR")
		})
	}
	a := call(t, d, http.MethodPost, upsertPath, upsert(in{ID: "a@example.com", Properties: map[string]any{"favourite_colour": "red"}}))
	require.Contains(t, a.body["message"], "Property values were not valid")
	require.Contains(t, a.body["message"], "PROPERTY_DOESNT_EXIST")
	require.Empty(t, d.Contacts(), "a rejected batch stores nothing")
}

func TestUpsertPerInputErrors(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	a := call(t, d, http.MethodPost, upsertPath, upsert(
		in{ID: "good@example.com", Properties: map[string]any{"firstname": "G"}, ObjectWriteTraceID: "0"},
		in{ID: "not-an-email", Properties: map[string]any{"firstname": "N"}, ObjectWriteTraceID: "1"},
		in{ID: "odd@example.com", Properties: map[string]any{"favourite_colour": "red"}, ObjectWriteTraceID: "2"},
		in{ID: "plain@invalid"},
	))
	require.Equal(t, http.StatusMultiStatus, a.status, a.body)
	require.Len(t, a.body["results"], 1)
	require.EqualValues(t, 3, a.body["numErrors"])
	errs := a.body["errors"].([]any)
	ctx := func(i int) map[string]any { return errs[i].(map[string]any)["context"].(map[string]any) }
	require.Equal(t, []any{"not-an-email"}, ctx(0)["ids"])
	require.Equal(t, []any{"1"}, ctx(0)["objectWriteTraceId"])
	require.Contains(t, errs[0].(map[string]any)["message"], "INVALID_EMAIL")
	require.Equal(t, []any{"2"}, ctx(1)["objectWriteTraceId"])
	require.Contains(t, errs[1].(map[string]any)["message"], "PROPERTY_DOESNT_EXIST")
	require.Equal(t, []any{"plain@invalid"}, ctx(2)["ids"])
	require.Len(t, d.Contacts(), 1)
}

func TestLifecycleStageMovesOnlyForward(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	d.AddContact("eve@example.com", map[string]string{"lifecyclestage": "other"})
	set := func(stage string) string {
		a := call(t, d, http.MethodPost, upsertPath, upsert(in{ID: "eve@example.com", Properties: map[string]any{"lifecyclestage": stage}}))
		require.Equal(t, http.StatusOK, a.status, a.body)
		c, _ := d.Contact("eve@example.com")
		return c.Properties["lifecyclestage"]
	}
	require.Equal(t, "other", set("customer"), "a backwards move is ignored without error")
	require.Equal(t, "", set(""), "clearing is allowed")
	require.Equal(t, "customer", set("customer"))
	require.Equal(t, "evangelist", set("evangelist"))
	require.Equal(t, "evangelist", set("lead"))
}

func TestBatchRead(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	d.AddContact("cat@example.com", map[string]string{"lifecyclestage": "customer", "firstname": "Cat"})
	a := call(t, d, http.MethodPost, readPath, map[string]any{
		"idProperty": "email",
		"inputs":     []map[string]string{{"id": "CAT@example.com"}, {"id": "nobody@example.com"}},
		"properties": []string{"email", "lifecyclestage", "lastname"},
	})
	require.Equal(t, http.StatusMultiStatus, a.status)
	results := a.body["results"].([]any)
	require.Len(t, results, 1)
	props := results[0].(map[string]any)["properties"].(map[string]any)
	require.Equal(t, "customer", props["lifecyclestage"])
	require.Nil(t, props["lastname"])
	require.Contains(t, props, "lastname")
	e := a.body["errors"].([]any)[0].(map[string]any)
	require.Equal(t, "OBJECT_NOT_FOUND", e["category"])
	require.Equal(t, []any{"nobody@example.com"}, e["context"].(map[string]any)["ids"])

	a = call(t, d, http.MethodPost, readPath, map[string]any{"idProperty": "email", "inputs": []map[string]string{{"id": "cat@example.com"}}})
	require.Equal(t, http.StatusOK, a.status)
	require.Nil(t, a.body["errors"])
}

func TestPropertiesAndGroups(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	group := map[string]any{"name": "clarityhire", "label": "ClarityHire", "displayOrder": -1}
	a := call(t, d, http.MethodPost, "/crm/v3/properties/contacts/groups", group)
	require.Equal(t, http.StatusCreated, a.status)
	require.Equal(t, "clarityhire", a.body["name"])
	requireHubSpotError(t, call(t, d, http.MethodPost, "/crm/v3/properties/contacts/groups", group), http.StatusConflict, "OBJECT_ALREADY_EXISTS")
	require.Equal(t, http.StatusOK, call(t, d, http.MethodGet, "/crm/v3/properties/contacts/groups/clarityhire", nil).status)
	requireHubSpotError(t, call(t, d, http.MethodGet, "/crm/v3/properties/contacts/groups/nope", nil), http.StatusNotFound, "OBJECT_NOT_FOUND")

	prop := map[string]any{"name": "clarityhire_stage", "label": "Stage", "type": "string", "fieldType": "text", "groupName": "clarityhire"}
	a = call(t, d, http.MethodPost, "/crm/v3/properties/contacts", prop)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	require.Equal(t, "clarityhire", a.body["groupName"])
	requireHubSpotError(t, call(t, d, http.MethodPost, "/crm/v3/properties/contacts", prop), http.StatusConflict, "OBJECT_ALREADY_EXISTS")
	requireHubSpotError(t, call(t, d, http.MethodPost, "/crm/v3/properties/contacts",
		map[string]any{"name": "x_y", "label": "X", "type": "string", "fieldType": "text", "groupName": "missing"}), http.StatusBadRequest, "VALIDATION_ERROR")
	requireHubSpotError(t, call(t, d, http.MethodPost, "/crm/v3/properties/contacts",
		map[string]any{"name": "x_y", "label": "X", "type": "enumeration", "fieldType": "select", "groupName": "clarityhire"}), http.StatusBadRequest, "VALIDATION_ERROR")

	a = call(t, d, http.MethodGet, "/crm/v3/properties/contacts/clarityhire_stage", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "string", a.body["type"])
	requireHubSpotError(t, call(t, d, http.MethodGet, "/crm/v3/properties/contacts/nope", nil), http.StatusNotFound, "OBJECT_NOT_FOUND")
	a = call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil)
	names := []string{}
	for _, p := range a.body["results"].([]any) {
		names = append(names, p.(map[string]any)["name"].(string))
	}
	require.Contains(t, names, "lifecyclestage")
	require.Contains(t, names, "clarityhire_stage")

	// A created property can now be written; an enumeration checks options.
	a = call(t, d, http.MethodPost, upsertPath, upsert(in{ID: "a@example.com", Properties: map[string]any{"clarityhire_stage": "onsite"}}))
	require.Equal(t, http.StatusOK, a.status, a.body)
}

func TestRateLimit(t *testing.T) {
	d := start(t, hubspotdouble.Options{RateLimit: 3, RateWindow: time.Hour})
	for i := range 3 {
		a := call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil)
		require.Equal(t, http.StatusOK, a.status)
		require.Equal(t, "3", a.header.Get("X-HubSpot-RateLimit-Max"))
		require.Equal(t, fmt.Sprint(2-i), a.header.Get("X-HubSpot-RateLimit-Remaining"))
		require.Equal(t, "3600000", a.header.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	}
	a := call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, "TEN_SECONDLY_ROLLING", a.body["policyName"])
	require.Equal(t, "RATE_LIMIT", a.body["errorType"])
	require.Equal(t, "0", a.header.Get("X-HubSpot-RateLimit-Remaining"))
	require.Equal(t, 1, d.Counters().RateLimited)
	require.Equal(t, 4, d.Calls(hubspotdouble.EndpointListProperties))
}

func TestRateLimitWindowRolls(t *testing.T) {
	d := start(t, hubspotdouble.Options{RateLimit: 2, RateWindow: 50 * time.Millisecond})
	require.Equal(t, http.StatusOK, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)
	require.Equal(t, http.StatusOK, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)
	require.Eventually(t, func() bool {
		return call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status == http.StatusOK
	}, 2*time.Second, 10*time.Millisecond)
}

func TestFailNextAndFailRate(t *testing.T) {
	d := start(t, hubspotdouble.Options{RandSeed: 7})
	d.FailNext(2, http.StatusBadGateway)
	body := upsert(in{ID: "a@example.com"})
	requireHubSpotError(t, call(t, d, http.MethodPost, upsertPath, body), http.StatusBadGateway, "INTERNAL_ERROR")
	requireHubSpotError(t, call(t, d, http.MethodPost, upsertPath, body), http.StatusBadGateway, "INTERNAL_ERROR")
	require.Empty(t, d.Contacts(), "a failed request is not applied")
	require.Equal(t, http.StatusOK, call(t, d, http.MethodPost, upsertPath, body).status)

	failures := func(seed uint64) []int {
		d := start(t, hubspotdouble.Options{RandSeed: seed})
		d.SetFaults(hubspotdouble.Faults{FailRate: 0.5})
		var got []int
		for range 20 {
			got = append(got, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)
		}
		return got
	}
	first := failures(42)
	require.Equal(t, first, failures(42), "the same seed fails the same requests")
	require.Contains(t, first, http.StatusServiceUnavailable)
	require.Contains(t, first, http.StatusOK)
}

func TestLostAnswersAreApplied(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	d.LoseNext(1, hubspotdouble.LoseBadGateway)
	a := call(t, d, http.MethodPost, upsertPath, upsert(in{ID: "lost@example.com"}))
	require.Equal(t, http.StatusBadGateway, a.status)
	_, ok := d.Contact("lost@example.com")
	require.True(t, ok, "the write was stored")

	d.LoseNext(1, hubspotdouble.LoseDrop)
	b, _ := json.Marshal(upsert(in{ID: "dropped@example.com"}))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, d.URL()+upsertPath, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+d.Token())
	resp, err := http.DefaultClient.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the connection is dropped")
	_, ok = d.Contact("dropped@example.com")
	require.True(t, ok, "the write was stored")
	require.Equal(t, 2, d.Counters().Lost)
}

func TestLatency(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	d.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL()+"/crm/v3/properties/contacts", nil)
	req.Header.Set("Authorization", "Bearer "+d.Token())
	_, err := http.DefaultClient.Do(req)
	require.True(t, errors.Is(err, context.DeadlineExceeded), err)
	d.SetLatency(0)
	require.Equal(t, http.StatusOK, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)
}

func TestStateAndFaultsOverHTTP(t *testing.T) {
	d := start(t, hubspotdouble.Options{})
	d.AddContact("dee@example.com", map[string]string{"firstname": "Dee"})
	a := callWith(t, d, "", http.MethodGet, "/_double/state", nil)
	require.Equal(t, http.StatusOK, a.status)
	contacts := a.body["contacts"].([]any)
	require.Len(t, contacts, 1)
	require.Equal(t, "Dee", contacts[0].(map[string]any)["properties"].(map[string]any)["firstname"])

	require.Equal(t, http.StatusNoContent, callWith(t, d, "", http.MethodPost, "/_double/faults", map[string]any{"fail_next": 1, "fail_status": 500}).status)
	require.Equal(t, http.StatusInternalServerError, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)
	require.Equal(t, http.StatusNoContent, callWith(t, d, "", http.MethodPost, "/_double/faults", map[string]any{"fail_next": 5}).status)
	require.Equal(t, http.StatusNoContent, callWith(t, d, "", http.MethodDelete, "/_double/faults", nil).status)
	require.Equal(t, http.StatusOK, call(t, d, http.MethodGet, "/crm/v3/properties/contacts", nil).status)

	a = callWith(t, d, "", http.MethodGet, "/_double/state", nil)
	require.EqualValues(t, 1, a.body["counters"].(map[string]any)["failed"])
}
