package ingress

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hiresync/hiresync"
)

// ParseEvent decodes and validates a ClarityHire envelope with
// encoding/json: unknown fields are ignored (ClarityHire may add any), and
// what hiresync.Event has no field for, such as the phone number, is not
// kept. The error says what is wrong in words the sender can act on.
func ParseEvent(body []byte) (hiresync.Event, error) {
	var e hiresync.Event
	if err := json.Unmarshal(body, &e); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return e, fmt.Errorf("field %s has the wrong type: %s", typeErr.Field, typeErr.Value)
		}
		return e, fmt.Errorf("malformed JSON: %v", err)
	}
	if err := checkID("id", e.ID); err != nil {
		return e, err
	}
	if e.Type == "" {
		return e, errors.New("missing type")
	}
	if len(e.Type) > hiresync.MaxIDLength || !printable(e.Type) {
		return e, errors.New("type is not a valid event type")
	}
	if err := checkID("data.candidate.id", e.Data.Candidate.ID); err != nil {
		return e, err
	}
	// The application's and job's ids are optional, but when sent they go
	// into Slack's metadata, search attributes and the timeline as the
	// event's and candidate's do, so they obey the same rule.
	if a := e.Data.Application; a != nil {
		if err := checkOptionalID("data.application.id", a.ID); err != nil {
			return e, err
		}
		if err := checkOptionalID("data.application.job.id", a.Job.ID); err != nil {
			return e, err
		}
	}
	return e, nil
}

// checkID accepts the ids ClarityHire issues: short, made of letters, digits
// and "_-.:". Anything else could smuggle text into a workflow id or a log.
// This check is what keeps ids safe downstream: an id that passed it is
// carried byte for byte into the workflow id, search attributes, timeline,
// logs, HubSpot and Slack's message metadata, and never cleaned or redacted
// there (redaction would turn "evt_20261204000001" into another id). The
// rule itself is hiresync.ValidID, which the Slack activities apply again.
func checkID(field, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("missing %s", field)
	case len(id) > hiresync.MaxIDLength:
		return fmt.Errorf("%s is longer than %d characters", field, hiresync.MaxIDLength)
	case !hiresync.ValidID(id):
		return fmt.Errorf("%s has a character other than letters, digits and _-.:", field)
	}
	return nil
}

// checkOptionalID is checkID for an id that may be left out.
func checkOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return checkID(field, id)
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
