package slackdouble_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/slackdouble"
)

func client(d *slackdouble.Server, opts ...slack.Option) *slack.Client {
	return slack.New(d.Token(), append([]slack.Option{slack.OptionAPIURL(d.APIURL())}, opts...)...)
}

func meta(eventID string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType:    "clarityhire_event",
		EventPayload: map[string]any{"event_id": eventID, "candidate_id": "cand_1", "job_id": "job_1"},
	})
}

func post(t *testing.T, c *slack.Client, channel, text string, opts ...slack.MsgOption) string {
	t.Helper()
	_, ts, err := c.PostMessage(channel, append([]slack.MsgOption{slack.MsgOptionText(text, false)}, opts...)...)
	require.NoError(t, err)
	return ts
}

// slackCode is the Slack error code in err, or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func statusCode(err error) int {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code
	}
	return 0
}

func TestAuth(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithToken("xoxb-right"))
	tests := []struct {
		name, token, code string
	}{
		{"configured token", "xoxb-right", ""},
		{"wrong token", "xoxb-wrong", "invalid_auth"},
		{"no token", "", "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := slack.New(tt.token, slack.OptionAPIURL(d.APIURL()))
			resp, err := c.AuthTest()
			if tt.code != "" {
				require.Error(t, err)
				assert.Equal(t, tt.code, slackCode(err))
				_, _, err = c.PostMessage("C1", slack.MsgOptionText("hi", false))
				assert.Equal(t, tt.code, slackCode(err), "chat.postMessage checks the token too")
				return
			}
			require.NoError(t, err)
			assert.NotEmpty(t, resp.TeamID)
			assert.NotEmpty(t, resp.BotID)
		})
	}
	assert.Empty(t, d.Messages("C1"))
}

func TestPostAndThread(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*root*", false, false), nil, nil)}

	root := post(t, c, "C1", "root", slack.MsgOptionBlocks(blocks...), meta("evt_root"))
	r1 := post(t, c, "C1", "first", slack.MsgOptionTS(root), meta("evt_r1"))
	r2 := post(t, c, "C1", "second", slack.MsgOptionTS(r1), meta("evt_r2")) // a reply's ts threads under its root

	tsFormat := regexp.MustCompile(`^\d{10}\.\d{6}$`)
	for _, ts := range []string{root, r1, r2} {
		assert.Regexp(t, tsFormat, ts)
	}
	assert.Less(t, root, r1)
	assert.Less(t, r1, r2)

	roots := d.Messages("C1")
	require.Len(t, roots, 1)
	assert.Equal(t, "root", roots[0].Text)
	assert.Equal(t, root, roots[0].ThreadTS)
	assert.Equal(t, 2, roots[0].ReplyCount)
	assert.Equal(t, r2, roots[0].LatestReply)
	assert.Equal(t, "evt_root", roots[0].EventID())
	assert.JSONEq(t, `[{"type":"section","text":{"type":"mrkdwn","text":"*root*"}}]`, string(roots[0].Blocks))

	replies := d.Replies("C1", root)
	require.Len(t, replies, 2)
	assert.Equal(t, []string{"first", "second"}, []string{replies[0].Text, replies[1].Text})
	assert.Equal(t, root, replies[1].ThreadTS)
	assert.Equal(t, "evt_r2", replies[1].EventID())

	require.Len(t, d.MessagesForEvent("evt_r1"), 1)
	assert.Equal(t, 3, d.Stats().Posts)
}

func TestPostRefusals(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	tests := []struct {
		name string
		opts []slack.MsgOption
		code string
	}{
		{"no text nor blocks", nil, "no_text"},
		{"unknown thread", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionTS("1700000000.000001")}, "thread_not_found"},
		{"text too long", []slack.MsgOption{slack.MsgOptionText(strings.Repeat("x", 40001), false)}, "msg_too_long"},
		{"block without type", []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionBlocks(&slack.SectionBlock{})}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.PostMessage("C1", tt.opts...)
			assert.Equal(t, tt.code, slackCode(err))
		})
	}
	assert.Empty(t, d.Messages("C1"))
	assert.Equal(t, len(tests), d.Stats().Errors)
}

// rawCall calls the double without slack-go, to show the other shapes Slack
// accepts: a JSON body, a GET with query parameters.
func rawCall(t *testing.T, req *http.Request) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body
}

