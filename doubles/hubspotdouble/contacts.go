package hubspotdouble

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBatchInputs is the most inputs HubSpot takes in one batch request.
const MaxBatchInputs = 100

// Contact is a contact as the double keeps it. Properties hold only values
// that are set; email, hs_object_id, createdate and lastmodifieddate are
// always among them.
type Contact struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
}

type contact struct {
	id        string
	props     map[string]string
	createdAt time.Time
	updatedAt time.Time
}

func (c *contact) snapshot() Contact {
	return Contact{ID: c.id, Properties: maps.Clone(c.props), CreatedAt: c.createdAt, UpdatedAt: c.updatedAt}
}

// AddContact stores a contact as if it already existed in HubSpot, without
// validation (for tests such as "an existing customer applies"), and returns
// it. An existing contact with that email gets the properties merged in.
func (d *Double) AddContact(email string, properties map[string]string) Contact {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, _ := d.getOrCreateLocked(email, time.Now().UTC())
	for k, v := range properties {
		if k != "email" {
			setProp(c, k, v)
		}
	}
	d.changes++
	return c.snapshot()
}

// Contact returns the contact with that email (case does not matter).
func (d *Double) Contact(email string) (Contact, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.contacts[strings.ToLower(email)]
	if !ok {
		return Contact{}, false
	}
	return c.snapshot(), true
}

// Contacts returns every contact, oldest first.
func (d *Double) Contacts() []Contact {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.contactsLocked()
}

// contactsLocked is every contact, oldest first. Callers hold d.mu.
func (d *Double) contactsLocked() []Contact {
	out := make([]Contact, 0, len(d.contacts))
	for _, c := range d.contacts {
		out = append(out, c.snapshot())
	}
	slices.SortFunc(out, func(a, b Contact) int {
		x, _ := strconv.Atoi(a.ID)
		y, _ := strconv.Atoi(b.ID)
		return x - y
	})
	return out
}

func (d *Double) getOrCreateLocked(email string, now time.Time) (c *contact, created bool) {
	key := strings.ToLower(email)
	if c, ok := d.contacts[key]; ok {
		return c, false
	}
	id := strconv.FormatInt(d.nextID, 10)
	d.nextID++
	c = &contact{id: id, props: map[string]string{}, createdAt: now, updatedAt: now}
	c.props["email"] = key
	c.props["hs_object_id"] = id
	c.props["createdate"] = now.Format(time.RFC3339Nano)
	c.props["lastmodifieddate"] = now.Format(time.RFC3339Nano)
	d.contacts[key] = c
	d.byID[id] = c
	return c, true
}

func setProp(c *contact, name, value string) {
	if value == "" {
		delete(c.props, name)
		return
	}
	c.props[name] = value
}

// stageRank is a lifecycle stage's place in HubSpot's order, or -1.
func stageRank(stage string) int { return slices.Index(LifecycleStages, stage) }

type upsertInput struct {
	ID                 string         `json:"id"`
	IDProperty         string         `json:"idProperty"`
	Properties         map[string]any `json:"properties"`
	ObjectWriteTraceID string         `json:"objectWriteTraceId,omitempty"`
}

// propertyError is one entry of the JSON list HubSpot puts inside the
// message of "Property values were not valid" errors.
type propertyError struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

func invalidPropertiesMessage(errs []propertyError) string {
	b, _ := json.Marshal(errs)
	return "Property values were not valid: " + string(b)
}

// objectResult is a record in a batch answer.
type objectResult struct {
	ID                 string             `json:"id"`
	Properties         map[string]*string `json:"properties"`
	CreatedAt          time.Time          `json:"createdAt"`
	UpdatedAt          time.Time          `json:"updatedAt"`
	Archived           bool               `json:"archived"`
	New                *bool              `json:"new,omitempty"`
	ObjectWriteTraceID string             `json:"objectWriteTraceId,omitempty"`
}

type batchResponse struct {
	Status      string         `json:"status"`
	Results     []objectResult `json:"results"`
	NumErrors   int            `json:"numErrors,omitempty"`
	Errors      []errorBody    `json:"errors,omitempty"`
	StartedAt   time.Time      `json:"startedAt"`
	CompletedAt time.Time      `json:"completedAt"`
}

