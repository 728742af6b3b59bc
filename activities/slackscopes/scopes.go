// Package slackscopes is the one table of the Slack Web API methods
// hiresync calls and the bot scopes each needs. The Slack app manifest
// (deploy/slack-app-manifest.yaml) grants exactly these scopes, and
// `hiresync doctor` checks a token's granted scopes against them; tests
// keep the table, the manifest and the code's calls in step.
package slackscopes

import (
	"maps"
	"slices"
)

// The Web API methods hiresync calls, named once here: slackpost's metrics
// and the Slack double use these names too.
const (
	MethodAuthTest             = "auth.test"
	MethodPostMessage          = "chat.postMessage"
	MethodUpdate               = "chat.update"
	MethodConversationsHistory = "conversations.history"
	MethodConversationsReplies = "conversations.replies"
	MethodConversationsInfo    = "conversations.info"
	MethodUsersLookupByEmail   = "users.lookupByEmail"
	MethodUsersInfo            = "users.info"
)

// Scopes maps each method hiresync calls to the bot scopes it needs. The
// channels:* scopes serve public channels and the groups:* ones private
// channels; a hiring channel is often private, so both are asked for.
// auth.test needs none. Posting message metadata, and reading it back with
// include_all_metadata, needs no scope beyond these.
var Scopes = map[string][]string{
	MethodAuthTest:             nil,
	MethodPostMessage:          {"chat:write"},
	MethodUpdate:               {"chat:write"},
	MethodConversationsHistory: {"channels:history", "groups:history"},
	MethodConversationsReplies: {"channels:history", "groups:history"},
	MethodConversationsInfo:    {"channels:read", "groups:read"},
	// users.lookupByEmail needs users:read.email, which Slack grants
	// only beside users:read.
	MethodUsersLookupByEmail: {"users:read", "users:read.email"},
	MethodUsersInfo:          {"users:read"},
}

// All is every scope of the table, sorted, each once: what the manifest
// grants.
func All() []string {
	var out []string
	for _, scopes := range Scopes {
		out = append(out, scopes...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Methods lists the table's methods, sorted.
func Methods() []string { return slices.Sorted(maps.Keys(Scopes)) }

// Missing returns the scopes the methods need that granted lacks, sorted,
// each once; with no methods, those of the whole table.
func Missing(granted []string, methods ...string) []string {
	if len(methods) == 0 {
		methods = Methods()
	}
	var out []string
	for _, m := range methods {
		for _, s := range Scopes[m] {
			if !slices.Contains(granted, s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}