func TestJSONBodyAndQueryParameters(t *testing.T) {
	d := slackdouble.Start(t)
	body := `{"channel":"C1","text":"json post",
		"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}],
		"metadata":{"event_type":"clarityhire_event","event_payload":{"event_id":"evt_json"}}}`
	req, err := http.NewRequest(http.MethodPost, d.APIURL()+"chat.postMessage", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+d.Token())
	got := rawCall(t, req)
	require.Equal(t, true, got["ok"], got)

	msgs := d.Messages("C1")
	require.Len(t, msgs, 1)
	assert.Equal(t, "evt_json", msgs[0].EventID())
	assert.JSONEq(t, `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`, string(msgs[0].Blocks))

	q := url.Values{"channel": {"C1"}, "include_all_metadata": {"true"}}
	req, err = http.NewRequest(http.MethodGet, d.APIURL()+"conversations.history?"+q.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+d.Token())
	got = rawCall(t, req)
	require.Equal(t, true, got["ok"], got)
	history := got["messages"].([]any)
	require.Len(t, history, 1)
	assert.Equal(t, "json post", history[0].(map[string]any)["text"])
	assert.NotNil(t, history[0].(map[string]any)["metadata"])

	req, err = http.NewRequest(http.MethodGet, d.APIURL()+"conversations.history?channel=C1", nil)
	require.NoError(t, err)
	got = rawCall(t, req)
	assert.Equal(t, "not_authed", got["error"])

	req, err = http.NewRequest(http.MethodPost, d.APIURL()+"chat.postMessage", strings.NewReader(`{"channel":`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.Token())
	got = rawCall(t, req)
	assert.Equal(t, "invalid_form_data", got["error"])
}

func TestHistory(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	var roots []string
	for i := range 5 {
		roots = append(roots, post(t, c, "C1", "root "+string(rune('a'+i)), meta("evt_"+string(rune('a'+i)))))
	}
	post(t, c, "C1", "a reply", slack.MsgOptionTS(roots[0]))

	// Pages of two, newest first, top-level messages only.
	var texts []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3, "too many pages")
		resp, err := c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: cursor})
		require.NoError(t, err)
		for _, m := range resp.Messages {
			texts = append(texts, m.Text)
			assert.Empty(t, m.Metadata.EventType, "metadata only with include_all_metadata")
		}
		assert.Equal(t, resp.HasMore, resp.ResponseMetaData.NextCursor != "")
		if !resp.HasMore {
			break
		}
		cursor = resp.ResponseMetaData.NextCursor
	}
	assert.Equal(t, []string{"root e", "root d", "root c", "root b", "root a"}, texts)

	resp, err := c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1", IncludeAllMetadata: true})
	require.NoError(t, err)
	require.Len(t, resp.Messages, 5)
	assert.Equal(t, "clarityhire_event", resp.Messages[0].Metadata.EventType)
	assert.Equal(t, "evt_e", resp.Messages[0].Metadata.EventPayload["event_id"])
	parent := resp.Messages[4]
	assert.Equal(t, 1, parent.ReplyCount)
	assert.Equal(t, roots[0], parent.ThreadTimestamp)

	tests := []struct {
		name           string
		oldest, latest string
		inclusive      bool
		want           []string
	}{
		{"exclusive bounds", roots[1], roots[3], false, []string{"root c"}},
		{"inclusive bounds", roots[1], roots[3], true, []string{"root d", "root c", "root b"}},
		{"oldest only", roots[3], "", false, []string{"root e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.GetConversationHistory(&slack.GetConversationHistoryParameters{
				ChannelID: "C1", Oldest: tt.oldest, Latest: tt.latest, Inclusive: tt.inclusive,
			})
			require.NoError(t, err)
			var got []string
			for _, m := range resp.Messages {
				got = append(got, m.Text)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReplies(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	root := post(t, c, "C1", "root", meta("evt_root"))
	for _, text := range []string{"r1", "r2", "r3"} {
		post(t, c, "C1", text, slack.MsgOptionTS(root), meta("evt_"+text))
	}

	var texts []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 2, "too many pages")
		msgs, hasMore, next, err := c.GetConversationReplies(&slack.GetConversationRepliesParameters{
			ChannelID: "C1", Timestamp: root, Limit: 3, Cursor: cursor, IncludeAllMetadata: true,
		})
		require.NoError(t, err)
		for _, m := range msgs {
			texts = append(texts, m.Text+"/"+m.Metadata.EventPayload["event_id"].(string))
		}
		if !hasMore {
			break
		}
		cursor = next
	}
	assert.Equal(t, []string{"root/evt_root", "r1/evt_r1", "r2/evt_r2", "r3/evt_r3"}, texts)

	_, _, _, err := c.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1700000000.000001"})
	assert.Equal(t, "thread_not_found", slackCode(err))
}

