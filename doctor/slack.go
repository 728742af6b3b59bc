package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/hiresync/hiresync/activities/slackscopes"
	"github.com/hiresync/hiresync/config"
)

// The Slack checks' names; each channel and recruiter has its own line,
// named by ChannelCheck and RecruiterCheck.
const (
	CheckSlackToken         = "slack: token"
	CheckSlackScopes        = "slack: scopes"
	CheckSlackSigningSecret = "slack: signing secret"
)

// ChannelCheck names the check of one routed channel.
func ChannelCheck(id string) string { return "slack: channel " + id }

// RecruiterCheck names the check of one recruiter by where the routes name
// it (default_recruiter or a job id): never by an email address.
func RecruiterCheck(place string) string { return "slack: recruiter of " + place }

// fixes for Slack's answers.
const (
	fixReinstall = "reinstall the app in the workspace (api.slack.com/apps > your app > Install App) and copy its Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
	fixScopes    = "add the missing scopes under OAuth & Permissions (or create the app from deploy/slack-app-manifest.yaml), then reinstall the app"
)

// tokenErrors are Slack's codes for a token that no longer works.
var tokenErrors = []string{"not_authed", "invalid_auth", "token_revoked", "token_expired", "account_inactive", "no_permission", "org_login_required"}

// scopeCapture keeps the x-oauth-scopes header of auth.test's answer:
// slack-go does not return headers.
type scopeCapture struct {
	next   http.RoundTripper
	scopes []string
	seen   bool
}

func (c *scopeCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/"+slackscopes.MethodAuthTest) {
		if vals := resp.Header.Values("X-OAuth-Scopes"); len(vals) > 0 {
			c.seen = true
			c.scopes = nil
			for _, s := range strings.Split(strings.Join(vals, ","), ",") {
				if s = strings.TrimSpace(s); s != "" {
					c.scopes = append(c.scopes, s)
				}
			}
		}
	}
	return resp, err
}

// checkSlack checks the signing secret (ingress), and the token, its
// scopes, the routed channels and the recruiters (worker).
func (r *run) checkSlack(ctx context.Context, routes *config.Routes) {
	if r.Ingress {
		r.checkSigningSecret()
	}
	if !r.Worker {
		return
	}
	if r.Config.SlackToken == "" {
		r.skip(CheckSlackToken, "SLACK_BOT_TOKEN unset: Slack is off")
		return
	}
	transport := r.HTTPClient.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	capture := &scopeCapture{next: transport}
	httpClient := *r.HTTPClient
	httpClient.Transport = capture
	api := slack.New(r.Config.SlackToken, slack.OptionAPIURL(r.Config.SlackAPIURL), slack.OptionHTTPClient(&httpClient))

	later := append([]string{CheckSlackScopes}, channelAndRecruiterChecks(routes)...)
	call, cancel := r.call(ctx)
	who, err := api.AuthTestContext(call)
	cancel()
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && slices.Contains(tokenErrors, se.Err):
		r.fail(CheckSlackToken, "Slack refuses SLACK_BOT_TOKEN: "+se.Err, fixReinstall)
	case err != nil:
		r.fail(CheckSlackToken, fmt.Sprintf("auth.test at %s: %s", r.Config.SlackAPIURL, oneLine(err)),
			"check SLACK_API_URL and that Slack is reachable from here")
	}
	if err != nil {
		for _, name := range later {
			r.skip(name, "the token does not work")
		}
		return
	}
	if who.BotID == "" || !strings.HasPrefix(r.Config.SlackToken, "xoxb-") {
		r.warn(CheckSlackToken, fmt.Sprintf("%s (%s) in team %s is not a bot token (xoxb-…)", who.User, who.UserID, who.Team),
			"use the app's Bot User OAuth Token: hiresync posts as its bot")
	} else {
		r.pass(CheckSlackToken, fmt.Sprintf("bot %s (%s) in team %s", who.User, who.UserID, who.Team))
	}

	granted := capture.scopes
	if !capture.seen {
		r.warn(CheckSlackScopes, "Slack sent no x-oauth-scopes header: the scopes are unchecked", "")
	} else if missing := slackscopes.Missing(granted); len(missing) > 0 {
		r.fail(CheckSlackScopes, "missing "+strings.Join(missing, ", "), fixScopes)
	} else {
		r.pass(CheckSlackScopes, strings.Join(slackscopes.All(), ", "))
	}
	// A check whose method lacks a scope would only repeat the line above.
	lacks := func(method string) string {
		if !capture.seen {
			return ""
		}
		return strings.Join(slackscopes.Missing(granted, method), ", ")
	}
	if routes == nil {
		return
	}
	for _, ch := range routes.Channels() {
		if m := lacks(slackscopes.MethodConversationsInfo); m != "" {
			r.skip(ChannelCheck(ch), "needs "+m)
			continue
		}
		r.checkChannel(ctx, api, ch, channelRole(routes, ch))
	}
	for _, rec := range recruiters(routes) {
		method := slackscopes.MethodUsersInfo
		if strings.Contains(rec.value, "@") {
			method = slackscopes.MethodUsersLookupByEmail
		}
		if m := lacks(method); m != "" {
			r.skip(RecruiterCheck(rec.place), "needs "+m)
			continue
		}
		r.checkRecruiter(ctx, api, rec)
	}
}

