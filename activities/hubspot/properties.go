package hubspot

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// PropertyGroup is a group of contact properties.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived,omitempty"`
}

// PropertyOption is one choice of an enumeration property.
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// Property is a contact property definition. Type is the data type
// (string, number, date, datetime, enumeration, bool); FieldType is how
// HubSpot shows it (text, textarea, select, radio, …).
type Property struct {
	Name           string           `json:"name"`
	Label          string           `json:"label"`
	Type           string           `json:"type"`
	FieldType      string           `json:"fieldType"`
	GroupName      string           `json:"groupName"`
	Description    string           `json:"description,omitempty"`
	Options        []PropertyOption `json:"options,omitempty"`
	DisplayOrder   int              `json:"displayOrder,omitempty"`
	HasUniqueValue bool             `json:"hasUniqueValue,omitempty"`
	Hidden         bool             `json:"hidden,omitempty"`
	FormField      bool             `json:"formField,omitempty"`
	// Read-only fields, set by HubSpot.
	Calculated bool      `json:"calculated,omitempty"`
	CreatedAt  time.Time `json:"createdAt,omitzero"`
	UpdatedAt  time.Time `json:"updatedAt,omitzero"`
}

// CreatePropertyGroup creates a contact property group. A group that
// already exists is an *APIError with Status 409.
func (c *Client) CreatePropertyGroup(ctx context.Context, g PropertyGroup) (PropertyGroup, error) {
	var out PropertyGroup
	if err := c.do(ctx, "POST", "/crm/v3/properties/contacts/groups", g, &out); err != nil {
		return PropertyGroup{}, fmt.Errorf("create property group %s: %w", g.Name, err)
	}
	return out, nil
}

// CreateProperty creates a contact property. A property that already
// exists is an *APIError with Status 409.
func (c *Client) CreateProperty(ctx context.Context, p Property) (Property, error) {
	var out Property
	if err := c.do(ctx, "POST", "/crm/v3/properties/contacts", p, &out); err != nil {
		return Property{}, fmt.Errorf("create property %s: %w", p.Name, err)
	}
	return out, nil
}

// ReadProperties returns every contact property, HubSpot's and custom ones.
func (c *Client) ReadProperties(ctx context.Context) ([]Property, error) {
	var out struct {
		Results []Property `json:"results"`
	}
	if err := c.do(ctx, "GET", "/crm/v3/properties/contacts", nil, &out); err != nil {
		return nil, fmt.Errorf("read contact properties: %w", err)
	}
	return out.Results, nil
}

// ReadProperty returns one contact property; IsNotFound(err) when there is
// none of that name.
func (c *Client) ReadProperty(ctx context.Context, name string) (Property, error) {
	var out Property
	if err := c.do(ctx, "GET", "/crm/v3/properties/contacts/"+url.PathEscape(name), nil, &out); err != nil {
		return Property{}, fmt.Errorf("read contact property %s: %w", name, err)
	}
	return out, nil
}
