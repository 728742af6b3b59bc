package slackpost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sony/gobreaker/v2"
)

// LookupUserByEmail finds the Slack user id of the workspace member with
// email (users.lookupByEmail, which needs the users:read.email scope). Its
// errors never quote the email.
func (p *Poster) LookupUserByEmail(ctx context.Context, email string) (string, error) {
	if p.breaker.State() == gobreaker.StateOpen {
		err := unavailable(gobreaker.ErrOpenState)
		p.observe(MethodUsersLookupByEmail, result(ctx, err))
		return "", fmt.Errorf("look up a recruiter by email: %w", err)
	}
	var id string
	err := p.do(ctx, MethodUsersLookupByEmail, func() error {
		u, err := p.api.GetUserByEmailContext(ctx, email)
		if err == nil {
			id = u.ID
		}
		return err
	})
	if err != nil {
		// slack-go sends the email in the form, so the error (and its URL)
		// does not quote it.
		return "", fmt.Errorf("look up a recruiter by email: %w", err)
	}
	return id, nil
}

// UserLookup is what Recruiters needs of Slack (*Poster).
type UserLookup interface {
	LookupUserByEmail(ctx context.Context, email string) (string, error)
}

// Recruiter is a recruiter of the routes file as Slack knows them: a user
// id to mention, or why there is none.
type Recruiter struct {
	UserID string `json:"user_id,omitempty"`
	// Unresolved says why an email address found no Slack user (no such
	// member, or the app lacks users:read.email); the reply then goes out
	// without the mention.
	Unresolved string `json:"unresolved,omitempty"`
}

// Recruiters resolves the recruiters of the routes file, a Slack user id
// (used as it is) or an email address (looked up once with
// users.lookupByEmail and kept, found or not, for the process's life: a
// member who joins later, or a scope granted later, is picked up at the
// next start). Safe for concurrent use.
type Recruiters struct {
	lookup UserLookup

	mu    sync.Mutex
	known map[string]Recruiter
}

// NewRecruiters resolves recruiters through lookup.
func NewRecruiters(lookup UserLookup) *Recruiters {
	return &Recruiters{lookup: lookup, known: map[string]Recruiter{}}
}

// Resolve is the recruiter as the routes give it (empty, a user id or an
// email address) resolved to a user id, or the reason it cannot be. Only a
// failure that a retry could fix (Slack down, rate-limited) is an error,
// and is not kept.
func (r *Recruiters) Resolve(ctx context.Context, recruiter string) (Recruiter, error) {
	switch {
	case recruiter == "":
		return Recruiter{}, nil
	case Mention(recruiter) != "":
		return Recruiter{UserID: recruiter}, nil
	case !strings.Contains(recruiter, "@"):
		return Recruiter{Unresolved: "the recruiter is neither a Slack user id nor an email address"}, nil
	}
	key := strings.ToLower(recruiter)
	r.mu.Lock()
	got, ok := r.known[key]
	r.mu.Unlock()
	if ok {
		return got, nil
	}
	id, err := r.lookup.LookupUserByEmail(ctx, recruiter)
	var pe *PermanentError
	switch {
	case errors.As(err, &pe):
		got = Recruiter{Unresolved: unresolvedReason(pe.Code)}
	case err != nil:
		return Recruiter{}, err
	case Mention(id) == "":
		got = Recruiter{Unresolved: "Slack answered users.lookupByEmail without a user id"}
	default:
		got = Recruiter{UserID: id}
	}
	r.mu.Lock()
	r.known[key] = got
	r.mu.Unlock()
	return got, nil
}

// unresolvedReason says in the operator's words why an email found no
// user.
func unresolvedReason(code string) string {
	switch code {
	case "users_not_found":
		return "no Slack member has the recruiter's email address (users_not_found)"
	case "missing_scope":
		return "the Slack app cannot look up emails: add the users:read.email scope (missing_scope)"
	}
	return "users.lookupByEmail failed: " + code
}