func TestUpdate(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	root := post(t, c, "C1", "before", meta("evt_1"))
	post(t, c, "C1", "reply", slack.MsgOptionTS(root))

	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "after", false, false), nil, nil)}
	_, _, _, err := c.UpdateMessage("C1", root, slack.MsgOptionText("after", false), slack.MsgOptionBlocks(blocks...), meta("evt_2"))
	require.NoError(t, err)

	m, found := d.Message("C1", root)
	require.True(t, found)
	assert.Equal(t, "after", m.Text)
	assert.Contains(t, string(m.Blocks), `"after"`)
	assert.Equal(t, "evt_2", m.EventID())
	assert.NotEmpty(t, m.EditedTS)
	assert.Equal(t, 1, m.ReplyCount, "an update keeps the thread")

	// Without metadata, the message keeps its own.
	_, _, _, err = c.UpdateMessage("C1", root, slack.MsgOptionText("again", false))
	require.NoError(t, err)
	m, _ = d.Message("C1", root)
	assert.Equal(t, "again", m.Text)
	assert.Equal(t, "evt_2", m.EventID())

	_, _, _, err = c.UpdateMessage("C1", "1700000000.000001", slack.MsgOptionText("x", false))
	assert.Equal(t, "message_not_found", slackCode(err))
	assert.Equal(t, 2, d.Stats().Updates)
}

func TestChannelErrors(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithMissingChannels("CGONE"))
	c := client(d)

	_, _, err := c.PostMessage("CGONE", slack.MsgOptionText("x", false))
	assert.Equal(t, "channel_not_found", slackCode(err))
	_, err = c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "CGONE"})
	assert.Equal(t, "channel_not_found", slackCode(err))

	post(t, c, "CNEW", "any other channel is created on first use")

	d.SetChannelError("CNEW", "is_archived")
	_, _, err = c.PostMessage("CNEW", slack.MsgOptionText("x", false))
	assert.Equal(t, "is_archived", slackCode(err))
	d.SetChannelError("CNEW", "")
	post(t, c, "CNEW", "back")
	assert.Len(t, d.Messages("CNEW"), 2)
}

func TestPostRate(t *testing.T) {
	// One message every ten seconds: the second post in a row is always over.
	d := slackdouble.Start(t, slackdouble.WithPostRate(0.1, 1))
	c := client(d)

	post(t, c, "C1", "first")
	_, _, err := c.PostMessage("C1", slack.MsgOptionText("second", false))
	var rl *slack.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 10*time.Second, rl.RetryAfter)

	post(t, c, "C2", "another channel has its own rate")
	_, err = c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"})
	require.NoError(t, err, "reads are not limited")

	d.SetRetryAfterHeader(false)
	_, _, err = c.PostMessage("C1", slack.MsgOptionText("third", false))
	assert.Equal(t, http.StatusTooManyRequests, statusCode(err), "slack-go gives a StatusCodeError for a 429 without Retry-After")

	assert.Len(t, d.Messages("C1"), 1)
	assert.Equal(t, 2, d.Stats().RateLimited)
}

func TestRateLimitNext(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	d.RateLimitNext(slackdouble.MethodConversationsHistory, 1, 3*time.Second)

	_, err := c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"})
	var rl *slack.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 3*time.Second, rl.RetryAfter)

	_, err = c.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: "C1"})
	require.NoError(t, err)
	assert.Equal(t, 1, d.Stats().RateLimited)
}

func TestFailNext(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	d.FailNext(slackdouble.MethodPostMessage, 2, http.StatusServiceUnavailable)

	for range 2 {
		_, _, err := c.PostMessage("C1", slack.MsgOptionText("x", false))
		assert.Equal(t, http.StatusServiceUnavailable, statusCode(err))
	}
	post(t, c, "C1", "third time")
	assert.Len(t, d.Messages("C1"), 1)
	st := d.Stats()
	assert.Equal(t, 2, st.FailuresInjected)
	assert.Equal(t, 3, st.Requests[slackdouble.MethodPostMessage])
}

