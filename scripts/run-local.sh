#!/usr/bin/env bash
# The local run behind `make run`: a Temporal dev server on a SQLite file
# under .data/ (Web UI on :8233), the local Slack and HubSpot doubles for
# any downstream without a token, the hand-off receiver double when no
# HIRESYNC_HANDOFF_URL is set, and `hiresync serve`. Ctrl-C stops it all;
# the next run finds its earlier workflows again, and the doubles the
# channels, threads and contacts they made (.data/doubles/).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=./bin
DATA=.data
mkdir -p "$DATA"

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
SLACK_DOUBLE_ADDR=${SLACK_DOUBLE_ADDR:-127.0.0.1:8091}
HUBSPOT_DOUBLE_ADDR=${HUBSPOT_DOUBLE_ADDR:-127.0.0.1:8092}
HANDOFF_DOUBLE_ADDR=${HANDOFF_DOUBLE_ADDR:-127.0.0.1:8093}
export HIRESYNC_HTTP_ADDR=${HIRESYNC_HTTP_ADDR:-127.0.0.1:8080}
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:$TEMPORAL_PORT}

# A local signing secret, made once and kept, so simulate lines keep working.
if [ ! -s "$DATA/webhook-secret" ]; then
  (umask 077; printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$DATA/webhook-secret")
fi
export CLARITYHIRE_WEBHOOK_SECRETS=${CLARITYHIRE_WEBHOOK_SECRETS:-$(cat "$DATA/webhook-secret")}
# Local routes: a recruiter the Slack double resolves by email, a
# provisioning channel and nudges of minutes (examples/routes.local.yaml).
export HIRESYNC_ROUTES=${HIRESYNC_ROUTES:-examples/routes.local.yaml}

# Children run in their own sessions (setsid), so Ctrl-C reaches only this
# script, which stops them in order: hiresync first (it finishes in-flight
# requests and activities), then the doubles, then Temporal.
pids=()
stop() {
  trap - INT TERM EXIT
  # Output piped to a reader that Ctrl-C ended too (make run | tee) must
  # not cut the clean-up short.
  trap '' PIPE
  echo 2>/dev/null || true
  echo "stopping…" 2>/dev/null || true
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  exit 0
}
trap stop INT TERM EXIT

setsid "$BIN/temporal" server start-dev \
  --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
  --db-filename "$DATA/temporal.db" --log-level warn \
  --search-attribute CandidateId=Keyword \
  --search-attribute JobIds=KeywordList \
  --search-attribute HiringStage=Keyword \
  --search-attribute StalledSince=Datetime \
  --dynamic-config-value system.enableActivityEagerExecution=true \
  >"$DATA/temporal.log" 2>&1 &
pids+=($!)

doubles=()
if [ -z "${SLACK_BOT_TOKEN:-}" ]; then
  export SLACK_BOT_TOKEN=xoxb-local-double SLACK_API_URL="http://$SLACK_DOUBLE_ADDR/api/"
  # The recruiters the routes name by email, so that they resolve.
  doubles+=(-slack "$SLACK_DOUBLE_ADDR" -slack-token "$SLACK_BOT_TOKEN"
    -slack-users "U0LEAD=lead@acme.example,U0MAYA=maya@acme.example")
fi
if [ -z "${HUBSPOT_ACCESS_TOKEN:-}" ]; then
  export HUBSPOT_ACCESS_TOKEN=pat-local-double HUBSPOT_API_URL="http://$HUBSPOT_DOUBLE_ADDR"
  doubles+=(-hubspot "$HUBSPOT_DOUBLE_ADDR" -hubspot-token "$HUBSPOT_ACCESS_TOKEN")
fi
if [ -z "${HIRESYNC_HANDOFF_URL:-}" ]; then
  # A hand-off secret of the local run's own, made once and kept.
  if [ ! -s "$DATA/handoff-secret" ]; then
    (umask 077; printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$DATA/handoff-secret")
  fi
  export HIRESYNC_HANDOFF_URL="http://$HANDOFF_DOUBLE_ADDR/hire-handoff" HIRESYNC_HANDOFF_SECRET="$(cat "$DATA/handoff-secret")"
  # The double reads the secret from HIRESYNC_HANDOFF_SECRET, not argv.
  doubles+=(-handoff "$HANDOFF_DOUBLE_ADDR")
fi
if [ ${#doubles[@]} -gt 0 ]; then
  # The doubles keep their state beside Temporal's, so the workflows' thread
  # ts and contact ids still mean something after a restart.
  setsid "$BIN/hiresync" doubles -state-dir "$DATA/doubles" "${doubles[@]}" 2>>"$DATA/doubles.log" &
  pids+=($!)
fi

# Wait for the dev server, then make sure HubSpot has our properties.
for _ in $(seq 1 120); do
  "$BIN/temporal" operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break
  sleep 0.5
done
wait_http() {
  for _ in $(seq 1 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "$1 did not come up; the end of $DATA/doubles.log:" >&2
  tail -n 5 "$DATA/doubles.log" >&2
  return 1
}
case " ${doubles[*]:-} " in *" -slack "*) wait_http "http://$SLACK_DOUBLE_ADDR/_double/state";; esac
case " ${doubles[*]:-} " in *" -hubspot "*) wait_http "http://$HUBSPOT_DOUBLE_ADDR/_double/state";; esac
case " ${doubles[*]:-} " in *" -handoff "*) wait_http "http://$HANDOFF_DOUBLE_ADDR/_double/state";; esac
"$BIN/hiresync" hubspot setup
# What `hiresync doctor` finds, for the banner; the worker starts just
# after, so its line only warns.
doctor_report=$("$BIN/hiresync" doctor 2>&1 | sed 's/^/    /') || true

cat <<BANNER

  hiresync is running.
    webhook endpoint   http://$HIRESYNC_HTTP_ADDR/webhooks/clarityhire
    Temporal Web UI    http://localhost:$TEMPORAL_UI_PORT
BANNER
case " ${doubles[*]:-} " in *" -slack "*) echo "    Slack double       http://$SLACK_DOUBLE_ADDR/   (JSON: /_double/state)";; esac
case " ${doubles[*]:-} " in *" -hubspot "*) echo "    HubSpot double     http://$HUBSPOT_DOUBLE_ADDR/   (JSON: /_double/state)";; esac
case " ${doubles[*]:-} " in *" -handoff "*) echo "    Hand-off receiver  http://$HANDOFF_DOUBLE_ADDR/   (JSON: /_double/state)";; esac
cat <<BANNER

  hiresync doctor:
$doctor_report

  Send the eleven sample events, from another terminal:
    ./bin/hiresync simulate -url http://$HIRESYNC_HTTP_ADDR/webhooks/clarityhire -secret $CLARITYHIRE_WEBHOOK_SECRETS

  Then read a candidate's timeline:
    ./bin/temporal workflow query --address $TEMPORAL_ADDRESS --workflow-id candidate:cand_7Q2KXW --type timeline

  Ctrl-C stops everything.

BANNER

setsid "$BIN/hiresync" serve &
pids+=($!)
wait "${pids[-1]}"
