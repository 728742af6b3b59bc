package testsuite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/testsuite"
	"github.com/hiresync/hiresync/testsuite/clarityhire"
	"github.com/hiresync/hiresync/testsuite/slackdouble"
)

// shared is the dev server most tests share; each test has its own task
// queue and candidates.
var shared *testsuite.DevServer

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	d, err := testsuite.StartDevServer(ctx, "")
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared = d
	code := m.Run()
	_ = d.Stop()
	os.Exit(code)
}

func devServer(*testing.T) *testsuite.DevServer { return shared }

// app identifies an application in the checks: candidate and job.
type app struct{ candidate, job string }

// expectation is what Slack and HubSpot should show for deliveries, worked
// out from the deliveries in the order they arrive.
type expectation struct {
	events      map[string]int               // distinct events per candidate
	replies     map[app][]string             // event ids that must be replies, in arrival order
	roots       map[app]string               // the event that posts each root
	finalStatus map[app]string               // the root's last status label
	channel     map[app]string               // the channel each application lives in
	profileURL  map[string]string            // per candidate
	contacts    map[string]map[string]string // per email: properties hiresync writes
}

func expect(t *testing.T, ds []clarityhire.Delivery) expectation {
	t.Helper()
	x := expectation{
		events: map[string]int{}, replies: map[app][]string{}, roots: map[app]string{},
		finalStatus: map[app]string{}, channel: map[app]string{}, profileURL: map[string]string{},
		contacts: map[string]map[string]string{},
	}
	seen := map[string]bool{}
	statusAt := map[app]time.Time{}
	stageAt := map[string]time.Time{}
	passed := map[string]bool{}
	for _, d := range ds {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		var e hiresync.Event
		require.NoError(t, json.Unmarshal(d.Body, &e))
		cand := e.Data.Candidate.ID
		x.events[cand]++
		x.profileURL[cand] = e.Data.Candidate.ProfileURL
		a := app{cand, e.Data.Application.Job.ID}
		if _, ok := x.roots[a]; !ok {
			x.roots[a] = e.ID
			x.channel[a] = testsuite.Routes.Channel(a.job)
		} else {
			x.replies[a] = append(x.replies[a], e.ID)
		}
		if label := statusLabel(e); label != "" && !e.CreatedAt.Before(statusAt[a]) {
			x.finalStatus[a], statusAt[a] = label, e.CreatedAt
		}
		if e.Type == hiresync.TestPassed {
			passed[cand] = true
		}
		email := strings.ToLower(e.Data.Candidate.Email) // HubSpot keeps emails lower-cased
		if email == "" {
			continue
		}
		c := x.contacts[email]
		if c == nil {
			c = map[string]string{"email": email, "lifecyclestage": "other"}
			x.contacts[email] = c
		}
		if c[hubspot.PropertyCandidateID] == "" || e.Type == hiresync.ApplicationSubmitted {
			c["firstname"], c["lastname"] = e.Data.Candidate.FirstName, e.Data.Candidate.LastName
			c[hubspot.PropertyCandidateID] = cand
			c[hubspot.PropertyProfileURL] = e.Data.Candidate.ProfileURL
			c[hubspot.PropertySourceJob] = e.Data.Application.Job.Title
		}
		fresh := !e.CreatedAt.Before(stageAt[cand])
		setStage := func(s string) {
			if fresh {
				c[hubspot.PropertyStage], stageAt[cand] = s, e.CreatedAt
			}
		}
		switch e.Type {
		case hiresync.StageChanged:
			setStage(e.Data.StageChange.To)
		case hiresync.CandidateHired:
			setStage("hired")
			c["lifecyclestage"] = "customer"
		case hiresync.ApplicationRejected:
			setStage("rejected")
			if e.Data.Rejection.Qualified || passed[cand] {
				c[hubspot.PropertyTalentPool] = "rejected_qualified"
			}
		}
	}
	return x
}

func statusLabel(e hiresync.Event) string {
	switch e.Type {
	case hiresync.ApplicationSubmitted:
		return "Applied"
	case hiresync.TestPassed:
		return "Test passed"
	case hiresync.TestFailed:
		return "Test failed"
	case hiresync.StageChanged:
		return "Stage: " + e.Data.StageChange.To
	case hiresync.CandidateHired:
		return "Hired"
	case hiresync.ApplicationRejected:
		return "Rejected"
	case hiresync.ApplicationWithdrawn:
		return "Withdrawn"
	}
	return ""
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	phoneRe = regexp.MustCompile(`\+?\d[\d ()-]{7,}\d`)
)

