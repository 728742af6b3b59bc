package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
)

func hubspotOptions(ctx workflow.Context, summary string) workflow.Context {
	return downstreamOptions(ctx, summary, 30*time.Second, activities.ErrHubSpotPermanent)
}

// writeContact writes the event's part of the contact, per PRODUCT.md's
// table, given what the contact has now (a re-drive's write).
func (c *candidate) writeContact(ctx workflow.Context, ev hiresync.Event) hiresync.Action {
	change, why := c.contactChange(ev, c.Contact)
	if why != "" {
		return contactSkipped(why)
	}
	return c.syncContact(ctx, &step{ev: ev, change: change})
}

// syncContact writes the contact writes of steps (one event's, or several
// merged into one) and once it is done keeps what was written in the
// state. It returns the action each of those events gets.
func (c *candidate) syncContact(ctx workflow.Context, steps ...*step) hiresync.Action {
	change, summary, also := mergeContactChanges(steps), "HubSpot: upsert contact for "+steps[0].ev.Type, ""
	if n := len(steps); n > 1 {
		summary = fmt.Sprintf("HubSpot: upsert contact for %d events (%s … %s)", n, steps[0].ev.Type, steps[n-1].ev.Type)
		also = fmt.Sprintf(" (one write for %d events)", n)
	}
	var res activities.ContactResult
	err := workflow.ExecuteActivity(hubspotOptions(ctx, summary), activity.SyncContact, change).Get(ctx, &res)
	act := actionOf("hubspot", "upsert contact", err, res.Skipped)
	if act.Result != hiresync.ActionDone {
		return act
	}
	act.Detail = fmt.Sprintf("%d properties", res.Written)
	if res.LifecycleAfter != res.LifecycleBefore {
		act.Detail += fmt.Sprintf(", lifecycle %q → %q", res.LifecycleBefore, res.LifecycleAfter)
	}
	act.Detail += also
	for _, s := range steps {
		recordContactWrite(&c.Contact, s.change, s.ev)
	}
	if res.LifecycleAfter != "" {
		c.Contact.Lifecycle = res.LifecycleAfter
	}
	return act
}

// contactSkipped is the action of an event that writes nothing to HubSpot.
func contactSkipped(why string) hiresync.Action {
	return hiresync.Action{Target: "hubspot", What: "upsert contact", Result: hiresync.ActionSkipped, Detail: why}
}

// recordContactWrite keeps in contact what an event's change wrote.
func recordContactWrite(contact *hiresync.ContactState, change activities.ContactChange, ev hiresync.Event) {
	if change.FirstName != "" || change.CandidateID != "" {
		contact.Created = true
	}
	if change.Stage != "" {
		contact.Stage, contact.StageAt = change.Stage, ev.CreatedAt
	}
	if change.TalentPool != "" {
		contact.TalentPool = change.TalentPool
	}
}

// contactChange maps an event to its contact write, given what was written
// to the contact before it, or says why there is none.
func (c *candidate) contactChange(ev hiresync.Event, contact hiresync.ContactState) (activities.ContactChange, string) {
	if c.Candidate.Email == "" {
		return activities.ContactChange{}, "candidate has no email: not synced to HubSpot"
	}
	ch := activities.ContactChange{EventID: ev.ID, Email: c.Candidate.Email}
	if !contact.Created || ev.Type == hiresync.ApplicationSubmitted {
		ch.FirstName = c.Candidate.FirstName
		ch.LastName = c.Candidate.LastName
		ch.CandidateID = c.CandidateID
		ch.ProfileURL = c.Candidate.ProfileURL
		if app := ev.Data.Application; app != nil {
			ch.SourceJob = app.Job.Title
		}
		ch.Lifecycle = activities.LifecycleIfEmpty
	}
	// A stage older than the one written never overwrites it.
	stageIsNewer := contact.Stage == "" || !ev.CreatedAt.Before(contact.StageAt)
	switch ev.Type {
	case hiresync.StageChanged:
		if sc := ev.Data.StageChange; sc != nil && sc.To != "" && stageIsNewer {
			ch.Stage = hiresync.Status(sc.To)
		}
	case hiresync.CandidateHired:
		ch.Lifecycle = activities.LifecycleHired
		if stageIsNewer {
			ch.Stage = hiresync.StatusHired
		}
	case hiresync.ApplicationRejected:
		if stageIsNewer {
			ch.Stage = hiresync.StatusRejected
		}
		if r := ev.Data.Rejection; r != nil && r.Qualified || c.PassedTest {
			ch.TalentPool = hiresync.TalentPoolRejectedQualified
		}
	case hiresync.TestPassed, hiresync.TestCompleted:
		// A test passed after the rejection (or delivered after it) makes
		// the rejected candidate qualified all the same.
		if c.PassedTest && c.Rejected && contact.TalentPool == "" {
			ch.TalentPool = hiresync.TalentPoolRejectedQualified
		}
	}
	if ch == (activities.ContactChange{EventID: ev.ID, Email: c.Candidate.Email}) {
		return ch, "no contact property for " + ev.Type
	}
	return ch, ""
}

// byEmail groups the steps that write the contact into runs of the same
// email (a candidate whose email changed writes both contacts, in order).
func byEmail(steps []*step) [][]*step {
	var groups [][]*step
	email := ""
	for _, s := range steps {
		if s.noChange != "" {
			continue
		}
		if len(groups) == 0 || s.change.Email != email {
			groups = append(groups, nil)
			email = s.change.Email
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], s)
	}
	return groups
}

// mergeContactChanges is one contact write with the effect of the steps'
// writes in their order: a later value wins, and a hire's lifecycle stage
// wins over "other only if it has none" whichever came first (that one
// changes nothing once the contact has a stage).
func mergeContactChanges(steps []*step) activities.ContactChange {
	m := steps[0].change
	for _, s := range steps[1:] {
		ch := s.change
		m.EventID = ch.EventID
		later(&m.FirstName, ch.FirstName)
		later(&m.LastName, ch.LastName)
		later(&m.CandidateID, ch.CandidateID)
		later(&m.SourceJob, ch.SourceJob)
		later(&m.ProfileURL, ch.ProfileURL)
		later(&m.Stage, ch.Stage)
		later(&m.TalentPool, ch.TalentPool)
		if m.Lifecycle != activities.LifecycleHired {
			later(&m.Lifecycle, ch.Lifecycle)
		}
	}
	return m
}

// later sets *dst to v unless v is empty.
func later[T ~string](dst *T, v T) {
	if v != "" {
		*dst = v
	}
}
