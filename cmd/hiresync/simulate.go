package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/hiresync/hiresync/ingress/signature"
	"github.com/hiresync/hiresync/testsuite/clarityhire"
)

// runSimulate signs and sends the sample events, or generated stories.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://localhost:8080/webhooks/clarityhire", "webhook URL")
	secret := fs.String("secret", "", "whsec_… signing secret(s), comma-separated (default: $CLARITYHIRE_WEBHOOK_SECRETS)")
	candidates := fs.Int("candidates", 0, "generate full stories for this many candidates instead of the eleven samples")
	dup := fs.Float64("duplicate", 0, "share of deliveries sent twice (0..1)")
	shuffle := fs.Bool("shuffle", false, "shuffle each candidate's deliveries")
	second := fs.Float64("second-application", 0.3, "share of generated candidates applying to a second job")
	seed := fs.Uint64("seed", 1, "seed for generated stories, duplicates and shuffles")
	prefix := fs.String("prefix", "", "prefix for generated candidate and event ids")
	concurrency := fs.Int("concurrency", 4, "candidates sent in parallel (one candidate's deliveries stay in order)")
	attempts := fs.Int("attempts", 8, "tries per delivery before giving up, as ClarityHire retries")
	if err := fs.Parse(args); err != nil {
		return err
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
	var deliveries []clarityhire.Delivery
	if *candidates > 0 {
		deliveries = clarityhire.Stories(clarityhire.StoryOptions{
			Candidates: *candidates, Seed: *seed, SecondApplication: *second,
			Duplicates: *dup, Shuffle: *shuffle, Prefix: *prefix,
		})
	} else {
		if deliveries, err = clarityhire.Samples(); err != nil {
			return err
		}
		if *dup > 0 {
			deliveries = append(deliveries, deliveries...)
		}
	}
	sender := &clarityhire.Sender{URL: *url, Keys: keys, Attempts: *attempts}

	// One candidate's deliveries go in order; candidates go in parallel.
	byCandidate := map[string][]clarityhire.Delivery{}
	var order []string
	for _, d := range deliveries {
		if _, ok := byCandidate[d.CandidateID]; !ok {
			order = append(order, d.CandidateID)
		}
		byCandidate[d.CandidateID] = append(byCandidate[d.CandidateID], d)
	}
	var accepted, refused, failed atomic.Int64
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(1, *concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cand := range work {
				for _, d := range byCandidate[cand] {
					res, err := sender.Send(ctx, d)
					mu.Lock()
					switch {
					case err != nil:
						failed.Add(1)
						fmt.Fprintf(stdout, "%s %-24s FAILED %v\n", d.ID, d.Type, err)
					case res.Status/100 == 2:
						accepted.Add(1)
						fmt.Fprintf(stdout, "%s %-24s %d %s\n", d.ID, d.Type, res.Status, res.Body)
					default:
						refused.Add(1)
						fmt.Fprintf(stdout, "%s %-24s %d %s\n", d.ID, d.Type, res.Status, res.Body)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, cand := range order {
		select {
		case work <- cand:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	fmt.Fprintf(stdout, "sent %d deliveries for %d candidates: %d accepted, %d refused, %d failed\n",
		len(deliveries), len(order), accepted.Load(), refused.Load(), failed.Load())
	if failed.Load() > 0 || refused.Load() > 0 {
		return fmt.Errorf("simulate: %d deliveries not accepted", failed.Load()+refused.Load())
	}
	return ctx.Err()
}
