package workflows

import (
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
)

// detailEvents is how many recent events the Web UI's details show.
const detailEvents = 8

// publish keeps the search attributes and the Web UI's current details in
// step with the state.
func (c *candidate) publish(ctx workflow.Context) {
	var updates []temporal.SearchAttributeUpdate
	if jobs := c.jobIDs(); !slices.Equal(jobs, c.sentJobs) {
		updates = append(updates, hiresync.JobIDsAttr.ValueSet(jobs))
		c.sentJobs = jobs
	}
	if c.Stage != c.sentStage && c.Stage != "" {
		updates = append(updates, hiresync.HiringStageAttr.ValueSet(string(c.Stage)))
		c.sentStage = c.Stage
	}
	if since := c.stalledSince(); !since.Equal(c.sentStalled) {
		if since.IsZero() {
			updates = append(updates, hiresync.StalledSinceAttr.ValueUnset())
		} else {
			updates = append(updates, hiresync.StalledSinceAttr.ValueSet(since))
		}
		c.sentStalled = since
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			workflow.GetLogger(ctx).Warn("search attributes not updated", "error", err)
		}
	}
	c.publishDetails(ctx)
}

func (c *candidate) publishDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, c.details())
}

// jobIDs lists the candidate's jobs in the order first seen.
func (c *candidate) jobIDs() []string {
	apps := c.orderedApplications()
	var jobs []string
	for _, app := range apps {
		if app.JobID != "" && !slices.Contains(jobs, app.JobID) {
			jobs = append(jobs, app.JobID)
		}
	}
	return jobs
}

func (c *candidate) orderedApplications() []*hiresync.ApplicationState {
	keys := workflow.DeterministicKeys(c.Applications)
	apps := make([]*hiresync.ApplicationState, 0, len(keys))
	for _, k := range keys {
		apps = append(apps, c.Applications[k])
	}
	slices.SortStableFunc(apps, func(x, y *hiresync.ApplicationState) int { return x.FirstSeen - y.FirstSeen })
	return apps
}

// details is a short Markdown timeline: each application's status and the
// last events with what was done.
func (c *candidate) details() string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("### %s\n\n", c.Candidate.Name()))
	for _, app := range c.orderedApplications() {
		thread := "no Slack thread yet"
		if app.RootTS != "" {
			thread = "thread " + app.Channel + "/" + app.RootTS
		}
		b.WriteString(fmt.Sprintf("- **%s** (%s): %s — %s\n", app.JobTitle, app.JobID, orDash(string(app.Status)), thread))
	}
	if len(c.Failed) > 0 {
		b.WriteString(fmt.Sprintf("\n**%d event(s) with failed actions** — fix the cause, then signal `%s`.\n", len(c.Failed), hiresync.RedriveSignal))
	}
	b.WriteString("\n| event | type | actions |\n|---|---|---|\n")
	start := max(0, len(c.Timeline)-detailEvents)
	for _, e := range c.Timeline[start:] {
		var acts []string
		for _, act := range e.Actions {
			acts = append(acts, act.Target+" "+act.What+": "+act.Result)
		}
		b.WriteString(fmt.Sprintf("| %s | %s | %s |\n", e.EventID, e.Type, strings.Join(acts, "; ")))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
