// Package config reads hiresync's configuration from the environment once,
// at start-up, into typed values; a bad value stops the process with a
// message that names the variable.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/signature"
)

// Config is the whole configuration. Secrets are kept out of String.
type Config struct {
	Temporal  client.Options
	TaskQueue string
	HTTPAddr  string
	// PayloadKeys encrypt payloads (HIRESYNC_PAYLOAD_KEY); none, none are.
	PayloadKeys []codec.Key

	// Ingress only.
	WebhookKeys        []signature.Key
	SlackSigningSecret string

	// Worker only.
	Routes         *Routes
	RoutesFile     string
	SlackToken     string
	SlackAPIURL    string
	SlackPerSecond float64
	HubSpotToken   string
	HubSpotAPIURL  string
	HubSpotRate    int
	HubSpotWindow  time.Duration
	HireStage      string
	MetricsAddr    string
	// HandoffURL receives one signed hiresync.hire_handoff webhook per
	// hire (HIRESYNC_HANDOFF_URL); empty, the hand-off is off.
	HandoffURL string
	// HandoffSecret signs it (HIRESYNC_HANDOFF_SECRET, whsec_…). Never
	// logged.
	HandoffSecret string
	// HandoffTimeout bounds one delivery attempt's request; zero, 15 s
	// (tests shorten it).
	HandoffTimeout time.Duration

	// Tuning goes into the input of the candidate workflows the ingress
	// starts (HIRESYNC_EVENTS_PER_RUN, HIRESYNC_RUN_MAX_AGE, HIRESYNC_RETENTION).
	Tuning hiresync.WorkflowTuning
}

// Getenv looks a variable up; tests pass a map's lookup.
type Getenv func(string) (string, bool)

// Role says which parts of the configuration must be valid.
type Role int

// Roles of a process.
const (
	RoleIngress Role = 1 << iota
	RoleWorker
	RoleServe = RoleIngress | RoleWorker
	// RoleClient needs only Temporal.
	RoleClient Role = 0
)