func (b *batchResponse) write(w http.ResponseWriter) {
	b.Status = "COMPLETE"
	b.CompletedAt = time.Now().UTC()
	b.NumErrors = len(b.Errors)
	if b.Results == nil {
		b.Results = []objectResult{}
	}
	status := http.StatusOK
	if len(b.Errors) > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, b)
}

// batchUpsert creates or updates contacts by email. Per-input problems (an
// invalid email; with objectWriteTraceId, also invalid property values) are
// answered 207 with an error naming the input; without objectWriteTraceId an
// invalid property value fails the whole batch with 400, as in HubSpot.
func (d *Double) batchUpsert(w http.ResponseWriter, r *http.Request) {
	started := time.Now().UTC()
	var req struct {
		Inputs []upsertInput `json:"inputs"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.Inputs) > MaxBatchInputs {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Batch size %d exceeds the limit of %d inputs", len(req.Inputs), MaxBatchInputs))
		return
	}
	seen := map[string]bool{}
	var dups []string
	for _, in := range req.Inputs {
		if in.IDProperty != "email" {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
				fmt.Sprintf("idProperty '%s' is not supported by the hubspot double; use 'email'", in.IDProperty))
			return
		}
		k := strings.ToLower(in.ID)
		if seen[k] {
			dups = append(dups, in.ID)
		}
		seen[k] = true
	}
	if len(dups) > 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Duplicate IDs found in batch input: %v. IDs must be unique", dups))
		return
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	resp := batchResponse{StartedAt: started}
	var batchErrs []propertyError
	valid := make([]map[string]string, len(req.Inputs))
	for i, in := range req.Inputs {
		values, errs := d.validateInputLocked(in)
		switch {
		case !validEmail(in.ID):
			errs = append([]propertyError{{Message: fmt.Sprintf("Email address %s is invalid", in.ID), Error: "INVALID_EMAIL", Name: "email"}}, errs...)
			resp.Errors = append(resp.Errors, inputError(in, errs))
		case len(errs) > 0 && in.ObjectWriteTraceID != "":
			resp.Errors = append(resp.Errors, inputError(in, errs))
		case len(errs) > 0:
			batchErrs = append(batchErrs, errs...)
		default:
			valid[i] = values
		}
	}
	if len(batchErrs) > 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", invalidPropertiesMessage(batchErrs))
		return
	}
	now := time.Now().UTC()
	for i, in := range req.Inputs {
		if valid[i] == nil {
			continue
		}
		c, created := d.getOrCreateLocked(in.ID, now)
		for name, v := range valid[i] {
			if name == "lifecyclestage" && v != "" && c.props[name] != "" && stageRank(v) < stageRank(c.props[name]) {
				continue // HubSpot ignores a backwards move, silently.
			}
			setProp(c, name, v)
		}
		c.updatedAt = now
		c.props["lastmodifieddate"] = now.Format(time.RFC3339Nano)
		names := append(slices.Collect(maps.Keys(valid[i])), "email", "hs_object_id", "createdate", "lastmodifieddate")
		res := result(c, names)
		res.New = &created
		res.ObjectWriteTraceID = in.ObjectWriteTraceID
		resp.Results = append(resp.Results, res)
	}
	if len(resp.Results) > 0 {
		d.changes++
	}
	resp.write(w)
}

// validateInputLocked turns an input's properties into strings and checks
// them against the registry.
func (d *Double) validateInputLocked(in upsertInput) (map[string]string, []propertyError) {
	values := map[string]string{}
	var errs []propertyError
	for name, raw := range in.Properties {
		v, ok := stringValue(raw)
		p, known := d.properties[name]
		switch {
		case !known:
			errs = append(errs, propertyError{Message: fmt.Sprintf("Property \"%s\" does not exist", name), Error: "PROPERTY_DOESNT_EXIST", Name: name})
			continue
		case !ok:
			errs = append(errs, propertyError{Message: fmt.Sprintf("%v is not a valid value for %s", raw, name), Error: "INVALID_VALUE", Name: name})
			continue
		case p.ModificationMetadata.ReadOnlyValue:
			errs = append(errs, propertyError{Message: fmt.Sprintf("\"%s\" is a read only property; its value cannot be set.", name), Error: "READ_ONLY_VALUE", Name: name})
			continue
		case name == "email":
			continue // the input's id is the email
		case p.Type == "enumeration" && v != "" && !hasOption(p, v):
			errs = append(errs, propertyError{Message: fmt.Sprintf("%s was not one of the allowed options: %s", v, optionValues(p)), Error: "INVALID_OPTION", Name: name})
			continue
		}
		values[name] = v
	}
	slices.SortFunc(errs, func(a, b propertyError) int { return strings.Compare(a.Name, b.Name) })
	for i := range errs {
		errs[i].IsValid = false
	}
	return values, errs
}

func inputError(in upsertInput, errs []propertyError) errorBody {
	ctx := map[string][]string{"ids": {in.ID}}
	if in.ObjectWriteTraceID != "" {
		ctx["objectWriteTraceId"] = []string{in.ObjectWriteTraceID}
	}
	details := make([]errorDetail, len(errs))
	for i, e := range errs {
		details[i] = errorDetail{Message: e.Message, Code: e.Error, In: e.Name}
	}
	return errorBody{
		Status:        "error",
		Category:      "VALIDATION_ERROR",
		Message:       invalidPropertiesMessage(errs),
		CorrelationID: newCorrelationID(),
		Context:       ctx,
		Errors:        details,
	}
}

func stringValue(raw any) (string, bool) {
	switch v := raw.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

func hasOption(p Property, v string) bool {
	return slices.ContainsFunc(p.Options, func(o Option) bool { return o.Value == v })
}

func optionValues(p Property) string {
	vs := make([]string, len(p.Options))
	for i, o := range p.Options {
		vs[i] = o.Value
	}
	return strings.Join(vs, ", ")
}

// validEmail is a plain check in the spirit of HubSpot's: one @, something
// before it, a dotted domain after it, no spaces.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t\r\n,;:<>()[]\"\\") {
		return false
	}
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// result renders a contact with the named properties (null when unset).
func result(c *contact, names []string) objectResult {
	props := map[string]*string{}
	for _, n := range names {
		if v, ok := c.props[n]; ok {
			props[n] = &v
		} else {
			props[n] = nil
		}
	}
	return objectResult{ID: c.id, Properties: props, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt}
}

// batchRead reads contacts by email (idProperty "email") or by record id.
// Missing ones are named in one OBJECT_NOT_FOUND error of a 207 answer.
func (d *Double) batchRead(w http.ResponseWriter, r *http.Request) {
	started := time.Now().UTC()
	var req struct {
		IDProperty string `json:"idProperty"`
		Inputs     []struct {
			ID string `json:"id"`
		} `json:"inputs"`
		Properties []string `json:"properties"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	if len(req.Inputs) > MaxBatchInputs {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Batch size %d exceeds the limit of %d inputs", len(req.Inputs), MaxBatchInputs))
		return
	}
	if req.IDProperty != "" && req.IDProperty != "email" && req.IDProperty != "hs_object_id" {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("idProperty '%s' is not a unique property", req.IDProperty))
		return
	}
	names := req.Properties
	if len(names) == 0 {
		names = []string{"email", "firstname", "lastname"}
	}
	names = append(slices.Clone(names), "hs_object_id", "createdate", "lastmodifieddate")

	d.mu.Lock()
	defer d.mu.Unlock()
	resp := batchResponse{StartedAt: started}
	var missing []string
	seen := map[string]bool{}
	for _, in := range req.Inputs {
		var c *contact
		if req.IDProperty == "email" {
			c = d.contacts[strings.ToLower(in.ID)]
		} else {
			c = d.byID[in.ID]
		}
		switch {
		case c == nil:
			missing = append(missing, in.ID)
		case !seen[c.id]:
			seen[c.id] = true
			resp.Results = append(resp.Results, result(c, names))
		}
	}
	if len(missing) > 0 {
		resp.Errors = []errorBody{{
			Status:        "error",
			Category:      "OBJECT_NOT_FOUND",
			Message:       "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
			CorrelationID: newCorrelationID(),
			Context:       map[string][]string{"ids": missing},
		}}
	}
	resp.write(w)
}
