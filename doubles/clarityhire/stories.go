package clarityhire

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hiresync/hiresync"
)

// StoryOptions shapes generated candidate stories.
type StoryOptions struct {
	Candidates int
	// Seed makes the stories, duplicates and shuffles repeatable.
	Seed uint64
	// SecondApplication is the share of candidates who also apply to a
	// second job (0..1).
	SecondApplication float64
	// Duplicates is the share of deliveries sent twice (0..1).
	Duplicates float64
	// Shuffle reorders each candidate's deliveries.
	Shuffle bool
	// Jobs are the job ids to apply to; default job_BE42, job_DS07, job_OPS9.
	Jobs []string
	// Prefix is in every candidate, application and event id, so runs do
	// not collide.
	Prefix string
}

var jobTitles = map[string]string{
	"job_BE42": "Senior Backend Engineer",
	"job_DS07": "Product Designer",
	"job_OPS9": "Site Reliability Engineer",
}

// Stories generates full candidate stories as deliveries, interleaved
// across candidates in rounds, each candidate's own order kept unless
// shuffled, with duplicates added.
func Stories(o StoryOptions) []Delivery {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	jobs := o.Jobs
	if len(jobs) == 0 {
		jobs = []string{"job_BE42", "job_DS07", "job_OPS9"}
	}
	var perCandidate [][]Delivery
	for i := range o.Candidates {
		cand := shapeOf(i).candidate(o.Prefix, i)
		first := jobs[i%len(jobs)]
		ds := story(r, o.Prefix, cand, i, first, 0)
		if r.Float64() < o.SecondApplication {
			second := jobs[(i+1)%len(jobs)]
			ds = append(ds, story(r, o.Prefix, cand, i, second, 1)...)
		}
		if o.Shuffle {
			r.Shuffle(len(ds), func(a, b int) { ds[a], ds[b] = ds[b], ds[a] })
		}
		var withDups []Delivery
		for _, d := range ds {
			withDups = append(withDups, d)
			if r.Float64() < o.Duplicates {
				withDups = append(withDups, d)
			}
		}
		perCandidate = append(perCandidate, withDups)
	}
	var out []Delivery
	for round := 0; ; round++ {
		added := false
		for _, ds := range perCandidate {
			if round < len(ds) {
				out = append(out, ds[round])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// story is one application's events: submitted, a test, an interview, a
// stage change, and an ending (hired, rejected or withdrawn).
func story(r *rand.Rand, prefix, cand string, i int, job string, n int) []Delivery {
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	app := map[string]any{
		"id":         shapeOf(i).application(prefix, i, n),
		"job":        map[string]any{"id": job, "title": jobTitles[job], "department": "Engineering"},
		"source":     []string{"LinkedIn", "Referral", "Careers page"}[r.IntN(3)],
		"applied_at": base.Format(time.RFC3339),
		"stage":      "applied",
	}
	candidate := map[string]any{
		"id":          cand,
		"first_name":  []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken"}[i%6],
		"last_name":   fmt.Sprintf("Tester%d", i),
		"email":       fmt.Sprintf("cand_%s%05d@example.com", prefix, i),
		"phone":       fmt.Sprintf("+44 20 7946 %04d", i%10000),
		"profile_url": "https://app.clarityhire.com/candidates/" + cand,
	}
	if i%17 == 16 {
		candidate["email"] = nil // some candidates have no email
	}
	passed := r.IntN(2) == 0
	score := 52
	if passed {
		score = 86
	}
	test := map[string]any{"id": "tst_55", "name": "Go systems assessment", "score": score, "max_score": 100, "pass_mark": 70,
		"completed_at": base.Add(48 * time.Hour).Format(time.RFC3339)}
	interview := map[string]any{"id": fmt.Sprintf("int_%d_%d", i, n), "kind": "technical",
		"scheduled_at": base.Add(96 * time.Hour).Format(time.RFC3339), "duration_minutes": 60,
		"interviewers": []any{map[string]any{"name": "Lena Park", "email": "lena@acme.example"}},
		"meeting_url":  "https://meet.example/abc"}
	testType := hiresync.TestFailed
	if passed {
		testType = hiresync.TestPassed
	}
	steps := []step{
		{hiresync.ApplicationSubmitted, nil},
		{hiresync.TestCompleted, map[string]any{"test": test}},
		{testType, map[string]any{"test": test}},
		{hiresync.InterviewScheduled, map[string]any{"interview": interview}},
		{hiresync.InterviewCompleted, map[string]any{"interview": withField(interview, "outcome", "yes")}},
		{hiresync.StageChanged, map[string]any{"stage_change": map[string]any{"from": "interview", "to": "offer", "changed_by": "lena@acme.example"}}},
	}
	switch r.IntN(3) {
	case 0:
		steps = append(steps, step{hiresync.CandidateHired, map[string]any{"hire": map[string]any{"start_date": "2027-01-11", "title": jobTitles[job]}}})
	case 1:
		steps = append(steps, step{hiresync.ApplicationRejected, map[string]any{"rejection": map[string]any{"reason": "position_filled", "qualified": r.IntN(2) == 0, "rejected_by": "lena@acme.example"}}})
	default:
		steps = append(steps, step{hiresync.ApplicationWithdrawn, map[string]any{"withdrawal": map[string]any{"reason": "accepted_other_offer"}}})
	}
	var out []Delivery
	for k, s := range steps {
		id := shapeOf(i).event(prefix, i, n, k)
		data := map[string]any{"candidate": candidate, "application": app}
		for key, v := range s.extra {
			data[key] = v
		}
		body, _ := json.Marshal(map[string]any{
			"id": id, "type": s.typ, "organization_id": "org_acme", "data": data,
			"created_at": base.Add(time.Duration(k) * 24 * time.Hour).Format(time.RFC3339),
		})
		out = append(out, Delivery{ID: id, Type: s.typ, CandidateID: cand, Body: body})
	}
	return out
}

// step is one event of a generated story: its type and data beyond the
// candidate and application.
type step struct {
	typ   string
	extra map[string]any
}

func withField(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

// idShape is how a generated candidate's ids look. ATSs issue ids of many
// shapes, and hiresync must carry each byte for byte: numeric ids whose
// digit runs look like phone numbers, UUIDs, ids with dots and colons. The
// ids of one candidate's events differ only in their digits. A candidate's
// shape follows from its index, not the random source, so a seed draws the
// same stories whatever the shapes. With prefix "chaos", candidate 3 (first
// application, third event) is:
type idShape int

const (
	shapePrefixed idShape = iota // cand_chaos00003, evt_chaos00003_0_02
	shapeNumeric                 // 4415500003<n>, 202611000003002<n> (n: the prefix as a number)
	shapeUUID                    // chaos-00000003-0000-4000-8000-000000000000, chaos-00000003-0000-4000-8000-000000000002
	shapeDotted                  // clarityhire:chaos.cand.00003, clarityhire:chaos.evt.00003.0:02
	idShapes
)

func shapeOf(i int) idShape { return idShape(i % int(idShapes)) }

// numeric is prefix as digits, so that numeric ids are digits only and still
// differ from run to run.
func numeric(prefix string) string {
	h := fnv.New32a()
	h.Write([]byte(prefix))
	return strconv.FormatUint(uint64(h.Sum32()), 10)
}

func (s idShape) candidate(prefix string, i int) string {
	switch s {
	case shapeNumeric:
		return fmt.Sprintf("44155%05d%s", i, numeric(prefix))
	case shapeUUID:
		return fmt.Sprintf("%s-%08x-0000-4000-8000-000000000000", prefix, i)
	case shapeDotted:
		return fmt.Sprintf("clarityhire:%s.cand.%05d", prefix, i)
	}
	return fmt.Sprintf("cand_%s%05d", prefix, i)
}

func (s idShape) application(prefix string, i, n int) string {
	switch s {
	case shapeNumeric:
		return fmt.Sprintf("7%05d%d%s", i, n, numeric(prefix))
	case shapeUUID:
		return fmt.Sprintf("%s-%08x-%04x-4000-a000-000000000000", prefix, i, n)
	case shapeDotted:
		return fmt.Sprintf("clarityhire:%s.app.%05d.%d", prefix, i, n)
	}
	return fmt.Sprintf("app_%s%05d_%d", prefix, i, n)
}

func (s idShape) event(prefix string, i, n, k int) string {
	switch s {
	case shapeNumeric:
		return fmt.Sprintf("2026110%05d%d%02d%s", i, n, k, numeric(prefix))
	case shapeUUID:
		return fmt.Sprintf("%s-%08x-%04x-4000-8000-%012x", prefix, i, n, k)
	case shapeDotted:
		return fmt.Sprintf("clarityhire:%s.evt.%05d.%d:%02d", prefix, i, n, k)
	}
	return fmt.Sprintf("evt_%s%05d_%d_%02d", prefix, i, n, k)
}
