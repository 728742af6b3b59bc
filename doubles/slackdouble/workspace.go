package slackdouble

import (
	"net/url"
	"slices"
	"strings"
)

// ScopesHeader is the response header in which Slack lists the scopes
// granted to the calling token.
const ScopesHeader = "X-OAuth-Scopes"

// DefaultScopes are the bot scopes the double grants unless WithScopes
// says otherwise: those of deploy/slack-app-manifest.yaml, as a correct
// install has them.
var DefaultScopes = []string{
	"channels:history", "channels:read", "chat:write",
	"groups:history", "groups:read", "users:read", "users:read.email",
}

// WithScopes sets the scopes granted to the token: a method that needs
// another answers missing_scope.
func WithScopes(scopes ...string) Option {
	return func(s *Server) { s.scopes = slices.Clone(scopes) }
}

// WithoutMembership makes the bot not a member of these channels:
// conversations.info says is_member false, and posting, updating and
// reading there answer not_in_channel.
func WithoutMembership(channels ...string) Option {
	return func(s *Server) {
		for _, ch := range channels {
			s.notMember[ch] = true
		}
	}
}

// SetScopes changes the scopes granted to the token.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// RevokeToken makes every call with the token answer code (token_revoked,
// account_inactive, invalid_auth…), as Slack does once the app is
// uninstalled or its token revoked; "" restores the token.
func (s *Server) RevokeToken(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = code
}

// SetMember says whether the bot is a member of channel.
func (s *Server) SetMember(channel string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if member {
		delete(s.notMember, channel)
		return
	}
	s.notMember[channel] = true
}

// grantedHeader is the x-oauth-scopes value, comma-separated as Slack
// sends it; "" once the token is revoked.
func (s *Server) grantedHeader() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked != "" {
		return ""
	}
	return strings.Join(s.scopes, ",")
}

// onChannel reports whether method acts on the channel argument.
func onChannel(method string) bool {
	switch method {
	case MethodAuthTest, MethodUsersLookupByEmail, MethodUsersInfo:
		return false
	}
	return true
}

// neededScope is the scope Slack asks of a bot token for method on
// channel: public channels (C…) need the channels:* scope, private ones
// (G…) the groups:* one.
func neededScope(method, channel string) string {
	kind := "channels"
	if strings.HasPrefix(channel, "G") {
		kind = "groups"
	}
	switch method {
	case MethodPostMessage, MethodUpdate:
		return "chat:write"
	case MethodConversationsHistory, MethodConversationsReplies:
		return kind + ":history"
	case MethodConversationsInfo:
		return kind + ":read"
	case MethodUsersLookupByEmail:
		return "users:read.email"
	case MethodUsersInfo:
		return "users:read"
	}
	return ""
}

// checkScope refuses a call whose scope is not granted with Slack's
// missing_scope answer, which names the scope needed and those provided.
// Callers hold s.mu.
func (s *Server) checkScope(method, channel string) (reply, bool) {
	need := neededScope(method, channel)
	if need == "" || slices.Contains(s.scopes, need) {
		return reply{}, false
	}
	rep := s.apiError("missing_scope")
	rep.body["needed"] = need
	rep.body["provided"] = strings.Join(s.scopes, ",")
	return rep, true
}

// conversationInfo answers conversations.info for a channel that exists
// (any channel without an error set): its id, whether it is private, and
// whether the bot is a member. Callers hold s.mu.
func (s *Server) conversationInfo(p url.Values) map[string]any {
	id := p.Get("channel")
	private := strings.HasPrefix(id, "G")
	return ok(map[string]any{"channel": map[string]any{
		"id":          id,
		"name":        strings.ToLower(id),
		"is_channel":  !private,
		"is_group":    private,
		"is_private":  private,
		"is_archived": false,
		"is_member":   !s.notMember[id],
	}})
}

// userInfo answers users.info for a member added with WithUser, or
// user_not_found. Callers hold s.mu.
func (s *Server) userInfo(p url.Values) map[string]any {
	id := p.Get("user")
	for email, uid := range s.users {
		if uid == id {
			name, _, _ := strings.Cut(email, "@")
			return ok(map[string]any{"user": map[string]any{
				"id": id, "team_id": teamID, "name": name, "real_name": name,
				"deleted": false, "is_bot": false,
			}})
		}
	}
	return errBody("user_not_found")
}
