# syntax=docker/dockerfile:1
# The operator image (kwasm-operator). Build from the repository root:
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/kwasm/kwasm-operator:0.1.0 .
# The node installer image is installer-image/Dockerfile.
# Release builds pin the base images by digest (SWIFT_IMAGE=…@sha256:…, BASE_IMAGE=…@sha256:…).

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
WORKDIR /src
# Package.resolved pins dependency versions when it is present (the glob keeps it optional).
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product kwasm-operator \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/kwasm-operator" /out/kwasm-operator

FROM ${BASE_IMAGE}
# CA certificates for an API server reached outside the cluster (--kubeconfig); in-cluster the
# service-account CA is used.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/kwasm-operator /usr/local/bin/kwasm-operator
LABEL org.opencontainers.image.title="kwasm-operator" \
      org.opencontainers.image.description="Kubernetes operator that gives nodes WebAssembly runtimes" \
      org.opencontainers.image.source="https://github.com/KWasm/kwasm-operator"
# Non-root, matching the chart's runAsUser/runAsGroup; the root filesystem can be read-only.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/kwasm-operator"]
CMD ["run"]
