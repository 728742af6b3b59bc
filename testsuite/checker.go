package testsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// Application is one candidate × job.
type Application struct{ Candidate, Job string }

// Expectation is what Slack, HubSpot and the timelines must show for a set
// of acknowledged deliveries, worked out in the order they were delivered
// (each candidate's deliveries go in order).
type Expectation struct {
	Events      map[string]int               // distinct events per candidate
	EventIDs    map[string][]string          // distinct event ids per candidate, in arrival order
	Roots       map[Application]string       // the event that posts each root
	Replies     map[Application][]string     // events that are replies, in arrival order
	FinalStatus map[Application]string       // the root's last status label
	Channel     map[Application]string       // the channel of each application
	ProfileURL  map[string]string            // per candidate
	Contacts    map[string]map[string]string // per (lower-cased) email: the properties hiresync writes
	Hires       []string                     // the candidate.hired events: one hand-off and one provisioning message each
}

// Expect works out the expectation of deliveries.
func Expect(ds []clarityhire.Delivery) (Expectation, error) {
	x := Expectation{
		Events: map[string]int{}, EventIDs: map[string][]string{}, Roots: map[Application]string{},
		Replies: map[Application][]string{}, FinalStatus: map[Application]string{}, Channel: map[Application]string{},
		ProfileURL: map[string]string{}, Contacts: map[string]map[string]string{},
	}
	seen := map[string]bool{}
	statusAt := map[Application]time.Time{}
	stageAt := map[string]time.Time{}
	passed := map[string]bool{}
	rejected := map[string]bool{}
	for _, d := range ds {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		var e hiresync.Event
		if err := json.Unmarshal(d.Body, &e); err != nil {
			return x, fmt.Errorf("delivery %s: %w", d.ID, err)
		}
		cand := e.Data.Candidate.ID
		x.Events[cand]++
		x.EventIDs[cand] = append(x.EventIDs[cand], e.ID)
		if e.Type == hiresync.CandidateHired {
			x.Hires = append(x.Hires, e.ID)
		}
		x.ProfileURL[cand] = e.Data.Candidate.ProfileURL
		a := Application{cand, e.Data.Application.Job.ID}
		if _, ok := x.Roots[a]; !ok {
			x.Roots[a] = e.ID
			x.Channel[a] = Routes.Channel(a.Job)
		} else {
			x.Replies[a] = append(x.Replies[a], e.ID)
		}
		if status, _, ok := e.Status(); ok && !e.CreatedAt.Before(statusAt[a]) {
			x.FinalStatus[a], statusAt[a] = status.Label(), e.CreatedAt
		}
		if e.PassedTest() {
			passed[cand] = true
		}
		email := strings.ToLower(e.Data.Candidate.Email) // HubSpot keeps emails lower-cased
		if email == "" {
			continue
		}
		c := x.Contacts[email]
		if c == nil {
			c = map[string]string{"email": email, hubspot.PropertyLifecycleStage: hubspot.StageOther}
			x.Contacts[email] = c
		}
		if c[hubspot.PropertyCandidateID] == "" || e.Type == hiresync.ApplicationSubmitted {
			c[hubspot.PropertyFirstName], c[hubspot.PropertyLastName] = e.Data.Candidate.FirstName, e.Data.Candidate.LastName
			c[hubspot.PropertyCandidateID] = cand
			c[hubspot.PropertyProfileURL] = e.Data.Candidate.ProfileURL
			c[hubspot.PropertySourceJob] = e.Data.Application.Job.Title
		}
		setStage := func(s string) {
			if !e.CreatedAt.Before(stageAt[cand]) {
				c[hubspot.PropertyStage], stageAt[cand] = s, e.CreatedAt
			}
		}
		switch e.Type {
		case hiresync.StageChanged:
			setStage(e.Data.StageChange.To)
		case hiresync.CandidateHired:
			setStage(string(hiresync.StatusHired))
			c[hubspot.PropertyLifecycleStage] = hubspot.StageCustomer
		case hiresync.ApplicationRejected:
			setStage(string(hiresync.StatusRejected))
			rejected[cand] = true
			if e.Data.Rejection.Qualified || passed[cand] {
				c[hubspot.PropertyTalentPool] = hiresync.TalentPoolRejectedQualified
			}
		}
		// Qualified also when the passed test comes after the rejection.
		if rejected[cand] && passed[cand] {
			c[hubspot.PropertyTalentPool] = hiresync.TalentPoolRejectedQualified
		}
	}
	return x, nil
}