// Load reads the environment for role.
func Load(env Getenv, role Role) (*Config, error) {
	if env == nil {
		env = os.LookupEnv
	}
	get := func(k, def string) string {
		if v, ok := env(k); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{EnvLookup: lookup(env)})
	if err != nil {
		return nil, fmt.Errorf("TEMPORAL_* environment: %w", err)
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	c := &Config{
		Temporal:      opts,
		TaskQueue:     get("HIRESYNC_TASK_QUEUE", hiresync.DefaultTaskQueue),
		HTTPAddr:      get("HIRESYNC_HTTP_ADDR", ":8080"),
		SlackToken:    get("SLACK_BOT_TOKEN", ""),
		SlackAPIURL:   get("SLACK_API_URL", "https://slack.com/api/"),
		HubSpotToken:  get("HUBSPOT_ACCESS_TOKEN", ""),
		HubSpotAPIURL: get("HUBSPOT_API_URL", "https://api.hubapi.com"),
		HireStage:     get("HIRESYNC_HUBSPOT_HIRED_STAGE", "customer"),
		MetricsAddr:   get("HIRESYNC_METRICS_ADDR", ":9090"),
		RoutesFile:    get("HIRESYNC_ROUTES", ""),

		SlackSigningSecret: get("SLACK_SIGNING_SECRET", ""),
	}
	if keys := get(codec.EnvVar, ""); keys != "" {
		if c.PayloadKeys, err = codec.ParseKeys(keys); err != nil {
			return nil, err
		}
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	if c.SlackPerSecond, err = positiveFloat(get, "HIRESYNC_SLACK_PER_CHANNEL_PER_SECOND", 1); err != nil {
		return nil, err
	}
	if c.HubSpotRate, err = positiveInt(get, "HIRESYNC_HUBSPOT_REQUESTS_PER_WINDOW", 100); err != nil {
		return nil, err
	}
	if c.HubSpotWindow, err = duration(get, "HIRESYNC_HUBSPOT_WINDOW", 10*time.Second); err != nil {
		return nil, err
	}
	if c.Tuning.MaxEventsPerRun, err = positiveInt(get, "HIRESYNC_EVENTS_PER_RUN", hiresync.DefaultMaxEventsPerRun); err != nil {
		return nil, err
	}
	if c.Tuning.MaxRunAge, err = duration(get, "HIRESYNC_RUN_MAX_AGE", hiresync.DefaultMaxRunAge); err != nil {
		return nil, err
	}
	if c.Tuning.Retention, err = duration(get, "HIRESYNC_RETENTION", hiresync.DefaultRetention); err != nil {
		return nil, err
	}
	if role&RoleIngress != 0 {
		secrets := get("CLARITYHIRE_WEBHOOK_SECRETS", "")
		if secrets == "" {
			return nil, fmt.Errorf("CLARITYHIRE_WEBHOOK_SECRETS is not set: the ingress cannot verify webhooks without it")
		}
		if c.WebhookKeys, err = signature.ParseSecrets(secrets); err != nil {
			return nil, fmt.Errorf("CLARITYHIRE_WEBHOOK_SECRETS: %w", err)
		}
	}
	if role&RoleWorker != 0 {
		if c.HandoffURL, c.HandoffSecret, err = handoff(get); err != nil {
			return nil, err
		}
		c.Routes = &Routes{}
		if c.RoutesFile != "" {
			if c.Routes, err = LoadRoutes(c.RoutesFile); err != nil {
				return nil, fmt.Errorf("HIRESYNC_ROUTES: %w", err)
			}
		}
	}
	return c, nil
}

// handoff reads the hand-off endpoint and its secret: both or neither. The
// errors never quote the secret.
func handoff(get func(string, string) string) (string, string, error) {
	rawURL, secret := get("HIRESYNC_HANDOFF_URL", ""), get("HIRESYNC_HANDOFF_SECRET", "")
	if rawURL == "" {
		if secret != "" {
			return "", "", errors.New("HIRESYNC_HANDOFF_SECRET is set but HIRESYNC_HANDOFF_URL is not: set both, or neither to leave the hand-off off")
		}
		return "", "", nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", "", fmt.Errorf("HIRESYNC_HANDOFF_URL=%q: want an absolute http(s) URL", rawURL)
	}
	if u.User != nil {
		return "", "", errors.New("HIRESYNC_HANDOFF_URL: credentials in the URL are not supported; the hand-off is signed with HIRESYNC_HANDOFF_SECRET")
	}
	if secret == "" {
		return "", "", errors.New("HIRESYNC_HANDOFF_URL is set but HIRESYNC_HANDOFF_SECRET is not: the hand-off must be signed (whsec_…)")
	}
	if err := checkHandoffSecret(secret); err != nil {
		return "", "", fmt.Errorf("HIRESYNC_HANDOFF_SECRET: %w", err)
	}
	return rawURL, secret, nil
}

// minHandoffKey is the shortest key accepted: Standard Webhooks asks for
// 24 to 64 random bytes.
const minHandoffKey = 24

// checkHandoffSecret accepts what the Standard Webhooks library signs
// with: whsec_ and the base64 of a key of 24 bytes or more.
func checkHandoffSecret(secret string) error {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return errors.New("want whsec_ followed by the base64 of the key")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return errors.New("the part after whsec_ is not valid base64")
	}
	if len(key) < minHandoffKey {
		return fmt.Errorf("the key is %d bytes, want at least %d", len(key), minHandoffKey)
	}
	if _, err := standardwebhooks.NewWebhook(secret); err != nil {
		return errors.New("the Standard Webhooks library refuses it")
	}
	return nil
}

func lookup(env Getenv) envconfig.EnvLookup { return envLookup(env) }

type envLookup Getenv

func (e envLookup) LookupEnv(k string) (string, bool) { return e(k) }

func (e envLookup) Environ() []string {
	// Only the TEMPORAL_GRPC_META_* headers are read through Environ.
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEMPORAL_GRPC_META_") {
			if v, ok := e(k); ok {
				out = append(out, k+"="+v)
			}
		}
	}
	return out
}

func positiveFloat(get func(string, string) string, name string, def float64) (float64, error) {
	s := get(name, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive number", name, s)
	}
	return v, nil
}

func positiveInt(get func(string, string) string, name string, def int) (int, error) {
	s := get(name, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive whole number", name, s)
	}
	return v, nil
}

func duration(get func(string, string) string, name string, def time.Duration) (time.Duration, error) {
	s := get(name, "")
	if s == "" {
		return def, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 10s", name, s)
	}
	return v, nil
}
