package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/signature"
)

// simulation says which deliveries simulate sends: the eleven samples, or
// generated stories, reordered and duplicated as asked.
type simulation struct {
	candidates int     // generate stories for this many candidates; 0: the samples
	second     float64 // share of generated candidates with a second application
	prefix     string  // prefix of generated ids
	duplicates float64 // share of deliveries sent twice
	shuffle    bool    // shuffle each candidate's deliveries
	seed       uint64
}

// deliveries lists what to send, in order. Samples are shuffled and
// duplicated as generated stories are: each candidate's deliveries
// reordered, and each delivery, by chance, sent again right after itself.
func (s simulation) deliveries() ([]clarityhire.Delivery, error) {
	if s.candidates > 0 {
		return clarityhire.Stories(clarityhire.StoryOptions{
			Candidates: s.candidates, Seed: s.seed, SecondApplication: s.second,
			Duplicates: s.duplicates, Shuffle: s.shuffle, Prefix: s.prefix,
		}), nil
	}
	ds, err := clarityhire.Samples()
	if err != nil {
		return nil, err
	}
	// The same draw as clarityhire.Stories, so a seed means the same thing.
	r := rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))
	var out []clarityhire.Delivery
	for _, own := range groupByCandidate(ds) {
		if s.shuffle {
			r.Shuffle(len(own), func(a, b int) { own[a], own[b] = own[b], own[a] })
		}
		for _, d := range own {
			out = append(out, d)
			if r.Float64() < s.duplicates {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// groupByCandidate splits deliveries by candidate, candidates in order of
// first appearance, each candidate's deliveries in their order.
func groupByCandidate(ds []clarityhire.Delivery) [][]clarityhire.Delivery {
	index := map[string]int{}
	var out [][]clarityhire.Delivery
	for _, d := range ds {
		i, ok := index[d.CandidateID]
		if !ok {
			i = len(out)
			index[d.CandidateID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	return out
}

// runSimulate signs and sends the sample events, or generated stories.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://localhost:8080/webhooks/clarityhire", "webhook URL")
	secret := fs.String("secret", "", "whsec_… signing secret(s), comma-separated (default: $CLARITYHIRE_WEBHOOK_SECRETS)")
	var sim simulation
	fs.IntVar(&sim.candidates, "candidates", 0, "generate full stories for this many candidates instead of the eleven samples")
	fs.Float64Var(&sim.duplicates, "duplicate", 0, "share of deliveries sent twice (0..1)")
	fs.BoolVar(&sim.shuffle, "shuffle", false, "shuffle each candidate's deliveries")
	fs.Float64Var(&sim.second, "second-application", 0.3, "share of generated candidates applying to a second job (with -candidates)")
	fs.Uint64Var(&sim.seed, "seed", 1, "seed for generated stories, duplicates and shuffles")
	fs.StringVar(&sim.prefix, "prefix", "", "prefix for generated candidate and event ids (with -candidates)")
	concurrency := fs.Int("concurrency", 4, "candidates sent in parallel (one candidate's deliveries stay in order)")
	attempts := fs.Int("attempts", 8, "tries per delivery before giving up; every answer but a 2xx (and 410 Gone) is retried, as ClarityHire does")
	backoff := fs.Duration("backoff", 200*time.Millisecond, "first pause between tries, doubled each time up to 5s; a Retry-After asks for longer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("simulate: unexpected argument %q", fs.Arg(0))
	case sim.candidates < 0:
		return errors.New("simulate: -candidates must not be negative")
	case sim.duplicates < 0 || sim.duplicates > 1:
		return errors.New("simulate: -duplicate is a share of deliveries, between 0 and 1")
	case sim.second < 0 || sim.second > 1:
		return errors.New("simulate: -second-application is a share of candidates, between 0 and 1")
	case sim.candidates == 0 && (set["prefix"] || set["second-application"]):
		return errors.New("simulate: -prefix and -second-application shape generated stories: give -candidates N too")
	case *attempts < 1:
		return errors.New("simulate: -attempts must be at least 1")
	case *backoff <= 0:
		return errors.New("simulate: -backoff must be positive")
	}
	if *secret == "" {
		*secret = os.Getenv("CLARITYHIRE_WEBHOOK_SECRETS")
	}
	if *secret == "" {
		return errors.New("simulate: give -secret or set CLARITYHIRE_WEBHOOK_SECRETS")
	}
	keys, err := signature.ParseSecrets(*secret)
	if err != nil {
		return fmt.Errorf("simulate: -secret: %w", err)
	}
	deliveries, err := sim.deliveries()
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}

	var mu sync.Mutex // one line at a time on stdout and stderr
	sender := &clarityhire.Sender{
		URL: *url, Keys: keys, Attempts: *attempts, Backoff: *backoff,
		OnRetry: func(d clarityhire.Delivery, failed clarityhire.Attempt, wait time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "%s %-24s attempt %d/%d: %s; retrying in %s\n",
				d.ID, d.Type, failed.N, *attempts, failed, wait.Round(time.Millisecond))
		},
	}

	// One candidate's deliveries go in order; candidates go in parallel.
	groups := groupByCandidate(deliveries)
	var accepted, failed atomic.Int64
	work := make(chan []clarityhire.Delivery)
	var wg sync.WaitGroup
	for range max(1, *concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for own := range work {
				for _, d := range own {
					res, err := sender.Send(ctx, d)
					mu.Lock()
					if err != nil {
						failed.Add(1)
						fmt.Fprintf(stdout, "%s %-24s FAILED %v\n", d.ID, d.Type, err)
					} else {
						accepted.Add(1)
						fmt.Fprintf(stdout, "%s %-24s %d %s\n", d.ID, d.Type, res.Status, res.Body)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, own := range groups {
		select {
		case work <- own:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	fmt.Fprintf(stdout, "sent %d of %d deliveries for %d candidates: %d accepted, %d failed\n",
		accepted.Load()+failed.Load(), len(deliveries), len(groups), accepted.Load(), failed.Load())
	if failed.Load() > 0 {
		return fmt.Errorf("simulate: %d deliveries not accepted", failed.Load())
	}
	return ctx.Err()
}
