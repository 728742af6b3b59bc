package activities_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities"
	"github.com/hiresync/hiresync/activities/slackpost"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// slackUnderTest is the activities on a real Poster in front of a Slack
// double.
type slackUnderTest struct {
	double *slackdouble.Server
	acts   *activities.Activities
}

// newSlack starts a Slack double and builds the activities on a Poster of
// it, without a posting rate limit unless cfg says otherwise.
func newSlack(t *testing.T, routes *config.Routes, cfg func(*slackpost.Config)) slackUnderTest {
	t.Helper()
	d := slackdouble.Start(t)
	c := slackpost.Config{
		Token:      d.Token(),
		APIURL:     d.APIURL(),
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		PostRate:   rate.Inf,
	}
	if cfg != nil {
		cfg(&c)
	}
	p, err := slackpost.New(c)
	require.NoError(t, err)
	return slackUnderTest{double: d, acts: &activities.Activities{Slack: p, Routes: routes}}
}

func (s slackUnderTest) root(t *testing.T, req activities.SlackRootRequest) (activities.SlackResult, error) {
	t.Helper()
	return execute[activities.SlackResult](t, s.acts, s.acts.PostSlackRoot, req)
}

func (s slackUnderTest) reply(t *testing.T, req activities.SlackReplyRequest) (activities.SlackResult, error) {
	t.Helper()
	return execute[activities.SlackResult](t, s.acts, s.acts.PostSlackReply, req)
}

func (s slackUnderTest) update(t *testing.T, req activities.SlackUpdateRequest) (activities.SlackResult, error) {
	t.Helper()
	return execute[activities.SlackResult](t, s.acts, s.acts.UpdateSlackRoot, req)
}

// mustRoot posts a root message that must succeed and returns where it is.
func (s slackUnderTest) mustRoot(t *testing.T, req activities.SlackRootRequest) activities.SlackResult {
	t.Helper()
	res, err := s.root(t, req)
	require.NoError(t, err)
	require.NotEmpty(t, res.TS)
	return res
}

func rootRequest(eventID, jobID string) activities.SlackRootRequest {
	return activities.SlackRootRequest{
		EventID:     eventID,
		CandidateID: "cand_7Q2KXW",
		JobID:       jobID,
		View: activities.RootView{
			CandidateName: "Ada Okafor",
			JobTitle:      "Senior Backend Engineer",
			Source:        "referral",
			Status:        "applied",
			ProfileURL:    "https://app.clarityhire.com/candidates/cand_7Q2KXW",
		},
	}
}

func stageEvent(eventID string) hiresync.Event {
	return hiresync.Event{
		ID:   eventID,
		Type: hiresync.StageChanged,
		Data: hiresync.EventData{
			Candidate:   hiresync.Candidate{ID: "cand_7Q2KXW", FirstName: "Ada", LastName: "Okafor"},
			Application: &hiresync.Application{ID: "app_1", Job: hiresync.Job{ID: "job_BE42", Title: "Senior Backend Engineer"}},
			StageChange: &hiresync.StageChange{From: "screening", To: "onsite"},
		},
	}
}

func replyRequest(root activities.SlackResult, eventID string) activities.SlackReplyRequest {
	return activities.SlackReplyRequest{Channel: root.Channel, ThreadTS: root.TS, Event: stageEvent(eventID)}
}

func updateRequest(root activities.SlackResult, rootEventID string, status hiresync.Status) activities.SlackUpdateRequest {
	req := rootRequest(rootEventID, "job_BE42")
	req.View.Status = status
	return activities.SlackUpdateRequest{
		Channel: root.Channel, TS: root.TS, EventID: rootEventID,
		CandidateID: req.CandidateID, JobID: req.JobID, View: req.View,
	}
}

