# Rasad container image: `make docker` (docker build -t rasad .).
# Stage 1 compiles a static binary; stage 2 is distroless: CA certificates,
# a nonroot user, no shell. Time zones are compiled in (-tags timetzdata).
# Configuration comes only from the environment (see compose.yaml).
#
# The Go source is copied directory by directory so that editing docs does
# not rebuild: a new top-level Go package needs its own COPY line below.

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY cmd ./cmd
COPY bot ./bot
COPY domain ./domain
COPY storage ./storage

RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -tags timetzdata -ldflags="-s -w" -o /rasad ./cmd/rasad

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="rasad" \
      org.opencontainers.image.description="Rasad employment monitoring bot (Telegram Bot API / Bale)"
COPY --from=build /rasad /rasad
USER nonroot:nonroot
ENTRYPOINT ["/rasad"]
CMD ["serve"]
