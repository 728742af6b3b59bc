package hubspot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/hiresync/hiresync"
)

// HubSpot's own contact properties that hiresync writes.
const (
	PropertyEmail          = "email"
	PropertyFirstName      = "firstname"
	PropertyLastName       = "lastname"
	PropertyLifecycleStage = "lifecyclestage"
)

// hiresync's custom contact properties, created by Setup in PropertyGroup.
const (
	PropertyGroupName   = "clarityhire"
	PropertyGroupLabel  = "ClarityHire"
	PropertyCandidateID = "clarityhire_candidate_id"
	PropertySourceJob   = "clarityhire_source_job"
	PropertyProfileURL  = "clarityhire_profile_url"
	PropertyStage       = "clarityhire_stage"
	PropertyTalentPool  = "clarityhire_talent_pool"
)

// CustomProperties are the definitions Setup creates. The talent pool is an
// enumeration (a dropdown with the one option rejected_qualified), so that
// recruiters can filter lists on it and a typo is refused by HubSpot; the
// others are free text.
func CustomProperties() []Property {
	text := func(name, label, desc string, order int) Property {
		return Property{Name: name, Label: label, Description: desc, Type: "string", FieldType: "text",
			GroupName: PropertyGroupName, DisplayOrder: order}
	}
	return []Property{
		text(PropertyCandidateID, "ClarityHire candidate ID", "The candidate's id in ClarityHire.", 1),
		text(PropertySourceJob, "ClarityHire source job", "Title of the job the candidate first applied to.", 2),
		text(PropertyProfileURL, "ClarityHire profile URL", "Link to the candidate's profile in ClarityHire.", 3),
		text(PropertyStage, "ClarityHire stage", "The candidate's current hiring stage in ClarityHire.", 4),
		{
			Name: PropertyTalentPool, Label: "ClarityHire talent pool",
			Description: "Set when a rejected candidate is worth another look.",
			Type:        "enumeration", FieldType: "select", GroupName: PropertyGroupName, DisplayOrder: 5,
			Options: []PropertyOption{{Label: "Rejected, qualified", Value: hiresync.TalentPoolRejectedQualified, DisplayOrder: 1}},
		},
	}
}

// SetupReport says what Setup found and did.
type SetupReport struct {
	// GroupCreated is true when Setup created the property group.
	GroupCreated bool
	// Created and Existing name the custom properties Setup created and
	// those that were already there.
	Created  []string
	Existing []string
	// Warnings describe existing properties that differ from hiresync's
	// definition (Setup does not change them).
	Warnings []string
}

// AlreadyDone reports whether everything already existed.
func (r SetupReport) AlreadyDone() bool { return !r.GroupCreated && len(r.Created) == 0 }

// Setup creates hiresync's property group and custom contact properties,
// leaving alone whatever already exists, so that it can run any number of
// times.
func Setup(ctx context.Context, client *Client, logger *slog.Logger) (SetupReport, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var report SetupReport
	_, err := client.CreatePropertyGroup(ctx, PropertyGroup{Name: PropertyGroupName, Label: PropertyGroupLabel, DisplayOrder: -1})
	switch {
	case err == nil:
		report.GroupCreated = true
		logger.InfoContext(ctx, "created hubspot property group", "group", PropertyGroupName)
	case isConflict(err):
		logger.InfoContext(ctx, "hubspot property group already exists", "group", PropertyGroupName)
	default:
		return report, fmt.Errorf("set up hubspot: %w", err)
	}

	existing, err := client.ReadProperties(ctx)
	if err != nil {
		return report, fmt.Errorf("set up hubspot: %w", err)
	}
	for _, want := range CustomProperties() {
		i := slices.IndexFunc(existing, func(p Property) bool { return p.Name == want.Name })
		if i >= 0 {
			report.Existing = append(report.Existing, want.Name)
			if w := differs(existing[i], want); w != "" {
				report.Warnings = append(report.Warnings, w)
				logger.WarnContext(ctx, "hubspot property differs from hiresync's definition", "property", want.Name, "difference", w)
			}
			logger.InfoContext(ctx, "hubspot property already exists", "property", want.Name)
			continue
		}
		if _, err := client.CreateProperty(ctx, want); err != nil {
			if isConflict(err) { // created meanwhile by someone else
				report.Existing = append(report.Existing, want.Name)
				continue
			}
			return report, fmt.Errorf("set up hubspot: %w", err)
		}
		report.Created = append(report.Created, want.Name)
		logger.InfoContext(ctx, "created hubspot property", "property", want.Name)
	}
	return report, nil
}

// differs describes how an existing property would not take the values
// hiresync writes, or returns "".
func differs(got, want Property) string {
	if got.Type != want.Type {
		if got.Type == "string" {
			return "" // text takes any value hiresync writes
		}
		return fmt.Sprintf("%s has type %s, hiresync writes %s values", got.Name, got.Type, want.Type)
	}
	for _, o := range want.Options {
		if !slices.ContainsFunc(got.Options, func(g PropertyOption) bool { return g.Value == o.Value }) {
			return fmt.Sprintf("%s has no option %s", got.Name, o.Value)
		}
	}
	return ""
}