func TestPostSlackRootRoutes(t *testing.T) {
	tests := []struct {
		name    string
		req     activities.SlackRootRequest
		channel string
	}{
		{"routed job goes to its channel", rootRequest("evt_root_1", "job_BE42"), backend},
		{"unrouted job goes to the default channel", rootRequest("evt_root_1", "job_DS07"), hiring},
		{"a channel in the request wins", func() activities.SlackRootRequest {
			r := rootRequest("evt_root_1", "job_BE42")
			r.Channel = "C0ELSEWHERE"
			return r
		}(), "C0ELSEWHERE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlack(t, testRoutes(), nil)
			res, err := s.root(t, tt.req)
			require.NoError(t, err)
			require.Equal(t, tt.channel, res.Channel)
			require.False(t, res.Adopted)
			require.Empty(t, res.Skipped)

			posted := s.double.MessagesForEvent(tt.req.EventID)
			require.Len(t, posted, 1)
			m := posted[0]
			require.Equal(t, tt.channel, m.Channel)
			require.Equal(t, res.TS, m.TS)
			require.False(t, m.IsReply())
			require.Equal(t, slackpost.MetadataEventType, m.Metadata.EventType)
			require.Contains(t, m.Text, "Ada Okafor")
			require.Contains(t, m.Text, "Applied")
			require.Contains(t, string(m.Blocks), "Open in ClarityHire")
		})
	}
}

func TestPostSlackRootWithoutChannel(t *testing.T) {
	s := newSlack(t, &config.Routes{Jobs: map[string]config.JobRoute{"job_BE42": {Channel: backend}}}, nil)
	_, err := s.root(t, rootRequest("evt_root_1", "job_DS07"))
	requireFailure(t, err, failure{
		errType: activities.ErrSlackPermanent, nonRetryable: true,
		contains: []string{"job_DS07", "default_channel"},
	})
	require.Zero(t, s.double.Stats().Posts)
}

func TestReplyAndUpdate(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	root := s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))

	reply, err := s.reply(t, replyRequest(root, "evt_stage_2"))
	require.NoError(t, err)
	require.Equal(t, backend, reply.Channel)
	require.False(t, reply.Adopted)
	replies := s.double.Replies(backend, root.TS)
	require.Len(t, replies, 1)
	require.Equal(t, reply.TS, replies[0].TS)
	require.Equal(t, root.TS, replies[0].ThreadTS)
	require.Equal(t, "evt_stage_2", replies[0].EventID())
	require.Contains(t, replies[0].Text, "onsite")

	updated, err := s.update(t, updateRequest(root, "evt_root_1", "hired"))
	require.NoError(t, err)
	require.Equal(t, activities.SlackResult{Channel: backend, TS: root.TS}, updated)
	m, ok := s.double.Message(backend, root.TS)
	require.True(t, ok)
	require.NotEmpty(t, m.EditedTS, "the root was updated")
	require.Contains(t, m.Text, "Hired")
	require.NotContains(t, m.Text, "Applied")
	require.Equal(t, "evt_root_1", m.EventID(), "the root keeps the event id that posted it")
	require.Len(t, s.double.MessagesForEvent("evt_root_1"), 1)
	require.Len(t, s.double.Messages(backend), 1, "an update posts nothing")
	require.Len(t, s.double.Replies(backend, root.TS), 1)
}

// TestReplyAndUpdateRoot: one activity posts the reply, then updates the
// root. A failed update fails the attempt and the retry adopts the reply; an
// update that can never succeed leaves the reply standing and says why.
func TestReplyAndUpdateRoot(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	root := s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))
	both := func(req activities.SlackReplyAndRootRequest) (activities.SlackReplyAndRootResult, error) {
		return execute[activities.SlackReplyAndRootResult](t, s.acts, s.acts.PostSlackReplyAndUpdateRoot, req)
	}
	req := activities.SlackReplyAndRootRequest{
		Reply: replyRequest(root, "evt_stage_2"),
		Root:  updateRequest(root, "evt_root_1", "onsite"),
	}

	s.double.FailNext(slackdouble.MethodUpdate, 1, http.StatusServiceUnavailable)
	_, err := both(req)
	requireFailure(t, err, failure{contains: []string{"503"}})
	require.Len(t, s.double.Replies(backend, root.TS), 1, "the reply went out before the update failed")

	res, err := both(req)
	require.NoError(t, err)
	require.True(t, res.Reply.Adopted, "the retry adopts the reply already posted")
	require.Equal(t, activities.SlackResult{Channel: backend, TS: root.TS}, res.Root)
	require.Empty(t, res.RootFailed)
	require.Len(t, s.double.Replies(backend, root.TS), 1, "never posted twice")
	m, ok := s.double.Message(backend, root.TS)
	require.True(t, ok)
	require.Contains(t, m.Text, "onsite")

	gone := req
	gone.Reply = replyRequest(root, "evt_stage_3")
	gone.Root.TS = "1111111111.000001"
	res, err = both(gone)
	require.NoError(t, err, "a root that cannot be updated does not undo the reply")
	require.NotEmpty(t, res.Reply.TS)
	require.Equal(t, activities.ErrSlackPermanent+": update root: message_not_found", res.RootFailed)
	require.Len(t, s.double.Replies(backend, root.TS), 2)
}

