package slackpost

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/hiresync/hiresync"
)

// ActionOpenProfile is the action_id of the root's "Open in ClarityHire"
// link button.
const ActionOpenProfile = "open_profile"

// Block ids of the root message.
const (
	blockCandidate   = "candidate"
	blockApplication = "application"
	blockProfile     = "profile"
)

const maxInterviewers = 10

// RootView is what an application's root message shows. Values are raw, as
// ClarityHire sent them: Root cleans them.
type RootView struct {
	CandidateName string
	JobTitle      string
	JobID         string
	Source        string
	// Status is the application's current status as it reads: "Applied",
	// "Stage: offer", "Hired"… (hiresync.Status.Label).
	Status     string
	ProfileURL string
	// EventID is the event that posted the root; keep it when updating, so
	// that FindPosted still finds the root. CandidateID and JobID complete
	// the metadata.
	EventID     string
	CandidateID string
}

// Root renders an application's root message: the candidate's name as a
// header, the job with source and status, and one link button "Open in
// ClarityHire" to the profile (left out when the profile URL is unusable).
func Root(v RootView) Message {
	name := clean(v.CandidateName, maxNameRunes)
	if v.CandidateName != "" && v.CandidateName == v.CandidateID {
		// No name was sent and the id stands in for it (Candidate.Name).
		name = idLabel(v.CandidateID, maxNameRunes)
	}
	name = cmp.Or(name, "Candidate")
	job := cmp.Or(clean(v.JobTitle, maxTitleRunes), idLabel(v.JobID, maxTitleRunes), "Unknown job")
	source := cmp.Or(clean(v.Source, maxWordRunes), "—")
	status := cmp.Or(clean(v.Status, maxWordRunes), "—")

	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(name), slack.HeaderBlockOptionBlockID(blockCandidate)),
		slack.NewSectionBlock(mrkdwn("*"+esc(job)+"*"), []*slack.TextBlockObject{
			mrkdwn("*Source*\n" + esc(source)),
			mrkdwn("*Status*\n" + esc(status)),
		}, nil, slack.SectionBlockOptionBlockID(blockApplication)),
	}
	if u := profileURL(v.ProfileURL, v.CandidateID); u != "" {
		button := slack.NewButtonBlockElement(ActionOpenProfile, "", plain("Open in ClarityHire"))
		button.URL = u
		blocks = append(blocks, slack.NewActionBlock(blockProfile, button))
	}
	return Message{
		Text:        fmt.Sprintf("%s · %s · %s", esc(name), esc(job), esc(status)),
		Blocks:      slack.Blocks{BlockSet: blocks},
		EventID:     v.EventID,
		CandidateID: v.CandidateID,
		JobID:       v.JobID,
	}
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// mrkdwn is a verbatim mrkdwn text: Slack does not turn bare URLs, channel
// names or @words in it into links or mentions.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// Reply renders event e as a reply in its application's thread: one line of
// mrkdwn text, no blocks.
func Reply(e hiresync.Event) Message {
	m := Message{Text: replyText(e), EventID: e.ID, CandidateID: e.Data.Candidate.ID}
	if a := e.Data.Application; a != nil {
		m.JobID = a.Job.ID
	}
	return m
}

func replyText(e hiresync.Event) string {
	d := e.Data
	switch e.Type {
	case hiresync.ApplicationSubmitted:
		s := ":inbox_tray: Application submitted"
		if a := d.Application; a != nil {
			job := field(a.Job.Title, maxTitleRunes)
			if a.Job.Title == "" {
				job = esc(idLabel(a.Job.ID, maxTitleRunes))
			}
			if job != "" {
				s += " for *" + job + "*"
			}
			if src := field(a.Source, maxWordRunes); src != "" {
				s += " via " + src
			}
		}
		return s
	case hiresync.TestCompleted, hiresync.TestPassed, hiresync.TestFailed:
		return testText(e.Type, d.Test)
	case hiresync.InterviewScheduled, hiresync.InterviewCancelled, hiresync.InterviewCompleted:
		return interviewText(e.Type, d.Interview)
	case hiresync.StageChanged:
		sc := d.StageChange
		switch {
		case sc == nil || sc.To == "":
			return ":arrow_right: Stage changed"
		case sc.From == "":
			return ":arrow_right: Stage changed to *" + code(sc.To) + "*"
		}
		return ":arrow_right: Stage changed: " + code(sc.From) + " → *" + code(sc.To) + "*"
	case hiresync.CandidateHired:
		s := ":tada: Hired"
		if h := d.Hire; h != nil {
			if title := field(h.Title, maxTitleRunes); title != "" {
				s += " as *" + title + "*"
			}
			if start := startDate(h.StartDate); start != "" {
				s += ", starting " + start
			}
		}
		return s
	case hiresync.ApplicationRejected:
		s := ":no_entry: Application rejected"
		if r := d.Rejection; r != nil {
			if reason := code(r.Reason); reason != "" {
				s += ": " + reason
			}
			if r.Qualified {
				s += " (qualified)"
			} else {
				s += " (not qualified)"
			}
		}
		return s
	case hiresync.ApplicationWithdrawn:
		s := ":leftwards_arrow_with_hook: Candidate withdrew"
		if w := d.Withdrawal; w != nil {
			if reason := code(w.Reason); reason != "" {
				s += ": " + reason
			}
		}
		return s
	}
	return "Event " + field(e.Type, maxWordRunes) + " received"
}