// checkSlack asserts exactly one root per application in its channel,
// exactly one reply per later event in arrival order, the button, the
// root's final status, and no email or phone number anywhere.
func checkSlack(t *testing.T, slack *slackdouble.Server, x expectation) {
	t.Helper()
	for a, rootEvent := range x.roots {
		var roots []slackdouble.Message
		for _, m := range slack.Messages(x.channel[a]) {
			if m.ThreadTS == "" || m.ThreadTS == m.TS {
				if meta := metadata(t, m); meta.CandidateID == a.candidate && meta.JobID == a.job {
					roots = append(roots, m)
				}
			}
		}
		require.Len(t, roots, 1, "one root for %v in %s", a, x.channel[a])
		root := roots[0]
		require.Equal(t, rootEvent, root.EventID(), "root of %v keeps the id of the event that posted it", a)
		blocks := string(root.Blocks)
		require.Contains(t, blocks, `"url":"`+x.profileURL[a.candidate]+`"`)
		require.Contains(t, blocks, "Open in ClarityHire")
		require.Contains(t, blocks, x.finalStatus[a], "root of %v shows its final status", a)

		var got []string
		for _, r := range slack.Replies(x.channel[a], root.TS) {
			if r.TS != root.TS {
				got = append(got, r.EventID())
			}
		}
		require.Equal(t, x.replies[a], got, "replies of %v: one per later event, in arrival order", a)
	}
	state, err := json.Marshal(slack.State())
	require.NoError(t, err)
	require.Empty(t, emailRe.FindAllString(string(state), -1), "no email address in Slack")
	require.Empty(t, phoneRe.FindAllString(stripTS(string(state)), -1), "no phone number in Slack")
}

// stripTS removes Slack timestamps, which look like digits to phoneRe.
func stripTS(s string) string { return regexp.MustCompile(`\d{10}\.\d{6}`).ReplaceAllString(s, "") }

type meta struct {
	EventID     string `json:"event_id"`
	CandidateID string `json:"candidate_id"`
	JobID       string `json:"job_id"`
}

func metadata(t *testing.T, m slackdouble.Message) meta {
	t.Helper()
	var p meta
	if m.Metadata == nil {
		return p
	}
	require.Equal(t, "clarityhire_event", m.Metadata.EventType)
	require.NoError(t, json.Unmarshal(m.Metadata.EventPayload, &p))
	return p
}

// checkHubSpot asserts each contact has exactly the hiring properties the
// product's table gives.
func checkHubSpot(t *testing.T, s *testsuite.Stack, x expectation) {
	t.Helper()
	for email, want := range x.contacts {
		c, ok := s.HubSpot.Contact(email)
		require.True(t, ok, "contact %s exists", email)
		got := map[string]string{}
		for k, v := range c.Properties {
			if k == "email" || k == "firstname" || k == "lastname" || k == "lifecyclestage" || strings.HasPrefix(k, "clarityhire_") {
				if v != "" {
					got[k] = v
				}
			}
		}
		require.Equal(t, want, got, "contact %s", email)
	}
	require.Len(t, s.HubSpot.Contacts(), len(x.contacts), "no contact for a candidate without email")
}

// samplesFor is the eleven samples rewritten for another candidate.
func samplesFor(t *testing.T, candidate string) []clarityhire.Delivery {
	t.Helper()
	ds, err := clarityhire.Samples()
	require.NoError(t, err)
	if candidate == "cand_7Q2KXW" {
		return ds
	}
	out := make([]clarityhire.Delivery, len(ds))
	for i, d := range ds {
		body := strings.ReplaceAll(string(d.Body), "cand_7Q2KXW", candidate)
		body = strings.ReplaceAll(body, "ada.okafor@", candidate+"@")
		body = strings.ReplaceAll(body, d.ID, d.ID+"_"+candidate)
		out[i] = clarityhire.Delivery{ID: d.ID + "_" + candidate, Type: d.Type, CandidateID: candidate, Body: []byte(body)}
	}
	return out
}

func twice(ds []clarityhire.Delivery) []clarityhire.Delivery {
	var out []clarityhire.Delivery
	for _, d := range ds {
		out = append(out, d, d)
	}
	return out
}

// TestSamplesEndToEnd sends the eleven samples for one candidate and for a
// second, every delivery twice, through the real ingress and worker.
func TestSamplesEndToEnd(t *testing.T) {
	s := testsuite.StartStack(t, devServer(t).Addr, testsuite.StackOptions{})
	ds := append(twice(samplesFor(t, "cand_7Q2KXW")), twice(samplesFor(t, "cand_SECOND1"))...)
	s.Send(t, ds...)
	x := expect(t, ds)
	tls := s.WaitSettled(t, x.events, 2*time.Minute)

	for cand, tl := range tls {
		require.Len(t, tl, 11, cand)
		ids := map[string]int{}
		for i, e := range tl {
			ids[e.EventID]++
			require.Equal(t, hiresync.EventTypes[i], e.Type, "arrival order")
			require.False(t, e.ReceivedAt.IsZero())
			for _, a := range e.Actions {
				require.NotEqual(t, hiresync.ActionFailed, a.Result, "%s %s: %+v", cand, e.Type, a)
			}
		}
		for id, n := range ids {
			require.Equal(t, 1, n, "event %s once in the timeline", id)
		}
	}
	checkSlack(t, s.Slack, x)
	checkHubSpot(t, s, x)
}

