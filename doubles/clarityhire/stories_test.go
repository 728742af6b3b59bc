package clarityhire_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
)

func TestStoriesUseSeveralIDShapes(t *testing.T) {
	o := clarityhire.StoryOptions{Candidates: 8, Seed: 2026, SecondApplication: 0.5, Duplicates: 0.2, Shuffle: true, Prefix: "chaos"}
	ds := clarityhire.Stories(o)
	shapes := map[string]*regexp.Regexp{
		"prefixed": regexp.MustCompile(`^evt_chaos\d{5}_\d_\d{2}$`),
		"numeric":  regexp.MustCompile(`^\d+$`),
		"UUID":     regexp.MustCompile(`^chaos-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
		"dotted":   regexp.MustCompile(`^clarityhire:chaos\.evt\.\d{5}\.\d:\d{2}$`),
	}
	seen := map[string]int{}
	bodies := map[string]string{}
	for _, d := range ds {
		require.True(t, hiresync.ValidID(d.ID), "%q is an id the ingress accepts", d.ID)
		require.True(t, hiresync.ValidID(d.CandidateID), "%q is an id the ingress accepts", d.CandidateID)
		if b, ok := bodies[d.ID]; ok {
			require.True(t, b == string(d.Body), "%s is sent again only as a duplicate delivery, never for another event", d.ID)
			continue
		}
		bodies[d.ID] = string(d.Body)
		var ev hiresync.Event
		require.NoError(t, json.Unmarshal(d.Body, &ev))
		assert.Equal(t, d.ID, ev.ID)
		assert.Equal(t, d.CandidateID, ev.Data.Candidate.ID)
		assert.True(t, hiresync.ValidID(ev.Data.Application.ID), ev.Data.Application.ID)
		for name, re := range shapes {
			if re.MatchString(d.ID) {
				seen[name]++
			}
		}
	}
	for name := range shapes {
		assert.Positive(t, seen[name], "some event ids are %s", name)
	}

	other := clarityhire.Stories(clarityhire.StoryOptions{Candidates: 8, Seed: 2026, Prefix: "other"})
	for _, d := range other {
		_, clash := bodies[d.ID]
		assert.False(t, clash, "another prefix gives other ids: %s", d.ID)
	}
}

func TestStoriesAreSeeded(t *testing.T) {
	o := clarityhire.StoryOptions{Candidates: 9, Seed: 7, SecondApplication: 0.3, Duplicates: 0.3, Shuffle: true, Prefix: "T"}
	assert.Equal(t, clarityhire.Stories(o), clarityhire.Stories(o), "one seed, one list")
	o.Seed = 8
	assert.NotEqual(t, clarityhire.Stories(clarityhire.StoryOptions{Candidates: 9, Seed: 7, SecondApplication: 0.3, Duplicates: 0.3, Shuffle: true, Prefix: "T"}),
		clarityhire.Stories(o), "another seed, another list")
}