func testText(eventType string, t *hiresync.Test) string {
	s := map[string]string{
		hiresync.TestCompleted: ":memo: Test completed",
		hiresync.TestPassed:    ":white_check_mark: Test passed",
		hiresync.TestFailed:    ":x: Test failed",
	}[eventType]
	if t == nil {
		return s
	}
	if name := field(t.Name, maxTitleRunes); name != "" {
		s += ": *" + name + "*"
	}
	s += ", score " + number(t.Score)
	if t.MaxScore > 0 {
		s += "/" + number(t.MaxScore)
	}
	s += " (pass mark " + number(t.PassMark) + ")"
	if eventType == hiresync.TestCompleted {
		if t.Passed() {
			s += ", passed"
		} else {
			s += ", below the pass mark"
		}
	}
	return s
}

func interviewText(eventType string, iv *hiresync.Interview) string {
	if iv == nil {
		iv = &hiresync.Interview{}
	}
	kind := "Interview"
	if k := code(iv.Kind); k != "" {
		r, size := utf8.DecodeRuneInString(k)
		kind = string(unicode.ToUpper(r)) + k[size:]
		if !strings.HasSuffix(strings.ToLower(k), "interview") {
			kind += " interview"
		}
	}
	when := ""
	if !iv.ScheduledAt.IsZero() {
		when = iv.ScheduledAt.UTC().Format("Mon 2 Jan 2006 15:04 UTC")
	}
	with := interviewers(iv.Interviewers)

	switch eventType {
	case hiresync.InterviewScheduled:
		s := ":calendar: " + kind + " scheduled"
		if when != "" {
			s += " for " + when
		}
		if iv.DurationMinutes > 0 {
			s += fmt.Sprintf(" (%d min)", iv.DurationMinutes)
		}
		if with != "" {
			s += " with " + with
		}
		return s
	case hiresync.InterviewCancelled:
		s := ":no_entry_sign: " + kind
		if when != "" {
			s += " on " + when
		}
		s += " cancelled"
		if reason := code(iv.CancelReason); reason != "" {
			s += ": " + reason
		}
		return s
	}
	s := ":speech_balloon: " + kind + " completed"
	if with != "" {
		s += " with " + with
	}
	if outcome := code(iv.Outcome); outcome != "" {
		s += ", outcome: *" + outcome + "*"
	}
	return s
}

// interviewers is the panel's names, cleaned, at most ten.
func interviewers(people []hiresync.Interviewer) string {
	var names []string
	for _, p := range people {
		if n := field(p.Name, maxWordRunes); n != "" {
			names = append(names, n)
		}
	}
	if len(names) > maxInterviewers {
		names = append(names[:maxInterviewers], fmt.Sprintf("%d more", len(names)-maxInterviewers))
	}
	return strings.Join(names, ", ")
}

