package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hiresync/hiresync"
)

// Routes is the routes file (HIRESYNC_ROUTES): for each ClarityHire job,
// the Slack channel its applications are posted in, the recruiter who is
// mentioned, and how long an application may sit in a status before that
// recruiter is nudged; with defaults for jobs not listed.
type Routes struct {
	DefaultChannel string `yaml:"default_channel"`
	// DefaultRecruiter is a Slack user id (U…) or an email address that
	// the worker resolves with users.lookupByEmail.
	DefaultRecruiter string `yaml:"default_recruiter"`
	// ProvisioningChannel gets one message per hire, if set.
	ProvisioningChannel string `yaml:"provisioning_channel"`
	// Nudges maps an application status (HiringStage) to its longest
	// quiet time.
	Nudges map[string]time.Duration `yaml:"nudges"`
	Jobs   map[string]JobRoute      `yaml:"jobs"`
}

// JobRoute is one job's entry: a channel id alone (the short form), or a
// mapping with channel, recruiter and nudges.
type JobRoute struct {
	Channel   string                   `yaml:"channel"`
	Recruiter string                   `yaml:"recruiter"`
	Nudges    map[string]time.Duration `yaml:"nudges"`
}

// UnmarshalYAML accepts the short form `job_BE42: C0BACKEND` beside the
// mapping form.
func (j *JobRoute) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*j = JobRoute{Channel: n.Value}
		return nil
	}
	type plain JobRoute
	var p plain
	if err := strictDecode(n, &p); err != nil {
		return err
	}
	*j = JobRoute(p)
	return nil
}

// strictDecode decodes n into v refusing unknown fields, as the file's
// decoder does (Node.Decode does not carry KnownFields).
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Lines counted within the node: say where it is in the file.
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// Channel is the job's channel, else the default channel.
func (r *Routes) Channel(jobID string) string {
	if j, ok := r.Jobs[jobID]; ok && j.Channel != "" {
		return j.Channel
	}
	return r.DefaultChannel
}

// Recruiter is the job's recruiter as the file gives it (user id or
// email), else the default recruiter; empty when neither is set.
func (r *Routes) Recruiter(jobID string) string {
	if j, ok := r.Jobs[jobID]; ok && j.Recruiter != "" {
		return j.Recruiter
	}
	return r.DefaultRecruiter
}

// NudgesFor is the job's quiet times by status: the default ones with the
// job's own merged over them. Nil when there are none.
func (r *Routes) NudgesFor(jobID string) map[string]time.Duration {
	j := r.Jobs[jobID]
	if len(r.Nudges) == 0 && len(j.Nudges) == 0 {
		return nil
	}
	out := maps.Clone(r.Nudges)
	if out == nil {
		out = map[string]time.Duration{}
	}
	maps.Copy(out, j.Nudges)
	return out
}

// Provisioning is the channel that gets one message per hire, or "".
func (r *Routes) Provisioning() string { return r.ProvisioningChannel }

// Channels lists every channel the routes name, the default first, then
// the jobs' channels in order, each once; the provisioning channel last.
func (r *Routes) Channels() []string {
	out := appendNew(nil, r.DefaultChannel)
	for _, job := range slices.Sorted(maps.Keys(r.Jobs)) {
		out = appendNew(out, r.Jobs[job].Channel)
	}
	return appendNew(out, r.ProvisioningChannel)
}

// Recruiters lists every recruiter the routes name, the default first,
// each once.
func (r *Routes) Recruiters() []string {
	out := appendNew(nil, r.DefaultRecruiter)
	for _, job := range slices.Sorted(maps.Keys(r.Jobs)) {
		out = appendNew(out, r.Jobs[job].Recruiter)
	}
	return out
}

// appendNew appends v unless it is empty or already there.
func appendNew(out []string, v string) []string {
	if v == "" || slices.Contains(out, v) {
		return out
	}
	return append(out, v)
}

// LoadRoutes reads a routes file; errors name the file and line.
func LoadRoutes(path string) (*Routes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRoutes(path, b)
}

// ParseRoutes parses routes YAML; name is used in errors.
func ParseRoutes(name string, b []byte) (*Routes, error) {
	// The values are checked first, so that a bad one is named in our
	// words with its line rather than in the decoder's.
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, v := range values(&root) {
		if err := v.check(v.node.Value); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, v.node.Line, err)
		}
	}
	var r Routes
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &r, nil
}

// value is one scalar of the file with the check it must pass.
type value struct {
	node  *yaml.Node
	check func(string) error
}

// values returns every channel, recruiter and nudge of the file with its
// node, for the line numbers.
func values(root *yaml.Node) []value {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var out []value
	scalar := func(n *yaml.Node, check func(string) error) {
		if n.Kind == yaml.ScalarNode && n.Value != "" {
			out = append(out, value{n, check})
		}
	}
	nudges := func(n *yaml.Node) {
		for k := 0; k+1 < len(n.Content); k += 2 {
			out = append(out, value{n.Content[k], checkNudgeStatus})
			scalar(n.Content[k+1], checkNudge)
		}
	}
	each(root.Content[0], func(key string, val *yaml.Node) {
		switch key {
		case "default_channel", "provisioning_channel":
			scalar(val, checkChannel)
		case "default_recruiter":
			scalar(val, checkRecruiter)
		case "nudges":
			nudges(val)
		case "jobs":
			each(val, func(_ string, job *yaml.Node) {
				scalar(job, checkChannel)
				each(job, func(key string, val *yaml.Node) {
					switch key {
					case "channel":
						scalar(val, checkChannel)
					case "recruiter":
						scalar(val, checkRecruiter)
					case "nudges":
						nudges(val)
					}
				})
			})
		}
	})
	return out
}

// each calls f with every key and value of a mapping node.
func each(n *yaml.Node, f func(key string, val *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i].Value, n.Content[i+1])
	}
}

// checkChannel accepts Slack's public, private and DM conversation ids.
func checkChannel(s string) error {
	if !slackID(s, "CGD") {
		return fmt.Errorf("%q is not a Slack channel id (like C0123ABCD)", s)
	}
	return nil
}

// checkRecruiter accepts a Slack user id (U… or W…) or an email address.
func checkRecruiter(s string) error {
	if slackID(s, "UW") {
		return nil
	}
	if at := strings.IndexByte(s, '@'); at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " <>") {
		return nil
	}
	return fmt.Errorf("%q is neither a Slack user id (like U0123ABCD) nor an email address", s)
}

// checkNudgeStatus refuses a closed status: closed applications get no
// nudges.
func checkNudgeStatus(s string) error {
	switch hiresync.Status(s) {
	case "":
		return errors.New("a nudge needs a status")
	case hiresync.StatusHired, hiresync.StatusRejected, hiresync.StatusWithdrawn:
		return fmt.Errorf("%q closes the application: closed applications get no nudges", s)
	}
	return nil
}

// checkNudge accepts a positive Go duration.
func checkNudge(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration (like 72h or 30s)", s)
	}
	return nil
}

// slackID reports whether s looks like a Slack id starting with one of
// first: upper-case letters and digits.
func slackID(s, first string) bool {
	if len(s) < 2 || len(s) > 24 || !strings.ContainsRune(first, rune(s[0])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
