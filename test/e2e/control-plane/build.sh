#!/usr/bin/env bash
# Builds the end-to-end control plane from Go modules: kube-apiserver, kube-controller-manager and
# kubectl (k8s.io/kubernetes), etcd (go.etcd.io/etcd) and helm (helm.sh/helm/v3), each pinned by the
# go.mod/go.sum beside this script; and the CustomResourceDefinitions the tests install (PolicyReport,
# cert-manager, Prometheus operator) from those projects' own Go modules. Everything goes to a cache
# folder keyed by the pins, so a warm machine rebuilds nothing. Prints the folder of the binaries;
# the CRDs are in ../crds beside it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

version_of() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$2"; }
kube="$(version_of k8s.io/kubernetes "$here/kube/go.mod")"
etcd="$(version_of go.etcd.io/etcd/server/v3 "$here/etcd/go.mod")"
helm="$(version_of helm.sh/helm/v3 "$here/helm/go.mod")"
# Module, version and the CRD files the tests take from it.
CRD_SOURCES=(
  "github.com/kyverno/kyverno v1.19.1 config/crds/policyreport/wgpolicyk8s.io_policyreports.yaml config/crds/policyreport/wgpolicyk8s.io_clusterpolicyreports.yaml"
  "github.com/cert-manager/cert-manager v1.21.2 deploy/crds/cert-manager.io_certificates.yaml deploy/crds/cert-manager.io_issuers.yaml"
  "github.com/prometheus-operator/prometheus-operator v0.85.0 example/prometheus-operator-crd-full/monitoring.coreos.com_servicemonitors.yaml example/prometheus-operator-crd-full/monitoring.coreos.com_prometheusrules.yaml"
)
pins="$( (cat "$here"/*/go.mod "$here"/*/go.sum; printf '%s\n' "${CRD_SOURCES[@]}") | sha256sum | cut -c1-12)"
cache="${KUBE_HYGIENE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-hygiene-e2e}"
root="$cache/kube-$kube-etcd-$etcd-helm-$helm-$pins"
bin="$root/bin"

if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kubectl" ] \
  && [ -x "$bin/etcd" ] && [ -x "$bin/helm" ] && [ -d "$root/crds" ]; then
  echo "$bin"
  exit 0
fi
# Test files run in parallel and each asks for the binaries: one builds, the others wait for it.
mkdir -p "$cache"
exec 9>"$cache/.build-lock"
flock 9
if [ -x "$bin/kube-apiserver" ] && [ -d "$root/crds" ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "Go 1.26 or newer is needed to build the control plane (https://go.dev/dl/)." >&2; exit 1; }

mkdir -p "$bin.partial"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
# Version stamps the release's own build would set: kubectl, helm and the API server compare them.
minor="${kube#v1.}"; minor="${minor%%.*}"
kube_version="-X k8s.io/component-base/version.gitVersion=$kube -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$kube -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
build() { # module-dir output-name package ldflags
  local start=$SECONDS
  (cd "$here/$1" && go build -trimpath -ldflags "-s -w $4" -o "$bin.partial/$2" "$3")
  echo "built $2 in $((SECONDS - start)) s" >&2
}
build kube kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$kube_version"
build kube kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$kube_version"
build kube kubectl k8s.io/kubernetes/cmd/kubectl "$kube_version"
build etcd etcd ./cmd/etcd ""
build helm helm helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$helm"

rm -rf "$root/crds.partial" && mkdir -p "$root/crds.partial"
for source in "${CRD_SOURCES[@]}"; do
  read -r module version files <<<"$source"
  dir="$(cd "$(mktemp -d)" && GOFLAGS= go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  for file in $files; do cp "$dir/$file" "$root/crds.partial/"; done
done

rm -rf "$bin" "$root/crds"
mv "$bin.partial" "$bin"
mv "$root/crds.partial" "$root/crds"
echo "$bin"
