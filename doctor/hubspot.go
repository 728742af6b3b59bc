package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/hiresync/hiresync/activities/hubspot"
)

// The HubSpot checks' names.
const (
	CheckHubSpotToken      = "hubspot: token"
	CheckHubSpotProperties = "hubspot: properties"
)

const fixHubSpotToken = "create a Service Key (Development > Keys > Service keys) with the scopes the README lists, " +
	"or copy a legacy private app's access token, into HUBSPOT_ACCESS_TOKEN"

// hubspotError is the part of HubSpot's error body the checks read.
type hubspotError struct {
	Category string `json:"category"`
	Message  string `json:"message"`
	Errors   []struct {
		Context struct {
			RequiredGranularScopes []string `json:"requiredGranularScopes"`
		} `json:"context"`
	} `json:"errors"`
}

// scopes are the scopes a 403 says are needed.
func (e hubspotError) scopes() []string {
	var out []string
	for _, d := range e.Errors {
		out = append(out, d.Context.RequiredGranularScopes...)
	}
	return out
}

// hubspotGet makes one GET of HubSpot's API and decodes a 2xx answer into out;
// otherwise it returns the status and the error body.
func (r *run) hubspotGet(ctx context.Context, path string, out any) (int, hubspotError, error) {
	call, cancel := r.call(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(call, http.MethodGet, strings.TrimRight(r.Config.HubSpotAPIURL, "/")+path, nil)
	if err != nil {
		return 0, hubspotError{}, err
	}
	req.Header.Set("Authorization", "Bearer "+r.Config.HubSpotToken)
	resp, err := r.HTTPClient.Do(req)
	if err != nil {
		return 0, hubspotError{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, hubspotError{}, err
	}
	var he hubspotError
	if resp.StatusCode/100 != 2 {
		_ = json.Unmarshal(body, &he)
		return resp.StatusCode, he, nil
	}
	return resp.StatusCode, he, json.Unmarshal(body, out)
}

// checkHubSpot checks the token with a read of one contact (what any
// Service Key or private-app token with hiresync's scopes may do), then
// hiresync's custom properties.
func (r *run) checkHubSpot(ctx context.Context) {
	if r.Config.HubSpotToken == "" {
		r.skip(CheckHubSpotToken, "HUBSPOT_ACCESS_TOKEN unset: HubSpot is off")
		return
	}
	var page struct {
		Results []json.RawMessage `json:"results"`
	}
	status, he, err := r.hubspotGet(ctx, "/crm/v3/objects/contacts?limit=1&archived=false", &page)
	ok := false
	switch {
	case err != nil:
		r.fail(CheckHubSpotToken, fmt.Sprintf("read a contact at %s: %s", r.Config.HubSpotAPIURL, oneLine(err)),
			"check HUBSPOT_API_URL and that HubSpot is reachable from here")
	case status == http.StatusUnauthorized:
		r.fail(CheckHubSpotToken, fmt.Sprintf("HubSpot refuses HUBSPOT_ACCESS_TOKEN (401 %s)", he.Category), fixHubSpotToken)
	case status == http.StatusForbidden:
		r.fail(CheckHubSpotToken, fmt.Sprintf("the token may not read contacts (403 %s): needs %s", he.Category, strings.Join(he.scopes(), " or ")),
			"add crm.objects.contacts.read and crm.objects.contacts.write to the Service Key (or private app)")
	case status/100 != 2:
		r.fail(CheckHubSpotToken, fmt.Sprintf("read a contact: HubSpot answered %d %s %s", status, he.Category, he.Message), "")
	default:
		ok = true
		r.pass(CheckHubSpotToken, "reads contacts")
	}
	if !ok {
		r.skip(CheckHubSpotProperties, "the token does not work")
		return
	}
	r.checkProperties(ctx)
}

// checkProperties compares HubSpot's contact properties with hiresync's
// custom ones (hubspot.CustomProperties), in one read.
func (r *run) checkProperties(ctx context.Context) {
	var list struct {
		Results []hubspot.Property `json:"results"`
	}
	status, he, err := r.hubspotGet(ctx, "/crm/v3/properties/contacts", &list)
	switch {
	case err != nil:
		r.fail(CheckHubSpotProperties, "read contact properties: "+oneLine(err), "")
		return
	case status == http.StatusForbidden:
		r.fail(CheckHubSpotProperties, "the token may not read contact properties: needs "+strings.Join(he.scopes(), " or "),
			"add crm.schemas.contacts.read (or crm.schemas.contacts.write) to the Service Key")
		return
	case status/100 != 2:
		r.fail(CheckHubSpotProperties, fmt.Sprintf("read contact properties: HubSpot answered %d %s", status, he.Category), "")
		return
	}
	var missing, wrong []string
	for _, want := range hubspot.CustomProperties() {
		i := slices.IndexFunc(list.Results, func(p hubspot.Property) bool { return p.Name == want.Name })
		if i < 0 {
			missing = append(missing, want.Name)
			continue
		}
		if w := propertyDiffers(list.Results[i], want); w != "" {
			wrong = append(wrong, w)
		}
	}
	switch {
	case len(wrong) > 0:
		detail := strings.Join(wrong, "; ")
		if len(missing) > 0 {
			detail += "; missing " + strings.Join(missing, ", ")
		}
		r.fail(CheckHubSpotProperties, detail,
			"`hiresync hubspot setup` leaves existing properties alone: fix or delete these in HubSpot (Settings > Properties), then run it")
	case len(missing) > 0:
		r.fail(CheckHubSpotProperties, "missing "+strings.Join(missing, ", "), "run `hiresync hubspot setup`")
	default:
		r.pass(CheckHubSpotProperties, fmt.Sprintf("all %d custom contact properties, with their types", len(hubspot.CustomProperties())))
	}
}

// propertyDiffers says how an existing property would refuse what
// hiresync writes, or "". A text property takes any value.
func propertyDiffers(got, want hubspot.Property) string {
	if got.Type != want.Type && got.Type != "string" {
		return fmt.Sprintf("%s has type %s, hiresync writes %s", got.Name, got.Type, want.Type)
	}
	if got.Type != "enumeration" {
		return ""
	}
	for _, o := range want.Options {
		if !slices.ContainsFunc(got.Options, func(g hubspot.PropertyOption) bool { return g.Value == o.Value }) {
			return fmt.Sprintf("%s has no option %s", got.Name, o.Value)
		}
	}
	return ""
}
