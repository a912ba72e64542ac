# satsrail: one static binary on a distroless base.
#
#   docker build -t satsrail .
#   docker run -d --name satsrail -p 8080:8080 -v satsrail-data:/data \
#     --env-file deploy/satsrail.env satsrail
#
# (deploy/satsrail.env made from deploy/satsrail.env.example: the master key and
# the public URL.) See docs/OPERATIONS.md; deploy/compose.yaml runs three nodes
# on PostgreSQL and Redis behind Caddy.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
# Only the packages the binary is built from: a local data/ directory (with its
# database and master.key) must never end up in a build layer. Add any new
# top-level package the binary imports here.
COPY apitype/ apitype/
COPY cmd/ cmd/
COPY internal/ internal/
COPY webhook/ webhook/
# The SQLite driver (modernc.org/sqlite) is pure Go: no cgo, no libc needed.
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags "-s -w" -o /out/satsrail ./cmd/satsrail \
 && install -d -m 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/satsrail /usr/local/bin/satsrail
# The data directory belongs to the image's unprivileged user (nonroot, 65532),
# so a new named volume mounted on it starts out writable by that user.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# migrate, merchant and keys find the SQLite database in the volume without a
# --data-dir of their own.
ENV SATSRAIL_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# No HEALTHCHECK: distroless has no shell and no curl to run one. Probe the
# service from outside instead: the load balancer's health check or the
# orchestrator's HTTP probe on GET /healthz (liveness; see docs/OPERATIONS.md
# for why /readyz is for alerts, not routing).
ENTRYPOINT ["/usr/local/bin/satsrail"]
# Flags given here win over SATSRAIL_ADDR and SATSRAIL_DATA_DIR; everything
# else can be set with SATSRAIL_* variables. Run another subcommand by naming
# it: docker run --rm -v satsrail-data:/data satsrail merchant list
CMD ["serve", "--addr", "0.0.0.0:8080", "--data-dir", "/data"]