// startDate is a hire's start date ("2027-01-11") as people read it, or the
// cleaned value when it is not a date.
func startDate(s string) string {
	if d, err := time.Parse(time.DateOnly, strings.TrimSpace(s)); err == nil {
		return d.Format("Mon 2 Jan 2006")
	}
	return field(s, maxWordRunes)
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Mention is how a Slack user is mentioned in mrkdwn, "<@U0LEAD>", or ""
// when userID is not a Slack user id (an email never becomes a mention).
func Mention(userID string) string {
	if !userIDPattern.MatchString(userID) {
		return ""
	}
	return "<@" + userID + ">"
}

var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{1,23}$`)

// ReplyMentioning renders event e as Reply does, and for a test result
// (test.completed, test.passed, test.failed) mentions recruiter, a Slack
// user id, after the score against the pass mark. An empty or invalid
// recruiter renders the plain reply.
func ReplyMentioning(e hiresync.Event, recruiter string) Message {
	m := Reply(e)
	switch e.Type {
	case hiresync.TestCompleted, hiresync.TestPassed, hiresync.TestFailed:
		if at := Mention(recruiter); at != "" {
			m.Text += " · " + at
		}
	}
	return m
}

// NudgeID is the message id of the nth nudge (1 the nudge, 2 the reminder)
// about the quiet since event eventID: deterministic, so that a retry or a
// reset finds the nudge posted instead of posting it again.
func NudgeID(eventID string, n int) string { return ownID(eventID, ":nudge:"+strconv.Itoa(n)) }

// HireNoticeID is the message id of the provisioning channel's message
// about the hire event eventID.
func HireNoticeID(eventID string) string { return ownID(eventID, ":hire") }

// ownID is eventID with suffix: an id of the id rules (hiresync.ValidID).
// An event id too long to take the suffix is replaced by a digest of it,
// as deterministic and as unique.
func ownID(eventID, suffix string) string {
	if len(eventID)+len(suffix) <= hiresync.MaxIDLength {
		return eventID + suffix
	}
	sum := sha256.Sum256([]byte(eventID))
	return "sha256_" + hex.EncodeToString(sum[:16]) + suffix
}

// NudgeView is what a nudge says: how long the application has been quiet,
// since which event, and whom it pings.
type NudgeView struct {
	// NudgeID is the message's own id (NudgeID).
	NudgeID     string
	CandidateID string
	JobID       string
	// Recruiter is a Slack user id, or "" to mention nobody.
	Recruiter string
	// Quiet is how long since Since.
	Quiet time.Duration
	// Reminder says this is the second and last nudge of the stage visit.
	Reminder bool
	// Since is the application's last event, the one it has been quiet
	// since; only its type and data are read.
	Since hiresync.Event
}

// Nudge renders a nudge, a reply in the application's thread: "3 days
// since the Go systems assessment was completed, 86/100", mentioning the
// recruiter.
func Nudge(v NudgeView) Message {
	s := ":hourglass_flowing_sand: "
	if v.Reminder {
		s += "Reminder: "
	}
	if at := Mention(v.Recruiter); at != "" {
		s += at + " "
	}
	s += quietFor(v.Quiet) + " since " + sinceText(v.Since)
	return Message{Text: s, EventID: v.NudgeID, CandidateID: v.CandidateID, JobID: v.JobID, Kind: KindNudge}
}

// sinceText says what happened last, in the past tense.
func sinceText(e hiresync.Event) string {
	d := e.Data
	switch e.Type {
	case hiresync.ApplicationSubmitted:
		return "the application was submitted"
	case hiresync.TestCompleted, hiresync.TestPassed, hiresync.TestFailed:
		t := d.Test
		if t == nil {
			return "the test result"
		}
		name := cmp.Or(field(t.Name, maxTitleRunes), "test")
		score := number(t.Score)
		if t.MaxScore > 0 {
			score += "/" + number(t.MaxScore)
		}
		how := map[string]string{
			hiresync.TestCompleted: "was completed",
			hiresync.TestPassed:    "was passed",
			hiresync.TestFailed:    "was completed below the pass mark",
		}[e.Type]
		return "the " + name + " " + how + ", " + score
	case hiresync.InterviewScheduled, hiresync.InterviewCancelled, hiresync.InterviewCompleted:
		kind := "interview"
		if iv := d.Interview; iv != nil && code(iv.Kind) != "" {
			kind = strings.ToLower(code(iv.Kind))
			if !strings.HasSuffix(kind, "interview") {
				kind += " interview"
			}
		}
		return "the " + kind + " was " + strings.TrimPrefix(e.Type, "interview.")
	case hiresync.StageChanged:
		if sc := d.StageChange; sc != nil && sc.To != "" {
			return "the move to " + code(sc.To)
		}
		return "the last stage change"
	}
	return "the last event (" + field(e.Type, maxWordRunes) + ")"
}

// quietFor is a duration as people say it: "3 days", "5 hours", "40
// seconds", rounded down to the largest whole unit.
func quietFor(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(max(int64(d/time.Second), 1), "second")
}

// HireView is what the provisioning channel's message about a hire shows:
// name, job and start date; never an email or phone number.
type HireView struct {
	// NoticeID is the message's own id (HireNoticeID).
	NoticeID      string
	CandidateID   string
	JobID         string
	CandidateName string
	// Title is the title hired as, else the job's title.
	Title      string
	Department string
	StartDate  string
}

// NewHireView is the provisioning message's view of the candidate.hired
// event e.
func NewHireView(e hiresync.Event) HireView {
	v := HireView{NoticeID: HireNoticeID(e.ID), CandidateID: e.Data.Candidate.ID, CandidateName: e.Data.Candidate.Name()}
	if a := e.Data.Application; a != nil {
		v.JobID, v.Title, v.Department = a.Job.ID, a.Job.Title, a.Job.Department
	}
	if h := e.Data.Hire; h != nil {
		v.Title = cmp.Or(h.Title, v.Title)
		v.StartDate = h.StartDate
	}
	return v
}

// HireNotice renders the provisioning channel's one message about a hire:
// ":tada: *Ada Okafor* hired as *Senior Backend Engineer* (Engineering),
// starting Mon 11 Jan 2027".
func HireNotice(v HireView) Message {
	s := ":tada: *" + cmp.Or(field(v.CandidateName, maxNameRunes), "A candidate") + "* hired"
	if job := cmp.Or(field(v.Title, maxTitleRunes), field(v.JobID, maxTitleRunes)); job != "" {
		s += " as *" + job + "*"
	}
	if dept := field(v.Department, maxWordRunes); dept != "" {
		s += " (" + dept + ")"
	}
	if start := startDate(v.StartDate); start != "" {
		s += ", starting " + start
	} else {
		s += ", start date not set yet"
	}
	return Message{Text: s, EventID: v.NoticeID, CandidateID: v.CandidateID, JobID: v.JobID, Kind: KindHire}
}
