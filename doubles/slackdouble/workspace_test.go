package slackdouble_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// TestScopesHeader: every answer to the token carries the granted scopes,
// as Slack's x-oauth-scopes header does.
func TestScopesHeader(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithScopes("chat:write", "users:read"))
	resp, err := http.PostForm(d.APIURL()+"auth.test", url.Values{"token": {d.Token()}})
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, "chat:write,users:read", resp.Header.Get(slackdouble.ScopesHeader))

	resp, err = http.PostForm(d.APIURL()+"auth.test", url.Values{"token": {"xoxb-other"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get(slackdouble.ScopesHeader), "no scopes for a token the double does not know")
}

// TestMissingScope: a method whose scope is not granted answers
// missing_scope, naming the scope needed and those provided; a private
// channel needs the groups:* scope.
func TestMissingScope(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithScopes("chat:write", "channels:read"))
	call := func(method string, params url.Values) string {
		params.Set("token", d.Token())
		resp, err := http.PostForm(d.APIURL()+method, params)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := call("conversations.history", url.Values{"channel": {"C0HIRING"}})
	require.Contains(t, body, `"error":"missing_scope"`)
	require.Contains(t, body, `"needed":"channels:history"`)
	require.Contains(t, body, `"provided":"chat:write,channels:read"`)
	require.Contains(t, call("conversations.info", url.Values{"channel": {"G0SECRET"}}), `"needed":"groups:read"`)
	require.Contains(t, call("conversations.info", url.Values{"channel": {"C0HIRING"}}), `"ok":true`)
	require.Contains(t, call("users.lookupByEmail", url.Values{"email": {"a@b.example"}}), `"needed":"users:read.email"`)
}

// TestMembershipAndRevocation: conversations.info says whether the bot is
// a member, a post where it is not answers not_in_channel, and a revoked
// token answers token_revoked everywhere.
func TestMembershipAndRevocation(t *testing.T) {
	d := slackdouble.Start(t, slackdouble.WithoutMembership("C0DESIGN"), slackdouble.WithMissingChannels("C0GONE"),
		slackdouble.WithUser("U0MAYA", "maya@acme.example"))
	api := client(d)
	ctx := context.Background()

	in, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0HIRING"})
	require.NoError(t, err)
	require.True(t, in.IsMember)
	out, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0DESIGN"})
	require.NoError(t, err)
	require.False(t, out.IsMember)
	_, _, err = api.PostMessageContext(ctx, "C0DESIGN", slack.MsgOptionText("hi", false))
	requireCode(t, err, "not_in_channel")
	_, err = api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0GONE"})
	requireCode(t, err, "channel_not_found")

	d.SetMember("C0DESIGN", true)
	_, _, err = api.PostMessageContext(ctx, "C0DESIGN", slack.MsgOptionText("hi", false))
	require.NoError(t, err)

	u, err := api.GetUserInfoContext(ctx, "U0MAYA")
	require.NoError(t, err)
	require.Equal(t, "U0MAYA", u.ID)
	_, err = api.GetUserInfoContext(ctx, "U0NOBODY")
	requireCode(t, err, "user_not_found")

	d.RevokeToken("token_revoked")
	_, err = api.AuthTestContext(ctx)
	requireCode(t, err, "token_revoked")
	_, _, err = api.PostMessageContext(ctx, "C0HIRING", slack.MsgOptionText("hi", false))
	requireCode(t, err, "token_revoked")
	d.RevokeToken("")
	_, err = api.AuthTestContext(ctx)
	require.NoError(t, err)
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var se slack.SlackErrorResponse
	require.True(t, errors.As(err, &se), "want Slack error %s, got %v", code, err)
	require.Equal(t, code, strings.TrimSpace(se.Err))
}