func TestFailureRateIsSeeded(t *testing.T) {
	pattern := func() string {
		d := slackdouble.Start(t, slackdouble.WithSeed(7))
		d.SetFailureRate(slackdouble.MethodPostMessage, 0.5, http.StatusInternalServerError)
		c := client(d)
		var b strings.Builder
		for range 20 {
			if _, _, err := c.PostMessage("C1", slack.MsgOptionText("x", false)); err != nil {
				assert.Equal(t, http.StatusInternalServerError, statusCode(err))
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		assert.Equal(t, strings.Count(b.String(), "x"), d.Stats().FailuresInjected)
		return b.String()
	}
	first := pattern()
	assert.Equal(t, first, pattern(), "the same seed fails the same calls")
	assert.Contains(t, first, "x")
	assert.Contains(t, first, ".")
}

func TestLoseNext(t *testing.T) {
	tests := []struct {
		name   string
		status int
	}{
		{"connection closed", 0},
		{"answered 500", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := slackdouble.Start(t)
			c := client(d)
			d.LoseNext(slackdouble.MethodPostMessage, 1, tt.status)

			_, _, err := c.PostMessage("C1", slack.MsgOptionText("lost answer", false), meta("evt_lost"))
			require.Error(t, err)
			assert.Empty(t, slackCode(err), "no Slack answer came back")
			assert.Equal(t, tt.status, statusCode(err))

			msgs := d.MessagesForEvent("evt_lost")
			require.Len(t, msgs, 1, "the post took effect")
			assert.Equal(t, "lost answer", msgs[0].Text)
			assert.Equal(t, 1, d.Stats().ResponsesLost)

			post(t, c, "C1", "next one is answered")
		})
	}
}

func TestDelay(t *testing.T) {
	d := slackdouble.Start(t)
	d.SetDelay("", time.Minute)
	d.SetDelay(slackdouble.MethodAuthTest, 0)
	impatient := client(d, slack.OptionHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))

	_, err := impatient.AuthTest()
	require.NoError(t, err, "a method's own delay overrides the default one")

	_, _, err = impatient.PostMessage("C1", slack.MsgOptionText("slow", false))
	require.Error(t, err)
	var netErr interface{ Timeout() bool }
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())
	assert.Empty(t, d.Messages("C1"), "a call abandoned during the delay has no effect")

	d.SetDelay("", 0)
	post(t, impatient, "C1", "fast again")
}

func TestState(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithMissingChannels("CGONE"))
	c := client(d)
	root := post(t, c, "C1", "root", meta("evt_root"),
		slack.MsgOptionBlocks(slack.NewDividerBlock()))
	post(t, c, "C1", "reply", slack.MsgOptionTS(root), meta("evt_reply"))

	resp, err := http.Get(d.URL() + slackdouble.StatePath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st slackdouble.State
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))

	require.Len(t, st.Channels["C1"].Messages, 1)
	thread := st.Channels["C1"].Messages[0]
	assert.Equal(t, "root", thread.Text)
	assert.Equal(t, "evt_root", thread.EventID())
	assert.JSONEq(t, `[{"type":"divider"}]`, string(thread.Blocks))
	require.Len(t, thread.Replies, 1)
	assert.Equal(t, "reply", thread.Replies[0].Text)
	assert.Equal(t, "evt_reply", thread.Replies[0].EventID())
	assert.Equal(t, "channel_not_found", st.Channels["CGONE"].Error)
	assert.Equal(t, 2, st.Stats.Posts)

	d.Reset()
	assert.Empty(t, d.State().Channels["C1"].Messages)
}

func TestUnknownMethod(t *testing.T) {
	d := slackdouble.Start(t)
	resp, err := http.Post(d.APIURL()+"chat.nope", "application/x-www-form-urlencoded", strings.NewReader("token="+d.Token()))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestRun(t *testing.T) {
	d := slackdouble.New()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, "127.0.0.1:0") }()
	t.Cleanup(func() { _ = d.Close() })
	require.Eventually(t, func() bool { return d.URL() != "" }, 5*time.Second, 5*time.Millisecond)

	_, err := client(d).AuthTest()
	require.NoError(t, err)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	_, err = client(d).AuthTest()
	require.Error(t, err, "stopped")
}

// TestLookupByEmail: users.lookupByEmail finds a member by email, whatever
// its case, through slack-go as hiresync calls it, and answers
// users_not_found for anyone else.
func TestLookupByEmail(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithUser("U0MAYA", "maya@acme.example"))
	api := slack.New(d.Token(), slack.OptionAPIURL(d.APIURL()))

	u, err := api.GetUserByEmail("Maya@Acme.example")
	require.NoError(t, err)
	require.Equal(t, "U0MAYA", u.ID)
	require.Equal(t, "Maya@Acme.example", u.Profile.Email)

	_, err = api.GetUserByEmail("nobody@acme.example")
	require.EqualError(t, err, "users_not_found")
}
