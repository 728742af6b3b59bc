package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Routes maps ClarityHire job ids to Slack channel ids (HIRESYNC_ROUTES).
type Routes struct {
	DefaultChannel string            `yaml:"default_channel"`
	Jobs           map[string]string `yaml:"jobs"`
}

// Channel is the job's channel, else the default channel.
func (r *Routes) Channel(jobID string) string {
	if ch, ok := r.Jobs[jobID]; ok && ch != "" {
		return ch
	}
	return r.DefaultChannel
}

// Channels lists every channel the routes name, the default first, then
// the jobs' channels in order, each once.
func (r *Routes) Channels() []string {
	var out []string
	if r.DefaultChannel != "" {
		out = append(out, r.DefaultChannel)
	}
	for _, ch := range slices.Sorted(maps.Values(r.Jobs)) {
		if ch != "" && !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
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
	var r Routes
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(b, &root)
	for _, n := range channelNodes(&root) {
		if !validChannel(n.Value) {
			return nil, fmt.Errorf("%s: line %d: %q is not a Slack channel id (like C0123ABCD)", name, n.Line, n.Value)
		}
	}
	return &r, nil
}

// channelNodes returns the nodes of every channel id in the file — the
// default channel and the jobs mapping's values — for their line numbers.
func channelNodes(root *yaml.Node) []*yaml.Node {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var vals []*yaml.Node
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		switch key, val := top[i].Value, top[i+1]; {
		case key == "default_channel" && val.Kind == yaml.ScalarNode && val.Value != "":
			vals = append(vals, val)
		case key == "jobs" && val.Kind == yaml.MappingNode:
			for j := 1; j < len(val.Content); j += 2 {
				vals = append(vals, val.Content[j])
			}
		}
	}
	return vals
}

// validChannel accepts Slack's public, private and DM conversation ids.
func validChannel(s string) bool {
	if len(s) < 2 || len(s) > 24 || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D') {
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
