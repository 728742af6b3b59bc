package workflows

import "github.com/hiresync/hiresync"

// Statuses an application can have besides a pipeline stage name.
const (
	StatusApplied    = "applied"
	StatusTestPassed = "test_passed"
	StatusTestFailed = "test_failed"
	StatusHired      = "hired"
	StatusRejected   = "rejected"
	StatusWithdrawn  = "withdrawn"
)

// statusOf is the application status an event sets, and whether it closes
// the application; ok is false for events that leave the status alone.
func statusOf(ev hiresync.Event) (status string, closes, ok bool) {
	switch ev.Type {
	case hiresync.ApplicationSubmitted:
		return StatusApplied, false, true
	case hiresync.TestPassed:
		return StatusTestPassed, false, true
	case hiresync.TestFailed:
		return StatusTestFailed, false, true
	case hiresync.StageChanged:
		if sc := ev.Data.StageChange; sc != nil && sc.To != "" {
			return sc.To, false, true
		}
	case hiresync.CandidateHired:
		return StatusHired, true, true
	case hiresync.ApplicationRejected:
		return StatusRejected, true, true
	case hiresync.ApplicationWithdrawn:
		return StatusWithdrawn, true, true
	}
	return "", false, false
}

// applyStatus moves the application's (and the candidate's) status to the
// event's, unless the event is older than the one that set the current
// status: a late delivery never moves a status back. It reports whether the
// application's status changed.
func (c *candidate) applyStatus(a *hiresync.ApplicationState, ev hiresync.Event) bool {
	status, closes, ok := statusOf(ev)
	if a == nil || !ok {
		return false
	}
	if a.Status != "" && ev.CreatedAt.Before(a.StatusAt) {
		return false
	}
	if c.Stage == "" || !ev.CreatedAt.Before(c.StageAt) {
		c.Stage, c.StageAt = status, ev.CreatedAt
	}
	changed := a.Status != status
	a.Status, a.StatusAt, a.Closed = status, ev.CreatedAt, closes
	return changed
}
