// Package slackdouble is a local double of Slack's Web API for tests and for
// the local run: it speaks the real HTTP shapes of auth.test,
// chat.postMessage, chat.update, conversations.history and
// conversations.replies, keeps channels, messages, threads and message
// metadata in memory (and in a JSON file when asked: Save, Load, AutoSave),
// enforces a per-channel posting rate, and can be told to fail (5xx, lost
// responses, slow answers, missing channels, 429s).
//
// It also answers the read-only calls of `hiresync doctor`
// (conversations.info, users.info, users.lookupByEmail), sends the granted
// scopes in the x-oauth-scopes header and refuses a method whose scope is
// not granted (missing_scope), and can be told that the bot is not in a
// channel or that its token was revoked.
//
// Point slack-go at it with slack.OptionAPIURL(server.APIURL()). Its whole
// state is served as JSON at GET /_double/state.
package slackdouble

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hiresync/hiresync/activities/slackscopes"

	"golang.org/x/time/rate"
)

// DefaultToken is the bot token the double accepts unless WithToken says
// otherwise.
const DefaultToken = "xoxb-hiresync-double"

// The Web API methods the double serves, as hiresync names them
// (activities/slackscopes).
const (
	MethodAuthTest             = slackscopes.MethodAuthTest
	MethodPostMessage          = slackscopes.MethodPostMessage
	MethodUpdate               = slackscopes.MethodUpdate
	MethodConversationsHistory = slackscopes.MethodConversationsHistory
	MethodConversationsReplies = slackscopes.MethodConversationsReplies
	MethodUsersLookupByEmail   = slackscopes.MethodUsersLookupByEmail
	MethodConversationsInfo    = slackscopes.MethodConversationsInfo
	MethodUsersInfo            = slackscopes.MethodUsersInfo
)

// StatePath is where the double serves its whole state as JSON.
const StatePath = "/_double/state"

// Server is the Slack double. Its zero value is not usable; build it with New.
// All methods are safe for concurrent use.
type Server struct {
	token   string
	handler http.Handler

	mu               sync.Mutex
	channels         map[string]*channel
	lastTS           int64 // microseconds of the last ts handed out
	postRate         rate.Limit
	postBurst        int
	limiters         map[string]*rate.Limiter
	retryAfterHeader bool
	channelErrors    map[string]string
	users            map[string]string // email -> user id
	scopes           []string          // granted to the token
	revoked          string            // the error every call answers, once the token is revoked
	notMember        map[string]bool   // channels the bot is not in
	faults           map[string]*fault
	delays           map[string]time.Duration
	rng              *rand.Rand
	stats            Stats
	changes          uint64 // counts changes to the durable state, for AutoSave

	saveMu sync.Mutex // one Save at a time, so the newest state is written last

	srvMu  sync.Mutex
	srv    *http.Server
	ln     net.Listener
	served chan struct{}
}

// Option configures a Server at construction.
type Option func(*Server)

// WithToken sets the only bot token the double accepts.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithPostRate limits chat.postMessage to perSecond messages per channel, with
// the given burst; zero perSecond means unlimited (the default).
func WithPostRate(perSecond float64, burst int) Option {
	return func(s *Server) { s.setPostRate(perSecond, burst) }
}

// WithoutRetryAfter makes 429 answers carry no Retry-After header, as Slack
// sometimes does.
func WithoutRetryAfter() Option { return func(s *Server) { s.retryAfterHeader = false } }

// WithMissingChannels makes every call on these channels answer
// channel_not_found.
func WithMissingChannels(ids ...string) Option {
	return func(s *Server) {
		for _, id := range ids {
			s.channelErrors[id] = "channel_not_found"
		}
	}
}

// WithUser adds a workspace member that users.lookupByEmail finds.
func WithUser(id, email string) Option {
	return func(s *Server) { s.users[strings.ToLower(email)] = id }
}

// WithSeed seeds the random source behind SetFailureRate, so that a run can
// be repeated exactly.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed)) }
}

// New builds a double that is not yet listening; serve its Handler, or call
// Listen, Run or Start.
func New(opts ...Option) *Server {
	s := &Server{
		token:            DefaultToken,
		channels:         make(map[string]*channel),
		limiters:         make(map[string]*rate.Limiter),
		retryAfterHeader: true,
		channelErrors:    make(map[string]string),
		users:            make(map[string]string),
		scopes:           slices.Clone(DefaultScopes),
		notMember:        make(map[string]bool),
		faults:           make(map[string]*fault),
		delays:           make(map[string]time.Duration),
		rng:              rand.New(rand.NewPCG(1, 1)),
		stats:            Stats{Requests: make(map[string]int)},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("GET "+StatePath, s.serveState)
	mux.HandleFunc("GET "+PagePath+"{$}", s.servePage)
	s.handler = mux
	return s
}

// Handler is the double's HTTP handler: the Web API under /api/ and the
// state under StatePath.
func (s *Server) Handler() http.Handler { return s.handler }

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start serves a new double on a free port of 127.0.0.1 until the test ends.
func Start(t TB, opts ...Option) *Server {
	t.Helper()
	s := New(opts...)
	if _, err := s.ListenLocal(); err != nil {
		t.Fatalf("start slack double: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Listen starts serving on addr (use "127.0.0.1:0" for a free port) in the
// background; Close stops it.
func (s *Server) Listen(addr string) error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return errors.New("slack double already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln)
	}(s.srv, s.served)
	return nil
}

// ListenLocal starts serving on a free port of 127.0.0.1 and returns the base
// URL, for harnesses that are not a single test (Start is for those).
func (s *Server) ListenLocal() (string, error) {
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return "", err
	}
	return s.URL(), nil
}

// Run serves on addr until ctx ends, for a long-running process such as the
// local run.
func (s *Server) Run(ctx context.Context, addr string) error {
	if err := s.Listen(addr); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// Close stops serving and drops open connections. It is safe to call twice.
func (s *Server) Close() error {
	s.srvMu.Lock()
	srv, done := s.srv, s.served
	s.srv = nil
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	if err != nil {
		return fmt.Errorf("close slack double: %w", err)
	}
	return nil
}

// URL is the base URL the double listens on, like "http://127.0.0.1:41234",
// or "" when it is not listening.
func (s *Server) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// APIURL is the value for slack.OptionAPIURL (and SLACK_API_URL): the base
// URL followed by "/api/".
func (s *Server) APIURL() string { return s.URL() + "/api/" }

// Token is the bot token the double accepts.
func (s *Server) Token() string { return s.token }