// checkSigningSecret checks that SLACK_SIGNING_SECRET is set: without it
// the ingress refuses Slack's interactivity requests (the link button
// still opens, but Slack shows the user a warning).
func (r *run) checkSigningSecret() {
	switch s := r.Config.SlackSigningSecret; {
	case s == "":
		r.warn(CheckSlackSigningSecret, "SLACK_SIGNING_SECRET is not set: Slack's button-click requests are answered 404 and Slack shows the user a warning",
			"copy the Signing Secret from the app's Basic Information page into SLACK_SIGNING_SECRET")
	case strings.ContainsAny(s, " \t\"'"):
		r.fail(CheckSlackSigningSecret, "SLACK_SIGNING_SECRET has spaces or quotes in it", "copy the Signing Secret again, without quotes")
	default:
		r.pass(CheckSlackSigningSecret, "set")
	}
}

// checkChannel checks that ch exists, is not archived, and has the bot in it.
func (r *run) checkChannel(ctx context.Context, api *slack.Client, ch, role string) {
	name := ChannelCheck(ch)
	call, cancel := r.call(ctx)
	info, err := api.GetConversationInfoContext(call, &slack.GetConversationInfoInput{ChannelID: ch})
	cancel()
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "channel_not_found":
		r.fail(name, fmt.Sprintf("%s: no such channel the bot can see (channel_not_found)", role),
			"check the id in HIRESYNC_ROUTES (channel details > About > Channel ID); a private channel stays hidden until the bot is invited: /invite @hiresync")
	case err != nil:
		r.fail(name, fmt.Sprintf("%s: conversations.info: %s", role, oneLine(err)), "")
	case info.IsArchived:
		r.fail(name, fmt.Sprintf("%s: #%s is archived", role, info.Name), "unarchive it, or route to another channel")
	case !info.IsMember:
		r.fail(name, fmt.Sprintf("%s: the bot is not a member of #%s", role, info.Name),
			fmt.Sprintf("invite it: type /invite @hiresync in #%s", info.Name))
	default:
		r.pass(name, fmt.Sprintf("%s: #%s, the bot is a member", role, info.Name))
	}
}

// recruiter is one recruiter value of the routes and the first place that
// names it.
type recruiter struct{ value, place string }

// recruiters lists the routes' recruiters, each once, by where they are
// named: default_recruiter first, then the jobs in order.
func recruiters(routes *config.Routes) []recruiter {
	var out []recruiter
	add := func(value, place string) {
		if value != "" && !slices.ContainsFunc(out, func(r recruiter) bool { return r.value == value }) {
			out = append(out, recruiter{value, place})
		}
	}
	add(routes.DefaultRecruiter, "default_recruiter")
	for _, job := range slices.Sorted(maps.Keys(routes.Jobs)) {
		add(routes.Jobs[job].Recruiter, job)
	}
	return out
}

// checkRecruiter resolves a recruiter's email or checks its user id. The
// report names the recruiter by its place in the routes, so no email
// address reaches a terminal or a log.
func (r *run) checkRecruiter(ctx context.Context, api *slack.Client, rec recruiter) {
	name := RecruiterCheck(rec.place)
	call, cancel := r.call(ctx)
	defer cancel()
	var user *slack.User
	var err error
	byEmail := strings.Contains(rec.value, "@")
	if byEmail {
		user, err = api.GetUserByEmailContext(call, rec.value)
	} else {
		user, err = api.GetUserInfoContext(call, rec.value)
	}
	var se slack.SlackErrorResponse
	switch {
	case byEmail && errors.As(err, &se) && se.Err == "users_not_found":
		r.fail(name, "no workspace member has that email address (users_not_found)",
			"fix the recruiter's email in HIRESYNC_ROUTES, or give their Slack user id (U…)")
	case errors.As(err, &se) && se.Err == "user_not_found":
		r.fail(name, fmt.Sprintf("no workspace member %s (user_not_found)", rec.value),
			"fix the user id in HIRESYNC_ROUTES (profile > ⋮ > Copy member ID)")
	case err != nil:
		r.fail(name, oneLine(err), "")
	case user.Deleted:
		r.fail(name, fmt.Sprintf("%s is deactivated", user.ID), "name another recruiter in HIRESYNC_ROUTES")
	default:
		r.pass(name, "resolves to "+user.ID)
	}
}

// channelRole says what the routes use ch for, for the report.
func channelRole(routes *config.Routes, ch string) string {
	var roles []string
	if routes.DefaultChannel == ch {
		roles = append(roles, "default channel")
	}
	for _, job := range slices.Sorted(maps.Keys(routes.Jobs)) {
		if routes.Jobs[job].Channel == ch {
			roles = append(roles, job)
		}
	}
	if routes.ProvisioningChannel == ch {
		roles = append(roles, "provisioning channel")
	}
	return strings.Join(roles, ", ")
}

// channelAndRecruiterChecks names the per-channel and per-recruiter lines.
func channelAndRecruiterChecks(routes *config.Routes) []string {
	if routes == nil {
		return nil
	}
	var out []string
	for _, ch := range routes.Channels() {
		out = append(out, ChannelCheck(ch))
	}
	for _, rec := range recruiters(routes) {
		out = append(out, RecruiterCheck(rec.place))
	}
	return out
}
