{{/*
Names are fixed, as in deploy/: kube-hygiene runs once per cluster (its webhooks judge every
namespace), and the server finds its Service, Secret, Lease and webhook configurations by these
names. The namespace is the release's.
*/}}

{{/* The labels deploy/ gives every object, and Helm's own. */}}
{{- define "kube-hygiene.labels" -}}
app.kubernetes.io/part-of: kube-hygiene
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The same, on the objects deploy/ also labels with the app's name. */}}
{{- define "kube-hygiene.appLabels" -}}
app.kubernetes.io/name: kube-hygiene
{{ include "kube-hygiene.labels" . }}
{{- end }}

{{/*
The policy file: policy.inline, or policies/default.yaml (files/policy.yaml, copied by
`npm run chart:files`). Either way its mode is the chart's, as the webhooks' failure policies are.
*/}}
{{- define "kube-hygiene.policy" -}}
{{- $mode := .Values.mode }}
{{- with .Values.policy.inline }}
{{- $policy := fromYaml . }}
{{- if hasKey $policy "Error" }}
{{- fail (printf "policy.inline must be a YAML mapping (a policy file): %s" $policy.Error) }}
{{- end }}
{{- if not (hasKey $policy "mode") }}
{{- printf "%s\nmode: %s\n" (trimSuffix "\n" .) $mode }}
{{- else if ne (toString $policy.mode) $mode }}
{{- fail (printf "policy.inline has mode: %v but the chart's mode is %s: they must agree (mode also sets the webhooks' failure policies); drop mode from the policy, or set mode=%v" $policy.mode $mode $policy.mode) }}
{{- else }}
{{- . }}
{{- end }}
{{- else }}
{{- regexReplaceAll "(?m)^mode: enforce$" ($.Files.Get "files/policy.yaml") (printf "mode: %s" $mode) }}
{{- end }}
{{- end }}

{{/* The Secret the server serves from, for cert-manager and provided certificates. */}}
{{- define "kube-hygiene.tlsSecret" -}}
{{- if eq .Values.certificates.source "provided" }}
{{- .Values.certificates.provided.existingSecret | default "kube-hygiene-tls" }}
{{- else }}kube-hygiene-tls
{{- end }}
{{- end }}

{{/* What the schema cannot say: settings that exclude or need each other. */}}
{{- define "kube-hygiene.validate" -}}
{{- if and .Values.policy.inline .Values.policy.existingConfigMap }}
{{- fail "policy: set inline or existingConfigMap, not both" }}
{{- end }}
{{- if and .Values.strictPlacement (ne .Values.mode "enforce") }}
{{- fail "strictPlacement needs mode enforce: in audit nothing waits for kube-hygiene" }}
{{- end }}
{{- if eq .Values.certificates.source "provided" }}
{{- with .Values.certificates.provided }}
{{- if not .caBundle }}
{{- fail "certificates.provided.caBundle: the PEM of the CA that signed the serving certificate (certs-scripts' ca-bundle.crt), for the webhooks' caBundle" }}
{{- end }}
{{- if .existingSecret }}
{{- if or .cert .key }}
{{- fail "certificates.provided: set cert and key, or existingSecret, not both" }}
{{- end }}
{{- else if not (and .cert .key) }}
{{- fail "certificates.provided: set cert and key (PEM; the chart writes the Secret kube-hygiene-tls), or existingSecret (a kubernetes.io/tls Secret you keep)" }}
{{- end }}
{{- end }}
{{- else if or .Values.certificates.provided.caBundle .Values.certificates.provided.cert .Values.certificates.provided.key .Values.certificates.provided.existingSecret }}
{{- fail (printf "certificates.provided is read only with certificates.source=provided (it is %s)" .Values.certificates.source) }}
{{- end }}
{{- end }}