// TestRetryLooksAgainBeforePosting: a retry whose first look finds
// nothing waits and looks again, and so adopts a post of an earlier attempt
// that Slack stored just after that first look.
func TestRetryLooksAgainBeforePosting(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	root := s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))
	activities.SetRetrying(t.Cleanup, 10*time.Millisecond)
	req := replyRequest(root, "evt_stage_2")

	var landed string
	late := &lookHook{Slack: s.acts.Slack, afterFirst: func() {
		// The earlier attempt's post lands once the retry has looked.
		ts, err := s.acts.Slack.Reply(context.Background(), req.Channel, req.ThreadTS, slackpost.Reply(req.Event))
		require.NoError(t, err)
		landed = ts
	}}
	acts := *s.acts
	acts.Slack = late
	res, err := execute[activities.SlackResult](t, &acts, acts.PostSlackReply, req)
	require.NoError(t, err)
	require.Equal(t, 2, late.looks, "looked twice")
	require.True(t, res.Adopted, "the second look found the late post")
	require.Equal(t, landed, res.TS)
	require.Len(t, s.double.MessagesForEvent("evt_stage_2"), 1, "never posted twice")
}

// lookHook counts the looks for an earlier post and runs afterFirst, if
// set, once the first is over.
type lookHook struct {
	activities.Slack
	afterFirst func()
	looks      int
}

func (h *lookHook) FindPostedSince(ctx context.Context, channel, threadTS, eventID string, since time.Time) (string, bool, error) {
	ts, found, err := h.Slack.FindPostedSince(ctx, channel, threadTS, eventID, since)
	if h.looks++; h.looks == 1 && h.afterFirst != nil {
		h.afterFirst()
	}
	return ts, found, err
}

// TestFreshPostsLookOnlyWhenRetried: the first attempt of a fresh request
// posts without looking for an earlier post (Slack's look-ups are Tier 3);
// a request that is not fresh looks on its first attempt, and every retry
// looks, twice when the first look finds nothing. A root that is not fresh
// is also looked for once in the routes' other channel.
func TestFreshPostsLookOnlyWhenRetried(t *testing.T) {
	tests := []struct {
		name       string
		fresh      bool
		retry      bool
		rootLooks  int
		replyLooks int
	}{
		{name: "fresh, first attempt", fresh: true},
		{name: "not fresh, first attempt", rootLooks: 2, replyLooks: 1},
		{name: "fresh, retry", fresh: true, retry: true, rootLooks: 2, replyLooks: 2},
		{name: "not fresh, retry", retry: true, rootLooks: 3, replyLooks: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlack(t, testRoutes(), nil)
			if tt.retry {
				activities.SetRetrying(t.Cleanup, time.Millisecond)
			}
			hook := &lookHook{Slack: s.acts.Slack}
			acts := *s.acts
			acts.Slack = hook

			rootReq := rootRequest("evt_root_1", "job_BE42")
			rootReq.Fresh = tt.fresh
			root, err := execute[activities.SlackResult](t, &acts, acts.PostSlackRoot, rootReq)
			require.NoError(t, err)
			require.Equal(t, tt.rootLooks, hook.looks, "looks before the root")

			hook.looks = 0
			replyReq := replyRequest(root, "evt_stage_2")
			replyReq.Fresh = tt.fresh
			reply, err := execute[activities.SlackResult](t, &acts, acts.PostSlackReply, replyReq)
			require.NoError(t, err)
			require.Equal(t, tt.replyLooks, hook.looks, "looks before the reply")
			require.False(t, reply.Adopted)
			require.Len(t, s.double.MessagesForEvent("evt_stage_2"), 1)
		})
	}
}