// TestSlackThreadsAcrossChannels: two candidates, one applying to two
// routed jobs and one to a routed and an unrouted job; full stories, every
// delivery duplicated and each candidate's deliveries shuffled.
func TestSlackThreadsAcrossChannels(t *testing.T) {
	s := testsuite.StartStack(t, devServer(t).Addr, testsuite.StackOptions{})
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 2, Seed: 7, SecondApplication: 1, Duplicates: 1, Shuffle: true, Prefix: "thr",
	})
	s.Send(t, ds...)
	x := expect(t, ds)
	require.Len(t, x.roots, 4)
	channels := map[string]bool{}
	for _, ch := range x.channel {
		channels[ch] = true
	}
	require.Len(t, channels, 3, "two routed channels and the default")
	s.WaitSettled(t, x.events, 2*time.Minute)
	checkSlack(t, s.Slack, x)
	checkHubSpot(t, s, x)
}

// TestSlackFailuresPostNothingTwice: the same with the double failing 30%
// of posts with 5xx and losing the answer of others after storing them.
func TestSlackFailuresPostNothingTwice(t *testing.T) {
	s := testsuite.StartStack(t, devServer(t).Addr, testsuite.StackOptions{
		SlackOptions: []slackdouble.Option{slackdouble.WithSeed(3)},
	})
	s.Slack.SetFailureRate("chat.postMessage", 0.3, 500)
	s.Slack.LoseNext("chat.postMessage", 5, 0)
	s.Slack.LoseNext("chat.update", 2, 502)
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 3, Seed: 11, SecondApplication: 0.5, Duplicates: 1, Shuffle: true, Prefix: "flt",
	})
	s.Send(t, ds...)
	x := expect(t, ds)
	s.WaitSettled(t, x.events, 4*time.Minute)
	st := s.Slack.Stats()
	require.Positive(t, st.FailuresInjected)
	require.Positive(t, st.ResponsesLost)
	checkSlack(t, s.Slack, x)
}

// TestSlackBurstStaysUnderTheRate: 50-odd messages into one channel with the
// double enforcing a per-channel rate receive no 429 (time-scaled: 10 a
// second on both sides instead of 1; the double allows a burst of 2, as
// Slack allows short bursts, so loopback jitter of a millisecond is not a
// 429).
func TestSlackBurstStaysUnderTheRate(t *testing.T) {
	s := testsuite.StartStack(t, devServer(t).Addr, testsuite.StackOptions{
		SlackOptions:   []slackdouble.Option{slackdouble.WithPostRate(10, 2)},
		SlackPerSecond: 10,
	})
	ds := clarityhire.Stories(clarityhire.StoryOptions{Candidates: 7, Seed: 5, Jobs: []string{"job_BE42"}, Prefix: "bst"})
	require.GreaterOrEqual(t, len(ds), 49)
	s.Send(t, ds...)
	x := expect(t, ds)
	s.WaitSettled(t, x.events, 3*time.Minute)
	require.Zero(t, s.Slack.Stats().RateLimited, "no 429")
	checkSlack(t, s.Slack, x)
}

// TestHubSpotContacts: several candidates' stories, duplicated and
// shuffled; each contact ends exactly as the mapping table gives.
func TestHubSpotContacts(t *testing.T) {
	s := testsuite.StartStack(t, devServer(t).Addr, testsuite.StackOptions{})
	ds := clarityhire.Stories(clarityhire.StoryOptions{
		Candidates: 18, Seed: 21, SecondApplication: 0.3, Duplicates: 0.5, Shuffle: true, Prefix: "hub",
	})
	s.Send(t, ds...)
	x := expect(t, ds)
	s.WaitSettled(t, x.events, 3*time.Minute)
	checkHubSpot(t, s, x)
	require.Zero(t, s.HubSpot.Counters().RateLimited)
}

// TestTemporalOutage: with the dev server down the ingress answers 503 with
// Retry-After; once it is back, ClarityHire's retry lands and nothing is lost.
func TestTemporalOutage(t *testing.T) {
	d := testsuite.StartTemporal(t, t.TempDir()+"/temporal.db")
	s := testsuite.StartStack(t, d.Addr, testsuite.StackOptions{})
	ds := samplesFor(t, "cand_OUTAGE1")
	s.Send(t, ds[0])
	s.WaitSettled(t, map[string]int{"cand_OUTAGE1": 1}, time.Minute)

	require.NoError(t, d.Stop())
	one := *s.Sender
	one.Attempts = 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := one.Send(ctx, ds[1])
	require.Error(t, err)
	require.Equal(t, 503, res.Status)
	require.Contains(t, res.Body, "retry")

	restarted := make(chan error, 1)
	go func() { restarted <- d.Start(ctx) }()
	s.Send(t, ds[1:]...) // the sender retries until the server is back
	require.NoError(t, <-restarted)
	x := expect(t, ds)
	s.WaitSettled(t, x.events, 2*time.Minute)
	checkSlack(t, s.Slack, x)
}
