package hubspotdouble

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// PropertyGroup is a contact property group as HubSpot returns it.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// Option is one choice of an enumeration property.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// ModificationMetadata says what may be changed about a property.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// Property is a contact property as HubSpot returns it.
type Property struct {
	Name                 string               `json:"name"`
	Label                string               `json:"label"`
	Type                 string               `json:"type"`
	FieldType            string               `json:"fieldType"`
	Description          string               `json:"description"`
	GroupName            string               `json:"groupName"`
	Options              []Option             `json:"options"`
	DisplayOrder         int                  `json:"displayOrder"`
	Calculated           bool                 `json:"calculated"`
	ExternalOptions      bool                 `json:"externalOptions"`
	HasUniqueValue       bool                 `json:"hasUniqueValue"`
	Hidden               bool                 `json:"hidden"`
	HubspotDefined       bool                 `json:"hubspotDefined,omitempty"`
	FormField            bool                 `json:"formField"`
	ModificationMetadata ModificationMetadata `json:"modificationMetadata"`
	CreatedAt            time.Time            `json:"createdAt"`
	UpdatedAt            time.Time            `json:"updatedAt"`
	Archived             bool                 `json:"archived"`
}

// LifecycleStages are HubSpot's default lifecycle stages, in the only order
// in which HubSpot lets a contact move directly.
var LifecycleStages = []string{
	"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
	"opportunity", "customer", "evangelist", "other",
}

func defaultGroups() []PropertyGroup {
	return []PropertyGroup{
		{Name: "contactinformation", Label: "Contact information", DisplayOrder: -1},
		{Name: "conversioninformation", Label: "Conversion information", DisplayOrder: -1},
		{Name: "sales_properties", Label: "Sales properties", DisplayOrder: -1},
	}
}

// defaultProperties are the HubSpot-defined contact properties the double
// knows; any other name must be created through the properties API first.
func defaultProperties() []Property {
	text := func(name, label string) Property {
		return Property{Name: name, Label: label, Type: "string", FieldType: "text", GroupName: "contactinformation", FormField: true}
	}
	readOnly := func(name, label, typ string) Property {
		return Property{Name: name, Label: label, Type: typ, FieldType: typ, GroupName: "contactinformation",
			ModificationMetadata: ModificationMetadata{ReadOnlyDefinition: true, ReadOnlyValue: true}}
	}
	stages := make([]Option, len(LifecycleStages))
	labels := []string{"Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead", "Opportunity", "Customer", "Evangelist", "Other"}
	for i, s := range LifecycleStages {
		stages[i] = Option{Label: labels[i], Value: s, DisplayOrder: i}
	}
	leadStatus := []Option{}
	for i, s := range []string{"NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING"} {
		leadStatus = append(leadStatus, Option{Label: s, Value: s, DisplayOrder: i})
	}
	phone := text("phone", "Phone Number")
	phone.FieldType = "phonenumber"
	mobile := text("mobilephone", "Mobile Phone Number")
	mobile.FieldType = "phonenumber"
	message := text("message", "Message")
	message.FieldType = "textarea"
	return []Property{
		text("email", "Email"),
		text("firstname", "First Name"),
		text("lastname", "Last Name"),
		phone, mobile, message,
		text("company", "Company Name"),
		text("jobtitle", "Job Title"),
		text("website", "Website URL"),
		text("address", "Street Address"),
		text("city", "City"),
		text("state", "State/Region"),
		text("zip", "Postal Code"),
		text("country", "Country/Region"),
		text("hubspot_owner_id", "Contact owner"),
		{Name: "lifecyclestage", Label: "Lifecycle Stage", Type: "enumeration", FieldType: "radio", GroupName: "contactinformation", Options: stages, FormField: true},
		{Name: "hs_lead_status", Label: "Lead Status", Type: "enumeration", FieldType: "radio", GroupName: "sales_properties", Options: leadStatus, FormField: true},
		readOnly("hs_object_id", "Record ID", "number"),
		readOnly("createdate", "Create Date", "datetime"),
		readOnly("lastmodifieddate", "Last Modified Date", "datetime"),
	}
}

func (d *Double) addGroupLocked(g PropertyGroup) {
	if _, ok := d.groups[g.Name]; !ok {
		d.groupOrder = append(d.groupOrder, g.Name)
	}
	d.groups[g.Name] = g
}