// TestRootFoundInTheChannelOfEarlierRoutes: after the routes gave a job
// that used the default channel a channel of its own, a root that may have
// been posted before (a reset run, a re-drive) is found and adopted in the
// default channel, so the thread is not split; a fresh root goes where the
// routes say now.
func TestRootFoundInTheChannelOfEarlierRoutes(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	posted := s.mustRoot(t, rootRequest("evt_root_1", "job_NEW1"))
	require.Equal(t, hiring, posted.Channel)

	moved := *s.acts
	moved.Routes = &config.Routes{DefaultChannel: hiring, Jobs: map[string]config.JobRoute{"job_BE42": {Channel: backend}, "job_NEW1": {Channel: "C0PLATFORM"}}}
	again, err := execute[activities.SlackResult](t, &moved, moved.PostSlackRoot, rootRequest("evt_root_1", "job_NEW1"))
	require.NoError(t, err)
	require.True(t, again.Adopted)
	require.Equal(t, posted, activities.SlackResult{Channel: again.Channel, TS: again.TS})
	require.Len(t, s.double.MessagesForEvent("evt_root_1"), 1, "never posted twice")

	fresh := rootRequest("evt_root_2", "job_NEW1")
	fresh.Fresh = true
	res, err := execute[activities.SlackResult](t, &moved, moved.PostSlackRoot, fresh)
	require.NoError(t, err)
	require.False(t, res.Adopted)
	require.Equal(t, "C0PLATFORM", res.Channel)
}

// TestNeverTwice: a post whose answer was lost took effect; the next
// attempt finds it by its metadata and adopts it, and so does any attempt
// after a success.
func TestNeverTwice(t *testing.T) {
	tests := []struct {
		name string
		// lose is the status of the lost answer; 0 drops the connection.
		lose  int
		reply bool
	}{
		{name: "root, dropped connection"},
		{name: "root, 502 after posting", lose: http.StatusBadGateway},
		{name: "root, success", lose: -1},
		{name: "reply, dropped connection", reply: true},
		{name: "reply, 500 after posting", lose: http.StatusInternalServerError, reply: true},
		{name: "reply, success", lose: -1, reply: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlack(t, testRoutes(), nil)
			eventID := "evt_root_1"
			run := func() (activities.SlackResult, error) {
				return s.root(t, rootRequest(eventID, "job_BE42"))
			}
			if tt.reply {
				root := s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))
				eventID = "evt_stage_2"
				run = func() (activities.SlackResult, error) { return s.reply(t, replyRequest(root, eventID)) }
			}
			if tt.lose >= 0 {
				s.double.LoseNext(slackdouble.MethodPostMessage, 1, tt.lose)
			}

			first, err := run()
			if tt.lose >= 0 {
				requireFailure(t, err, failure{})
				require.Equal(t, 1, s.double.Stats().ResponsesLost)
			} else {
				require.NoError(t, err)
				require.False(t, first.Adopted)
			}
			stored := s.double.MessagesForEvent(eventID)
			require.Len(t, stored, 1, "the first attempt posted")

			for range 2 {
				again, err := run()
				require.NoError(t, err)
				require.True(t, again.Adopted, "a later attempt adopts the message already there")
				require.Equal(t, backend, again.Channel)
				require.Equal(t, stored[0].TS, again.TS)
				require.Len(t, s.double.MessagesForEvent(eventID), 1, "never posted twice")
			}
		})
	}
}

