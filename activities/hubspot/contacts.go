package hubspot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxBatchInputs is the most inputs HubSpot takes in one batch call.
const MaxBatchInputs = 100

// UpsertInput is one contact to create or update, keyed by email.
type UpsertInput struct {
	Email string
	// Properties to write; "" clears a property.
	Properties map[string]string
}

// UpsertResult is what became of one UpsertInput.
type UpsertResult struct {
	Email string
	// ID is HubSpot's record id of the contact.
	ID string
	// Created is true when the upsert created the contact.
	Created bool
	// Properties are the contact's values as HubSpot answered them after
	// the write (a value HubSpot ignored, such as a backwards lifecycle
	// stage, shows here as it stayed).
	Properties map[string]string
	UpdatedAt  time.Time
	// Err is this input's own error (e.g. an invalid email), when the rest
	// of the batch went through.
	Err error
}

// Contact is a contact as read from HubSpot. Unset properties are "".
type Contact struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

type wireUpsertInput struct {
	IDProperty         string            `json:"idProperty"`
	ID                 string            `json:"id"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId"`
}

type wireObject struct {
	ID                 string             `json:"id"`
	Properties         map[string]*string `json:"properties"`
	CreatedAt          time.Time          `json:"createdAt"`
	UpdatedAt          time.Time          `json:"updatedAt"`
	New                bool               `json:"new"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId"`
}

type batchAnswer struct {
	Status  string       `json:"status"`
	Results []wireObject `json:"results"`
	Errors  []errorBody  `json:"errors"`
}

func (o wireObject) properties() map[string]string {
	out := make(map[string]string, len(o.Properties))
	for k, v := range o.Properties {
		if v != nil {
			out[k] = *v
		} else {
			out[k] = ""
		}
	}
	return out
}

// BatchUpsertContacts creates or updates up to MaxBatchInputs contacts by
// email in one call. The results line up with inputs: each carries its
// contact or its own error (Err), as HubSpot answered that input in a 207.
// The returned error is for the call as a whole.
func (c *Client) BatchUpsertContacts(ctx context.Context, inputs []UpsertInput) ([]UpsertResult, error) {
	if len(inputs) > MaxBatchInputs {
		return nil, fmt.Errorf("upsert %d contacts, more than %d: %w", len(inputs), MaxBatchInputs, ErrInvalidInput)
	}
	wire := make([]wireUpsertInput, len(inputs))
	byEmail := make(map[string]int, len(inputs))
	for i, in := range inputs {
		key := emailKey(in.Email)
		if key == "" {
			return nil, fmt.Errorf("upsert contact %d: no email: %w", i, ErrInvalidInput)
		}
		if _, dup := byEmail[key]; dup {
			return nil, fmt.Errorf("upsert contacts: %s twice in one batch: %w", in.Email, ErrInvalidInput)
		}
		byEmail[key] = i
		props := in.Properties
		if props == nil {
			props = map[string]string{}
		}
		wire[i] = wireUpsertInput{IDProperty: "email", ID: in.Email, Properties: props, ObjectWriteTraceID: strconv.Itoa(i)}
	}
	if len(inputs) == 0 {
		return nil, nil
	}

	var ans batchAnswer
	if err := c.do(ctx, "POST", "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": wire}, &ans); err != nil {
		return nil, fmt.Errorf("batch upsert %d contacts: %w", len(inputs), err)
	}

	results := make([]UpsertResult, len(inputs))
	done := make([]bool, len(inputs))
	find := func(trace, email string) (int, bool) {
		if i, err := strconv.Atoi(trace); err == nil && i >= 0 && i < len(inputs) {
			return i, true
		}
		i, ok := byEmail[emailKey(email)]
		return i, ok
	}
	for _, o := range ans.Results {
		props := o.properties()
		i, ok := find(o.ObjectWriteTraceID, props["email"])
		if !ok {
			continue
		}
		results[i] = UpsertResult{Email: inputs[i].Email, ID: o.ID, Created: o.New, Properties: props, UpdatedAt: o.UpdatedAt}
		done[i] = true
	}
	for _, e := range ans.Errors {
		apiErr := &APIError{Status: 207, Category: e.Category, Message: e.Message, CorrelationID: e.CorrelationID, Context: e.Context}
		matched := false
		for _, trace := range e.Context["objectWriteTraceId"] {
			if i, ok := find(trace, ""); ok {
				results[i] = UpsertResult{Email: inputs[i].Email, Err: apiErr}
				done[i], matched = true, true
			}
		}
		if matched {
			continue
		}
		for _, id := range e.Context["ids"] {
			if i, ok := byEmail[emailKey(id)]; ok {
				results[i] = UpsertResult{Email: inputs[i].Email, Err: apiErr}
				done[i] = true
			}
		}
	}
	for i := range results {
		if !done[i] {
			results[i] = UpsertResult{Email: inputs[i].Email, Err: errors.New("hubspot answered the batch upsert without this contact")}
		}
	}
	return results, nil
}

// BatchReadContacts reads up to MaxBatchInputs contacts by email, with the
// given properties (email is always read). Contacts that do not exist are
// absent from the map, which is keyed by the emails as given.
func (c *Client) BatchReadContacts(ctx context.Context, emails []string, properties []string) (map[string]Contact, error) {
	asked := map[string][]string{} // email key → emails as given
	var inputs []map[string]string
	for _, e := range emails {
		key := emailKey(e)
		if key == "" {
			return nil, fmt.Errorf("read contacts: empty email: %w", ErrInvalidInput)
		}
		if _, ok := asked[key]; !ok {
			inputs = append(inputs, map[string]string{"id": e})
		}
		asked[key] = append(asked[key], e)
	}
	if len(inputs) > MaxBatchInputs {
		return nil, fmt.Errorf("read %d contacts, more than %d: %w", len(inputs), MaxBatchInputs, ErrInvalidInput)
	}
	out := make(map[string]Contact, len(inputs))
	if len(inputs) == 0 {
		return out, nil
	}
	props := append([]string{"email"}, properties...)
	body := map[string]any{"idProperty": "email", "inputs": inputs, "properties": props}

	var ans batchAnswer
	if err := c.do(ctx, "POST", "/crm/v3/objects/contacts/batch/read?archived=false", body, &ans); err != nil {
		return nil, fmt.Errorf("batch read %d contacts: %w", len(inputs), err)
	}
	for _, e := range ans.Errors {
		if e.Category != "OBJECT_NOT_FOUND" {
			return nil, fmt.Errorf("batch read %d contacts: %w", len(inputs),
				&APIError{Status: 207, Category: e.Category, Message: e.Message, CorrelationID: e.CorrelationID, Context: e.Context})
		}
	}
	for _, o := range ans.Results {
		p := o.properties()
		for _, e := range asked[emailKey(p["email"])] {
			out[e] = Contact{ID: o.ID, Properties: p, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
		}
	}
	return out, nil
}

// emailKey is how HubSpot compares emails: without case or surrounding
// spaces.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
