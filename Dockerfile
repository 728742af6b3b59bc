# hiresync: one static binary in a distroless image.
#
#   docker build -t hiresync:dev .
#   docker run --rm hiresync:dev help
#
# The image runs `hiresync serve` by default; docker-compose.yml runs the
# ingress and the worker as separate containers from the same image
# (`command: ["ingress"]`, `command: ["worker"]`). Configuration is the
# environment described in README.md. The example routes file is baked in at
# /etc/hiresync/routes.yaml; mount your own over it.

# Build stage: the Go version matches the `go` line of go.mod, so the build
# never downloads another toolchain.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, on their own layer: a source change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hiresync ./cmd/hiresync

# Runtime stage: no shell, no package manager, runs as uid 65532 (nonroot).
# With no curl inside, a container probes itself with the binary:
# `/hiresync healthcheck --url http://127.0.0.1:8080/healthz` (exit 1 unless
# 2xx), as docker-compose.yml does; an orchestrator may probe over HTTP.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hiresync /hiresync
COPY examples/routes.yaml /etc/hiresync/routes.yaml
USER nonroot
# 8080: HIRESYNC_HTTP_ADDR (webhooks, /healthz, /readyz, /metrics);
# 9090: HIRESYNC_METRICS_ADDR (/metrics, /healthz of a worker run alone).
EXPOSE 8080 9090
ENTRYPOINT ["/hiresync"]
CMD ["serve"]