func (d *Double) addPropertyLocked(p Property) {
	if p.Options == nil {
		p.Options = []Option{}
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Date(2019, 8, 6, 2, 41, 52, 0, time.UTC)
		p.UpdatedAt = p.CreatedAt
		p.HubspotDefined = true
	}
	if _, ok := d.properties[p.Name]; !ok {
		d.propOrder = append(d.propOrder, p.Name)
	}
	d.properties[p.Name] = p
}

// Properties returns every contact property the double knows, HubSpot's own
// first, then those created through the API.
func (d *Double) Properties() []Property {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Property, 0, len(d.propOrder))
	for _, n := range d.propOrder {
		out = append(out, d.properties[n])
	}
	return out
}

// Groups returns every contact property group the double knows.
func (d *Double) Groups() []PropertyGroup {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]PropertyGroup, 0, len(d.groupOrder))
	for _, n := range d.groupOrder {
		out = append(out, d.groups[n])
	}
	return out
}

var internalName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (d *Double) createGroup(w http.ResponseWriter, r *http.Request) {
	var g PropertyGroup
	if !decodeJSON(w, r, &g) {
		return
	}
	if !internalName.MatchString(g.Name) || g.Label == "" {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			"Property group must have a lower-case internal name and a label")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.groups[g.Name]; ok {
		writeError(w, http.StatusConflict, "OBJECT_ALREADY_EXISTS",
			fmt.Sprintf("A property group named '%s' already exists.", g.Name))
		return
	}
	g.Archived = false
	d.addGroupLocked(g)
	d.changes++
	writeJSON(w, http.StatusCreated, g)
}

func (d *Double) listGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"results": d.Groups()})
}

func (d *Double) readGroup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("groupName")
	d.mu.Lock()
	g, ok := d.groups[name]
	d.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("Unable to find property group with name '%s'", name))
		return
	}
	writeJSON(w, http.StatusOK, g)
}

// fieldTypes lists the field types HubSpot accepts for each property type.
var fieldTypes = map[string][]string{
	"string":      {"text", "textarea", "phonenumber", "html", "file"},
	"number":      {"number"},
	"date":        {"date"},
	"datetime":    {"date"},
	"bool":        {"booleancheckbox"},
	"enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
}

func (d *Double) createProperty(w http.ResponseWriter, r *http.Request) {
	var p Property
	if !decodeJSON(w, r, &p) {
		return
	}
	if msg := validateProperty(p); msg != "" {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", msg)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.properties[p.Name]; ok {
		writeError(w, http.StatusConflict, "OBJECT_ALREADY_EXISTS",
			fmt.Sprintf("Property named '%s' already exists.", p.Name))
		return
	}
	if _, ok := d.groups[p.GroupName]; !ok {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Property group '%s' does not exist.", p.GroupName))
		return
	}
	now := time.Now().UTC()
	p.CreatedAt, p.UpdatedAt = now, now
	p.HubspotDefined, p.Calculated, p.Archived = false, false, false
	p.ModificationMetadata = ModificationMetadata{Archivable: true}
	d.addPropertyLocked(p)
	d.changes++
	writeJSON(w, http.StatusCreated, d.properties[p.Name])
}

func validateProperty(p Property) string {
	switch {
	case !internalName.MatchString(p.Name):
		return fmt.Sprintf("Property name '%s' must be lower-case letters, digits and underscores, starting with a letter.", p.Name)
	case p.Label == "":
		return "Property label is required."
	case p.GroupName == "":
		return "Property groupName is required."
	}
	allowed, ok := fieldTypes[p.Type]
	if !ok {
		return fmt.Sprintf("Property type '%s' is not valid.", p.Type)
	}
	found := false
	for _, ft := range allowed {
		found = found || ft == p.FieldType
	}
	if !found {
		return fmt.Sprintf("Field type '%s' is not valid for type '%s'.", p.FieldType, p.Type)
	}
	if p.Type == "enumeration" {
		if len(p.Options) == 0 {
			return "Enumeration properties must have options."
		}
		seen := map[string]bool{}
		for _, o := range p.Options {
			if o.Value == "" || o.Label == "" || seen[o.Value] {
				return "Enumeration options must have a label and a unique, non-empty value."
			}
			seen[o.Value] = true
		}
	}
	return ""
}

func (d *Double) listProperties(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"results": d.Properties()})
}

func (d *Double) readProperty(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("propertyName")
	d.mu.Lock()
	p, ok := d.properties[name]
	d.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("Unable to find property with name '%s'", name))
		return
	}
	writeJSON(w, http.StatusOK, p)
}
