package hubspot

import (
	"context"
	"fmt"
	"maps"
)

// Change is what one ClarityHire event asks of a candidate's contact.
type Change struct {
	Email string
	// Properties are the hiring properties to write (not lifecyclestage,
	// which Lifecycle governs).
	Properties map[string]string
	Lifecycle  Intent
}

// Outcome is what Sync wrote, for the candidate's timeline.
type Outcome struct {
	ContactID string
	// Created is true when Sync created the contact.
	Created bool
	// Written are the properties written, lifecyclestage with the last
	// value written to it.
	Written map[string]string
	// LifecycleChecked is true when the current stage was read.
	LifecycleChecked bool
	// LifecycleBefore and LifecycleAfter are the stage before and after,
	// as HubSpot answered ("" for none).
	LifecycleBefore string
	LifecycleAfter  string
	// LifecycleSteps are the values written to lifecyclestage, one request
	// each: ["", "customer"] for a clear-then-set.
	LifecycleSteps []string
}

// Syncer writes Changes to HubSpot through a Batcher, following the
// lifecycle rule of PlanLifecycle.
type Syncer struct {
	batcher   *Batcher
	hireStage string
}

// NewSyncer returns a Syncer that moves hired candidates to hireStage
// (DefaultHireStage when empty), which must be one of LifecycleStages.
func NewSyncer(b *Batcher, hireStage string) (*Syncer, error) {
	if hireStage == "" {
		hireStage = DefaultHireStage
	}
	if stageRank(hireStage) < 0 {
		return nil, fmt.Errorf("hire lifecycle stage %q is not one of %v", hireStage, LifecycleStages)
	}
	return &Syncer{batcher: b, hireStage: hireStage}, nil
}

// Sync writes one Change: it reads the contact's lifecycle stage when the
// intent needs it, then upserts the properties and the stage, as two
// upserts one after the other when the stage must be cleared first.
// Running the same Change again leaves the contact as it is, and running it
// again after a failure between the clear and the set finishes the move.
func (s *Syncer) Sync(ctx context.Context, ch Change) (Outcome, error) {
	if emailKey(ch.Email) == "" {
		return Outcome{}, fmt.Errorf("sync contact: no email: %w", ErrInvalidInput)
	}
	if _, ok := ch.Properties[PropertyLifecycleStage]; ok {
		return Outcome{}, fmt.Errorf("sync contact: lifecyclestage is set by the change's intent, not its properties: %w", ErrInvalidInput)
	}
	var out Outcome
	if ch.Lifecycle != LeaveStage {
		c, _, err := s.batcher.Read(ctx, ch.Email)
		if err != nil {
			return Outcome{}, fmt.Errorf("sync contact: %w", err)
		}
		out.LifecycleChecked = true
		out.LifecycleBefore = c.Properties[PropertyLifecycleStage]
		out.LifecycleAfter = out.LifecycleBefore
		out.ContactID = c.ID
	}
	steps := PlanLifecycle(out.LifecycleBefore, ch.Lifecycle, s.hireStage)

	first := maps.Clone(ch.Properties)
	if first == nil {
		first = map[string]string{}
	}
	if len(steps) > 0 {
		first[PropertyLifecycleStage] = steps[0]
	}
	if len(first) == 0 {
		return out, nil
	}
	out.Written = map[string]string{}
	writes := []map[string]string{first}
	for _, v := range steps[min(1, len(steps)):] {
		writes = append(writes, map[string]string{PropertyLifecycleStage: v})
	}
	for i, props := range writes {
		res, err := s.batcher.Upsert(ctx, UpsertInput{Email: ch.Email, Properties: props})
		if err != nil {
			return out, fmt.Errorf("sync contact (write %d of %d): %w", i+1, len(writes), err)
		}
		out.ContactID = res.ID
		out.Created = out.Created || res.Created
		maps.Copy(out.Written, props)
		if v, ok := props[PropertyLifecycleStage]; ok {
			out.LifecycleSteps = append(out.LifecycleSteps, v)
			out.LifecycleAfter = v
			if got, ok := res.Properties[PropertyLifecycleStage]; ok {
				out.LifecycleAfter = got
			}
		}
	}
	return out, nil
}
