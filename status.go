package hiresync

import "go.temporal.io/sdk/temporal"

// Statuses an application can have besides a pipeline stage name.
const (
	StatusApplied    = "applied"
	StatusTestPassed = "test_passed"
	StatusTestFailed = "test_failed"
	StatusHired      = "hired"
	StatusRejected   = "rejected"
	StatusWithdrawn  = "withdrawn"
)

// Status is the application status the event sets, and whether it closes
// the application; ok is false for events that leave the status alone.
func (e Event) Status() (status string, closes, ok bool) {
	switch e.Type {
	case ApplicationSubmitted:
		return StatusApplied, false, true
	case TestPassed:
		return StatusTestPassed, false, true
	case TestFailed:
		return StatusTestFailed, false, true
	case StageChanged:
		if sc := e.Data.StageChange; sc != nil && sc.To != "" {
			return sc.To, false, true
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
		updates = append(updates, HiringStageAttr.ValueSet(status))
	}
	return temporal.NewSearchAttributes(updates...)
}