// TestSlackErrors checks how each kind of Slack failure of each kind of
// message reaches Temporal.
func TestSlackErrors(t *testing.T) {
	const (
		root   = "root"
		reply  = "reply"
		update = "update"
	)
	tests := []struct {
		name   string
		kind   string
		poster func(*slackpost.Config)
		fault  func(d *slackdouble.Server)
		want   failure
	}{
		{name: "root: 503 on post", kind: root, fault: func(d *slackdouble.Server) {
			d.FailNext(slackdouble.MethodPostMessage, 1, http.StatusServiceUnavailable)
		}, want: failure{contains: []string{"503"}}},
		{name: "root: 500 on the lookup", kind: root, fault: func(d *slackdouble.Server) {
			d.FailNext(slackdouble.MethodConversationsHistory, 1, http.StatusInternalServerError)
		}, want: failure{contains: []string{"500"}}},
		{name: "reply: 502 on post", kind: reply, fault: func(d *slackdouble.Server) {
			d.FailNext(slackdouble.MethodPostMessage, 1, http.StatusBadGateway)
		}, want: failure{contains: []string{"502"}}},
		{name: "reply: 503 on the lookup", kind: reply, fault: func(d *slackdouble.Server) {
			d.FailNext(slackdouble.MethodConversationsReplies, 1, http.StatusServiceUnavailable)
		}, want: failure{contains: []string{"503"}}},
		{name: "update: 500", kind: update, fault: func(d *slackdouble.Server) {
			d.FailNext(slackdouble.MethodUpdate, 1, http.StatusInternalServerError)
		}, want: failure{contains: []string{"500"}}},

		{name: "root: 429 with Retry-After", kind: root, fault: func(d *slackdouble.Server) {
			d.RateLimitNext(slackdouble.MethodPostMessage, 1, 7*time.Second)
		}, want: failure{errType: activities.ErrSlackRateLimited, delay: 7 * time.Second}},
		{name: "root: 429 without Retry-After", kind: root, fault: func(d *slackdouble.Server) {
			d.SetRetryAfterHeader(false)
			d.RateLimitNext(slackdouble.MethodPostMessage, 1, 7*time.Second)
		}, want: failure{errType: activities.ErrSlackRateLimited, delay: slackpost.DefaultRetryAfter}},
		{name: "root: 429 without Retry-After, configured default", kind: root,
			poster: func(c *slackpost.Config) { c.DefaultRetryAfter = 42 * time.Second },
			fault: func(d *slackdouble.Server) {
				d.SetRetryAfterHeader(false)
				d.RateLimitNext(slackdouble.MethodPostMessage, 1, 7*time.Second)
			}, want: failure{errType: activities.ErrSlackRateLimited, delay: 42 * time.Second}},
		{name: "root: 429 on the lookup", kind: root, fault: func(d *slackdouble.Server) {
			d.RateLimitNext(slackdouble.MethodConversationsHistory, 1, 3*time.Second)
		}, want: failure{errType: activities.ErrSlackRateLimited, delay: 3 * time.Second}},
		{name: "reply: 429 with Retry-After", kind: reply, fault: func(d *slackdouble.Server) {
			d.RateLimitNext(slackdouble.MethodPostMessage, 1, 4*time.Second)
		}, want: failure{errType: activities.ErrSlackRateLimited, delay: 4 * time.Second}},
		{name: "update: 429 with Retry-After", kind: update, fault: func(d *slackdouble.Server) {
			d.RateLimitNext(slackdouble.MethodUpdate, 1, 9*time.Second)
		}, want: failure{errType: activities.ErrSlackRateLimited, delay: 9 * time.Second}},

		{name: "root: channel_not_found", kind: root, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "channel_not_found")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"channel_not_found"}}},
		{name: "root: not_in_channel", kind: root, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "not_in_channel")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"not_in_channel"}}},
		{name: "reply: not_in_channel", kind: reply, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "not_in_channel")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"not_in_channel"}}},
		{name: "reply: channel_not_found", kind: reply, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "channel_not_found")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"channel_not_found"}}},
		{name: "update: channel_not_found", kind: update, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "channel_not_found")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"channel_not_found"}}},
		{name: "update: not_in_channel", kind: update, fault: func(d *slackdouble.Server) {
			d.SetChannelError(backend, "not_in_channel")
		}, want: failure{errType: activities.ErrSlackPermanent, nonRetryable: true, contains: []string{"not_in_channel"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSlack(t, testRoutes(), tt.poster)
			var posted activities.SlackResult
			if tt.kind != root {
				posted = s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))
			}
			before := s.double.Stats()
			tt.fault(s.double)

			var err error
			switch tt.kind {
			case root:
				_, err = s.root(t, rootRequest("evt_root_9", "job_BE42"))
			case reply:
				_, err = s.reply(t, replyRequest(posted, "evt_stage_2"))
			case update:
				_, err = s.update(t, updateRequest(posted, "evt_root_1", "hired"))
			}
			requireFailure(t, err, tt.want)
			after := s.double.Stats()
			require.Equal(t, before.Posts, after.Posts, "a failed attempt posts nothing")
			require.Equal(t, before.Updates, after.Updates, "a failed attempt updates nothing")
		})
	}
}

