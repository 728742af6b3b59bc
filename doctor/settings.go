package doctor

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/signature"
)

// The names of the checks of settings that need no call.
const (
	CheckWebhookSecrets = "clarityhire: webhook secrets"
	CheckRoutes         = "routes: file"
)

// checkWebhookSecrets parses CLARITYHIRE_WEBHOOK_SECRETS and verifies a
// signature made with each secret, as the ingress will.
func (r *run) checkWebhookSecrets() {
	if r.WebhookSecrets == "" {
		r.fail(CheckWebhookSecrets, "CLARITYHIRE_WEBHOOK_SECRETS is not set: the ingress refuses to start",
			"copy the signing secret (whsec_…) from ClarityHire's webhook settings into CLARITYHIRE_WEBHOOK_SECRETS")
		return
	}
	keys, err := signature.ParseSecrets(r.WebhookSecrets)
	if err != nil {
		r.fail(CheckWebhookSecrets, "CLARITYHIRE_WEBHOOK_SECRETS: "+oneLine(err),
			"give one or more whsec_… secrets, comma-separated, exactly as ClarityHire shows them")
		return
	}
	now := time.Now()
	body := []byte(`{"id":"evt_doctor","type":"doctor.check"}`)
	for i, k := range keys {
		h := http.Header{}
		h.Set(signature.HeaderID, "msg_doctor")
		h.Set(signature.HeaderTimestamp, fmt.Sprint(now.Unix()))
		h.Set(signature.HeaderSignature, signature.Sign(k, "msg_doctor", now.Unix(), body))
		if err := signature.NewVerifier([]signature.Key{k}, func() time.Time { return now }).Verify(h, body); err != nil {
			r.fail(CheckWebhookSecrets, fmt.Sprintf("secret %d of %d: a signature made with it does not verify: %s", i+1, len(keys), oneLine(err)),
				"copy the secret again from ClarityHire")
			return
		}
	}
	r.pass(CheckWebhookSecrets, fmt.Sprintf("%d secret(s) parse, and a signature made with each verifies", len(keys)))
}

// checkRoutes parses the routes file; nil when there is none to use.
func (r *run) checkRoutes() *config.Routes {
	file := r.Config.RoutesFile
	if file == "" {
		if r.Config.SlackToken == "" {
			r.skip(CheckRoutes, "HIRESYNC_ROUTES unset, and Slack is off")
			return nil
		}
		r.fail(CheckRoutes, "HIRESYNC_ROUTES is not set: Slack is on but has no channel to post in",
			"write a routes file (see examples/routes.yaml) and point HIRESYNC_ROUTES at it")
		return nil
	}
	routes, err := config.LoadRoutes(file)
	if err != nil {
		r.fail(CheckRoutes, oneLine(err), "fix the file; each channel is a Slack channel id (C…/G…), each recruiter a user id (U…) or an email")
		return nil
	}
	detail := fmt.Sprintf("%s: %d job(s), %d channel(s), %d recruiter(s)", file, len(routes.Jobs), len(routes.Channels()), len(routes.Recruiters()))
	if routes.DefaultChannel == "" {
		r.warn(CheckRoutes, detail+"; no default_channel",
			"add default_channel, or applications for jobs not listed are not posted")
		return routes
	}
	r.pass(CheckRoutes, detail)
	return routes
}