// Report counts what a run produced against its expectation. A clean run
// has no Problems: zero lost, zero duplicated, every contact as mapped.
type Report struct {
	Candidates, Acknowledged                          int
	InTimeline, Lost, TimelineDuplicates, OutOfOrder  int
	Applications, Roots, DuplicateRoots, MissingRoots int
	ExpectedReplies, Replies, DuplicateReplies        int
	MissingReplies, RepliesOutOfOrder                 int
	Contacts, ContactsAsMapped                        int
	// Hires counts the hires; Handoffs those the receiver holds exactly
	// once (when the stack has one), HireNotices those with exactly one
	// provisioning message (when the routes name a channel).
	Hires, Handoffs, HireNotices int
	Problems                     []string
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < 50 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// String prints the counts, one line.
func (r Report) String() string {
	return fmt.Sprintf("candidates=%d acknowledged=%d in_timeline=%d lost=%d timeline_duplicates=%d timeline_out_of_order=%d "+
		"applications=%d roots=%d duplicate_roots=%d missing_roots=%d replies=%d/%d duplicate_replies=%d missing_replies=%d replies_out_of_order=%d "+
		"contacts=%d/%d as_mapped hires=%d handoffs=%d hire_notices=%d problems=%d",
		r.Candidates, r.Acknowledged, r.InTimeline, r.Lost, r.TimelineDuplicates, r.OutOfOrder,
		r.Applications, r.Roots, r.DuplicateRoots, r.MissingRoots, r.Replies, r.ExpectedReplies, r.DuplicateReplies,
		r.MissingReplies, r.RepliesOutOfOrder, r.ContactsAsMapped, r.Contacts, r.Hires, r.Handoffs, r.HireNotices, len(r.Problems))
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	phoneRe = regexp.MustCompile(`\+?\d[\d ()-]{7,}\d`)
	slackTS = regexp.MustCompile(`\d{10}\.\d{6}`)
)

// Check compares the stack's timelines, Slack double and HubSpot double
// with x.
func (s *Stack) Check(ctx context.Context, x Expectation) Report {
	r := Report{Candidates: len(x.Events), Applications: len(x.Roots), Contacts: len(x.Contacts)}
	for cand, want := range x.EventIDs {
		r.Acknowledged += len(want)
		tl, err := s.Timeline(ctx, cand)
		if err != nil {
			r.Lost += len(want)
			r.problem("%s: timeline: %v", cand, err)
			continue
		}
		count := map[string]int{}
		var order []string
		for _, e := range tl {
			count[e.EventID]++
			order = append(order, e.EventID)
		}
		for _, id := range want {
			switch n := count[id]; {
			case n == 0:
				r.Lost++
				r.problem("%s: event %s acknowledged but not in the timeline", cand, id)
			case n > 1:
				r.TimelineDuplicates += n - 1
				r.problem("%s: event %s %d times in the timeline", cand, id, n)
			}
			r.InTimeline += min(count[id], 1)
		}
		if !slices.Equal(order, want) && len(order) == len(want) {
			r.OutOfOrder++
			r.problem("%s: timeline order %v, arrival order %v", cand, order, want)
		}
	}
	s.checkSlack(&r, x)
	s.checkHubSpot(&r, x)
	s.checkHires(&r, x)
	return r
}

// checkHires checks that the receiver holds one hand-off per hire, under
// the webhook-id derived from its event, each verified with the Standard
// Webhooks library, and nothing else; and that the provisioning channel
// has one message per hire.
func (s *Stack) checkHires(r *Report, x Expectation) {
	r.Hires = len(x.Hires)
	if s.Handoff != nil {
		st := s.Handoff.State()
		got := map[string]handoffdouble.Handoff{}
		for _, h := range st.Handoffs {
			got[h.WebhookID] = h
		}
		for _, id := range x.Hires {
			h, ok := got[handoff.WebhookID(id)]
			if !ok {
				r.problem("hire %s: no hand-off", id)
				continue
			}
			var body handoff.Body
			if err := json.Unmarshal(h.Body, &body); err != nil || body.EventID != id || body.Type != handoff.EventType {
				r.problem("hire %s: hand-off body %s", id, h.Body)
				continue
			}
			r.Handoffs++
		}
		if len(st.Handoffs) != len(x.Hires) {
			r.problem("%d hand-offs received, want %d (one per hire)", len(st.Handoffs), len(x.Hires))
		}
		for _, d := range st.Deliveries {
			if d.Fault == "" && !d.Verified {
				r.problem("hand-off delivery %s refused: %s", d.WebhookID, d.Error)
			}
		}
	}
	if ch := s.Config.Routes.ProvisioningChannel; ch != "" {
		count := map[string]int{}
		for _, m := range s.Slack.Messages(ch) {
			count[m.EventID()]++
		}
		for _, id := range x.Hires {
			switch n := count[id+":hire"]; n {
			case 1:
				r.HireNotices++
			default:
				r.problem("hire %s: %d messages in %s, want 1", id, n, ch)
			}
		}
	}
}

func (s *Stack) checkSlack(r *Report, x Expectation) {
	for a, rootEvent := range x.Roots {
		var roots []slackdouble.Message
		for _, m := range s.Slack.Messages(x.Channel[a]) {
			if m.IsReply() {
				continue
			}
			if p := payload(m); p.CandidateID == a.Candidate && p.JobID == a.Job {
				roots = append(roots, m)
			}
		}
		r.ExpectedReplies += len(x.Replies[a])
		switch len(roots) {
		case 0:
			r.MissingRoots++
			r.problem("%v: no root in %s", a, x.Channel[a])
			continue
		case 1:
			r.Roots++
		default:
			r.Roots++
			r.DuplicateRoots += len(roots) - 1
			r.problem("%v: %d roots in %s", a, len(roots), x.Channel[a])
		}
		root := roots[0]
		if root.EventID() != rootEvent {
			r.problem("%v: root carries event %s, want %s", a, root.EventID(), rootEvent)
		}
		blocks := string(root.Blocks)
		if !strings.Contains(blocks, `"url":"`+x.ProfileURL[a.Candidate]+`"`) || !strings.Contains(blocks, "Open in ClarityHire") {
			r.problem("%v: root has no Open in ClarityHire button to %s", a, x.ProfileURL[a.Candidate])
		}
		if !strings.Contains(blocks, x.FinalStatus[a]) {
			r.problem("%v: root does not show final status %q", a, x.FinalStatus[a])
		}
		var got []string
		count := map[string]int{}
		for _, m := range s.Slack.Replies(x.Channel[a], root.TS) {
			if m.TS != root.TS && payload(m).Kind == "" { // not a nudge
				got = append(got, m.EventID())
				count[m.EventID()]++
			}
		}
		for _, id := range x.Replies[a] {
			switch n := count[id]; {
			case n == 0:
				r.MissingReplies++
				r.problem("%v: no reply for %s", a, id)
			case n > 1:
				r.DuplicateReplies += n - 1
				r.problem("%v: %d replies for %s", a, n, id)
			}
			r.Replies += min(count[id], 1)
		}
		if len(got) == len(x.Replies[a]) && !slices.Equal(got, x.Replies[a]) {
			r.RepliesOutOfOrder++
			r.problem("%v: replies in order %v, want %v", a, got, x.Replies[a])
		}
	}
	state, _ := json.Marshal(s.Slack.State())
	if found := emailRe.FindAllString(string(state), 3); len(found) > 0 {
		r.problem("email addresses in Slack: %v", found)
	}
	if found := phoneRe.FindAllString(withoutIDs(slackTS.ReplaceAllString(string(state), ""), x), 3); len(found) > 0 {
		r.problem("phone numbers in Slack: %v", found)
	}
}

// withoutIDs is state with the deliveries' event and candidate ids taken
// out: they are identifiers, carried byte for byte into metadata and profile
// links however many digits they hold, not phone numbers. Longest first, so
// that an id inside another does not leave the rest behind.
func withoutIDs(state string, x Expectation) string {
	var ids []string
	for cand, events := range x.EventIDs {
		ids = append(ids, cand)
		ids = append(ids, events...)
	}
	slices.SortFunc(ids, func(a, b string) int { return len(b) - len(a) })
	for _, id := range ids {
		state = strings.ReplaceAll(state, id, "")
	}
	return state
}

func (s *Stack) checkHubSpot(r *Report, x Expectation) {
	for email, want := range x.Contacts {
		c, ok := s.HubSpot.Contact(email)
		if !ok {
			r.problem("no HubSpot contact %s", email)
			continue
		}
		got := map[string]string{}
		for k, v := range c.Properties {
			if _, ours := want[k]; (ours || strings.HasPrefix(k, "clarityhire_")) && v != "" {
				got[k] = v
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			r.problem("contact %s: got %v, want %v", email, got, want)
			continue
		}
		r.ContactsAsMapped++
	}
	if n := len(s.HubSpot.Contacts()); n != len(x.Contacts) {
		r.problem("%d HubSpot contacts, want %d (none for candidates without email)", n, len(x.Contacts))
	}
}

type metaPayload struct {
	EventID     string `json:"event_id"`
	CandidateID string `json:"candidate_id"`
	JobID       string `json:"job_id"`
	Kind        string `json:"kind"`
}

func payload(m slackdouble.Message) metaPayload {
	var p metaPayload
	if m.Metadata != nil && m.Metadata.EventType == "clarityhire_event" {
		_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	}
	return p
}