// TestSlackBreaker: once enough calls failed, every kind of message fails
// fast without calling Slack, and Temporal is told when to come back.
func TestSlackBreaker(t *testing.T) {
	s := newSlack(t, testRoutes(), func(c *slackpost.Config) {
		c.BreakerFailures = 2
		c.BreakerOpenFor = time.Hour
	})
	posted := s.mustRoot(t, rootRequest("evt_root_1", "job_BE42"))
	s.double.FailNext(slackdouble.MethodConversationsHistory, 2, http.StatusServiceUnavailable)
	for range 2 {
		_, err := s.root(t, rootRequest("evt_root_2", "job_DS07"))
		requireFailure(t, err, failure{contains: []string{"503"}})
	}
	calls := s.double.Stats().Requests

	open := failure{errType: activities.ErrSlackUnavailable, anyDelay: true, contains: []string{"circuit breaker"}}
	_, err := s.root(t, rootRequest("evt_root_2", "job_DS07"))
	requireFailure(t, err, open)
	_, err = s.reply(t, replyRequest(posted, "evt_stage_3"))
	requireFailure(t, err, open)
	_, err = s.update(t, updateRequest(posted, "evt_root_1", "hired"))
	requireFailure(t, err, open)
	require.Equal(t, calls, s.double.Stats().Requests, "an open breaker calls nothing")
}

// replyFault answers Reply for event with err: after posting when posted
// (the answer was lost), else without.
type replyFault struct {
	activities.Slack
	event  string
	err    error
	posted bool
}

func (f *replyFault) Reply(ctx context.Context, channel, threadTS string, m slackpost.Message) (string, error) {
	if m.EventID != f.event {
		return f.Slack.Reply(ctx, channel, threadTS, m)
	}
	if f.posted {
		if _, err := f.Slack.Reply(ctx, channel, threadTS, m); err != nil {
			return "", err
		}
	}
	return "", f.err
}

func threadRequest() activities.SlackThreadRequest {
	root := rootRequest("evt_root_1", "job_BE42")
	root.Fresh = true
	upd := updateRequest(activities.SlackResult{}, "evt_root_1", "onsite")
	return activities.SlackThreadRequest{
		Root: &root,
		Replies: []activities.SlackThreadReply{
			{Event: stageEvent("evt_stage_2"), Fresh: true, Root: &upd},
			{Event: stageEvent("evt_stage_3"), Fresh: true},
		},
	}
}

