package hiresync

import (
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Status is an application's status: one of the Status constants, which
// hiresync's events set, or a pipeline stage name as ClarityHire sent it (a
// candidate.stage_changed's "to", or the application's own stage before any
// event of ours set one). The candidate's HiringStage and the HubSpot
// contact's clarityhire_stage are statuses too.
type Status string

// Statuses an application can have besides a pipeline stage name.
const (
	StatusApplied    Status = "applied"
	StatusTestPassed Status = "test_passed"
	StatusTestFailed Status = "test_failed"
	StatusHired      Status = "hired"
	StatusRejected   Status = "rejected"
	StatusWithdrawn  Status = "withdrawn"
)

// Label is how the status reads on the application's Slack root.
func (s Status) Label() string {
	switch s {
	case "":
		return "In process"
	case StatusApplied:
		return "Applied"
	case StatusTestPassed:
		return "Test passed"
	case StatusTestFailed:
		return "Test failed"
	case StatusHired:
		return "Hired"
	case StatusRejected:
		return "Rejected"
	case StatusWithdrawn:
		return "Withdrawn"
	}
	return "Stage: " + strings.ReplaceAll(string(s), "_", " ")
}

// Status is the application status the event sets, and whether it closes
// the application; ok is false for events that leave the status alone. A
// stage change never closes the application, whatever stage it moves to:
// only a hire, a rejection or a withdrawal does.
func (e Event) Status() (status Status, closes, ok bool) {
	switch e.Type {
	case ApplicationSubmitted:
		return StatusApplied, false, true
	case TestPassed:
		return StatusTestPassed, false, true
	case TestFailed:
		return StatusTestFailed, false, true
	case StageChanged:
		if sc := e.Data.StageChange; sc != nil && sc.To != "" {
			return Status(sc.To), false, true
		}
	case CandidateHired:
		return StatusHired, true, true
	case ApplicationRejected:
		return StatusRejected, true, true
	case ApplicationWithdrawn:
		return StatusWithdrawn, true, true
	}
	return "", false, false
}

// StartAttributes are the search attributes a candidate's workflow starts
// with when e is its first event: the candidate, and the job and stage that
// the event gives its application. Setting them in the start saves the
// workflow an upsert, a visibility write, for every new candidate, and makes
// the candidate findable by job and stage from the moment the event is
// acknowledged, before a worker has taken it. The workflow reads them back
// and upserts only what its state says differently.
func StartAttributes(e Event) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{CandidateIDAttr.ValueSet(e.Data.Candidate.ID)}
	if job := e.JobID(); job != "" {
		updates = append(updates, JobIDsAttr.ValueSet([]string{job}))
	}
	// The workflow keeps a stage only for an event with an application.
	if status, _, ok := e.Status(); ok && e.ApplicationKey() != "" {
		updates = append(updates, HiringStageAttr.ValueSet(string(status)))
	}
	return temporal.NewSearchAttributes(updates...)
}
