package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

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
	for _, n := range jobNodes(&root) {
		if !validChannel(n.Value) {
			return nil, fmt.Errorf("%s: line %d: %q is not a Slack channel id (like C0123ABCD)", name, n.Line, n.Value)
		}
	}
	if r.DefaultChannel != "" && !validChannel(r.DefaultChannel) {
		return nil, fmt.Errorf("%s: default_channel %q is not a Slack channel id (like C0123ABCD)", name, r.DefaultChannel)
	}
	return &r, nil
}

// jobNodes returns the value nodes of the jobs mapping, for line numbers.
func jobNodes(root *yaml.Node) []*yaml.Node {
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := root.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value == "jobs" && top[i+1].Kind == yaml.MappingNode {
			var vals []*yaml.Node
			for j := 1; j < len(top[i+1].Content); j += 2 {
				vals = append(vals, top[i+1].Content[j])
			}
			return vals
		}
	}
	return nil
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