// TestPostSlackThread: events that waited together are posted in order in
// one activity, into the thread it starts. At a failure a retry could fix
// it stops and says how far it got; the post it stopped at, posted one at a
// time as the workflow then does, is found and adopted. A retry of the
// whole activity (after a worker crash) adopts every post already made.
func TestPostSlackThread(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	thread := func(acts *activities.Activities, req activities.SlackThreadRequest) (activities.SlackThreadResult, error) {
		return execute[activities.SlackThreadResult](t, acts, acts.PostSlackThread, req)
	}
	lost := *s.acts
	lost.Slack = &replyFault{Slack: s.acts.Slack, event: "evt_stage_3", err: context.DeadlineExceeded, posted: true}
	req := threadRequest()
	res, err := thread(&lost, req)
	require.NoError(t, err)
	require.Contains(t, res.Stopped, "deadline")
	require.Equal(t, 2, res.Done(req), "the root and the first reply")
	require.Equal(t, backend, res.Root.Channel)
	require.Len(t, res.Replies, 1)
	require.Equal(t, activities.SlackResult{Channel: backend, TS: res.Root.TS}, res.Replies[0].Root)

	rest := activities.SlackReplyRequest{Channel: backend, ThreadTS: res.Root.TS, Event: req.Replies[1].Event}
	again, err := s.reply(t, rest)
	require.NoError(t, err)
	require.True(t, again.Adopted, "the post it stopped at had happened")

	activities.SetRetrying(t.Cleanup, time.Millisecond)
	retried, err := thread(s.acts, threadRequest())
	require.NoError(t, err)
	require.Empty(t, retried.Stopped)
	require.True(t, retried.Root.Adopted)
	require.Len(t, retried.Replies, 2)
	for _, r := range retried.Replies {
		require.True(t, r.Reply.Adopted, "posted before")
	}
	for _, id := range []string{"evt_root_1", "evt_stage_2", "evt_stage_3"} {
		require.Len(t, s.double.MessagesForEvent(id), 1, "%s posted once", id)
	}
	replies := s.double.Replies(backend, res.Root.TS)
	require.Len(t, replies, 2)
	require.Equal(t, res.Replies[0].Reply.TS, replies[0].TS, "in arrival order")
	m, ok := s.double.Message(backend, res.Root.TS)
	require.True(t, ok)
	require.Contains(t, m.Text, "onsite", "the root shows the view after its event")
}

// TestPostSlackThreadStopsAtTheRoot: a root that fails in a way a retry
// could fix stops the activity before any reply.
func TestPostSlackThreadStopsAtTheRoot(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	s.double.FailNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError)
	req := threadRequest()
	res, err := execute[activities.SlackThreadResult](t, s.acts, s.acts.PostSlackThread, req)
	require.NoError(t, err)
	require.NotEmpty(t, res.Stopped)
	require.Zero(t, res.Done(req))
	require.False(t, res.Retry)
	require.Empty(t, s.double.MessagesForEvent("evt_stage_2"))

	// As a retry, it says so: an earlier attempt may have posted any of
	// the rest.
	activities.SetRetrying(t.Cleanup, time.Millisecond)
	s.double.FailNext(slackdouble.MethodPostMessage, 1, http.StatusInternalServerError)
	res, err = execute[activities.SlackThreadResult](t, s.acts, s.acts.PostSlackThread, req)
	require.NoError(t, err)
	require.NotEmpty(t, res.Stopped)
	require.True(t, res.Retry)
}

// TestPostSlackThreadPermanentFailures: a reply that fails for good is
// kept in the result and the next goes on; a root that fails for good
// leaves its replies untried.
func TestPostSlackThreadPermanentFailures(t *testing.T) {
	s := newSlack(t, testRoutes(), nil)
	acts := *s.acts
	acts.Slack = &replyFault{Slack: s.acts.Slack, event: "evt_stage_2", err: &slackpost.PermanentError{Code: "msg_too_long"}}
	res, err := execute[activities.SlackThreadResult](t, &acts, acts.PostSlackThread, threadRequest())
	require.NoError(t, err)
	require.Equal(t, activities.ErrSlackPermanent+": post: msg_too_long", res.Replies[0].ReplyFailed)
	require.Empty(t, res.Replies[0].Root.TS, "no root update after a failed reply")
	require.Empty(t, res.Replies[1].ReplyFailed)
	require.Len(t, s.double.Replies(backend, res.Root.TS), 1)

	s.double.SetChannelError(backend, "not_in_channel")
	req := threadRequest()
	req.Root.EventID = "evt_root_9"
	res, err = execute[activities.SlackThreadResult](t, s.acts, s.acts.PostSlackThread, req)
	require.NoError(t, err)
	require.Equal(t, activities.ErrSlackPermanent+": post: not_in_channel", res.RootFailed)
	require.Len(t, res.Replies, 2)
	for _, r := range res.Replies {
		require.Equal(t, "not tried: the root was not posted", r.ReplyFailed)
	}
	require.Empty(t, s.double.MessagesForEvent("evt_root_9"))
}
