package hubspot

import "slices"

// HubSpot's default lifecycle stages.
const (
	StageSubscriber             = "subscriber"
	StageLead                   = "lead"
	StageMarketingQualifiedLead = "marketingqualifiedlead"
	StageSalesQualifiedLead     = "salesqualifiedlead"
	StageOpportunity            = "opportunity"
	StageCustomer               = "customer"
	StageEvangelist             = "evangelist"
	StageOther                  = "other"
)

// LifecycleStages lists HubSpot's lifecycle stages in its order. HubSpot
// moves a contact only forward in it: a direct move backwards is ignored
// without an error.
var LifecycleStages = []string{
	StageSubscriber, StageLead, StageMarketingQualifiedLead, StageSalesQualifiedLead,
	StageOpportunity, StageCustomer, StageEvangelist, StageOther,
}

// DefaultHireStage is the lifecycle stage a hired candidate moves to.
const DefaultHireStage = StageCustomer

// Intent is what a change wants of the contact's lifecycle stage.
type Intent int

// The lifecycle intents.
const (
	// LeaveStage does not touch the lifecycle stage.
	LeaveStage Intent = iota
	// InitialStage sets `other` only if the contact has no stage yet (a
	// candidate's first event).
	InitialStage
	// HireStage moves the contact to the hire stage, never down.
	HireStage
)

// PlanLifecycle returns the values to write to lifecyclestage, in order,
// one request each, to carry out intent on a contact whose stage is
// current ("" for none or no contact); nil means leave it.
//
// For HireStage: from no stage or an earlier one, set the target; from
// `other` (last in HubSpot's order, so any move from it is backwards),
// clear it and then set the target in a later request; from the target
// itself, a later stage, or a stage hiresync does not know (a custom one,
// whose place in the order is unknown), leave it, never downgrading.
func PlanLifecycle(current string, intent Intent, target string) []string {
	switch intent {
	case InitialStage:
		if current == "" {
			return []string{StageOther}
		}
	case HireStage:
		from, to := stageRank(current), stageRank(target)
		switch {
		case current == target:
		case current == "":
			return []string{target}
		case from < 0:
		case from < to:
			return []string{target}
		case current == StageOther:
			return []string{"", target}
		}
	}
	return nil
}

func stageRank(stage string) int { return slices.Index(LifecycleStages, stage) }
