{{/*
Names, labels and the per-service configuration every template shares.

A service's configuration is `serviceDefaults` deep-merged with its entry in `services`
(breakroom.enabledServices); the templates loop over the result, so adding a service is
one values block. Numbers from values arrive as float64: print them through `int`.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "breakroom.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else the release name when it
already contains the chart name, else "<release>-<chart>".
*/}}
{{- define "breakroom.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "breakroom.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "breakroom.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource of the release (context: the root). */}}
{{- define "breakroom.labels" -}}
helm.sh/chart: {{ include "breakroom.chart" . }}
app.kubernetes.io/name: {{ include "breakroom.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: breakroom
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one service's pods (context: dict root, name). */}}
{{- define "breakroom.selectorLabels" -}}
app.kubernetes.io/name: {{ include "breakroom.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Labels of one service's resources (context: dict root, name). */}}
{{- define "breakroom.serviceLabels" -}}
{{ include "breakroom.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Name of one service's resources: "<fullname>-<service>" (context: dict root, name). */}}
{{- define "breakroom.serviceName" -}}
{{- printf "%s-%s" (include "breakroom.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Deep-merges the map .src into the map .dst in place (maps merge key by key; anything
else, false and 0 included, replaces). Sprig's mergeOverwrite cannot be used: it skips
false and 0, so `autoscaling.enabled: false` would not override the default.
*/}}
{{- define "breakroom.mergeInto" -}}
{{- $dst := .dst }}
{{- range $key, $value := .src }}
{{- $current := index $dst $key }}
{{- if and (kindIs "map" $value) (kindIs "map" $current) }}
{{- $_ := include "breakroom.mergeInto" (dict "dst" $current "src" $value) }}
{{- else }}
{{- $_ := set $dst $key $value }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Fills .out with the enabled services: name -> serviceDefaults merged with the entry
(context: dict root, out). Usage:
  {{- $services := dict }}{{- include "breakroom.enabledServices" (dict "root" $ "out" $services) }}
*/}}
{{- define "breakroom.enabledServices" -}}
{{- range $name, $entry := .root.Values.services }}
{{- $svc := deepCopy $.root.Values.serviceDefaults }}
{{- $_ := include "breakroom.mergeInto" (dict "dst" $svc "src" (default dict $entry)) }}
{{- if $svc.enabled }}
{{- $_ := set $.out $name $svc }}
{{- end }}
{{- end }}
{{- end }}

{{/* A service's image reference (context: dict root, name, svc). */}}
{{- define "breakroom.image" -}}
{{- $image := .root.Values.image }}
{{- $repository := printf "%s/%s" $image.repositoryPrefix (default .name .svc.imageName) | trimPrefix "/" }}
{{- if $image.registry }}
{{- $repository = printf "%s/%s" $image.registry $repository }}
{{- end }}
{{- printf "%s:%s" $repository (default (default .root.Chart.AppVersion $image.tag) .svc.imageTag) }}
{{- end }}

{{/* Name of the Secret holding the values the chart generates. */}}
{{- define "breakroom.generatedSecretName" -}}
{{- printf "%s-generated" (include "breakroom.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The secretKeyRef of one entry of `secrets` as YAML (name, key), or "" when the entry is
optional and not given (context: dict root, entry).
*/}}
{{- define "breakroom.secretRef" -}}
{{- $secret := index .root.Values.secrets .entry }}
{{- if not $secret }}
{{- fail (printf "secretEnv refers to secrets.%s, which is not defined" .entry) }}
{{- end }}
{{- if $secret.existingSecret }}
name: {{ $secret.existingSecret | quote }}
key: {{ $secret.key | quote }}
{{- else if ne $secret.generate "none" }}
name: {{ include "breakroom.generatedSecretName" .root }}
key: {{ $secret.key | quote }}
{{- else if not $secret.optional }}
{{- required (printf "secrets.%s.existingSecret is required: this value cannot be generated (generate: none)" .entry) "" }}
{{- end }}
{{- end }}

{{/* The NATS URL the services use. */}}
{{- define "breakroom.natsUrl" -}}
{{- if .Values.nats.enabled }}
{{- $nats := .Values.nats }}
{{- $name := "" }}
{{- if $nats.fullnameOverride }}
{{- $name = $nats.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $chart := default "nats" $nats.nameOverride }}
{{- if contains $chart .Release.Name }}
{{- $name = .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name = printf "%s-%s" .Release.Name $chart | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- printf "nats://%s.%s.svc:%d" $name .Release.Namespace (include "breakroom.bundledNatsPort" . | int) }}
{{- else }}
{{- required "externalNats.url is required when nats.enabled is false (the NATS server with JetStream the services use)" .Values.externalNats.url }}
{{- end }}
{{- end }}

{{/* The client port of the bundled NATS (the subchart's config.nats.port). */}}
{{- define "breakroom.bundledNatsPort" -}}
{{- dig "config" "nats" "port" 4222 .Values.nats | int }}
{{- end }}

{{/* BREAKROOM_STREAM_REPLICAS: the value, or 3 (at most the cluster size) on the bundled cluster, else 1. */}}
{{- define "breakroom.streamReplicas" -}}
{{- $replicas := .Values.eventStore.streamReplicas | int }}
{{- if eq $replicas 0 }}
{{- $replicas = 1 }}
{{- $cluster := .Values.nats.config.cluster }}
{{- if and .Values.nats.enabled $cluster.enabled }}
{{- $replicas = min 3 ($cluster.replicas | int) }}
{{- end }}
{{- end }}
{{- $replicas }}
{{- end }}

{{/*
The TCP ports of URLs (comma-separated, to be safe), one per line, with a default port
for URLs that name none (context: dict urls, default).
*/}}
{{- define "breakroom.urlPorts" -}}
{{- range $url := splitList "," .urls }}
{{- $url = trim $url }}
{{- if $url }}
{{- $host := (urlParse $url).host }}
{{- if regexMatch ":[0-9]+$" $host }}
{{ regexFind "[0-9]+$" $host }}
{{- else }}
{{ $.default }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Whether a service talks to the Kubernetes API ("true" or ""): Leases, or RBAC rules of its own. */}}
{{- define "breakroom.usesKubernetesApi" -}}
{{- $svc := .svc }}
{{- if or (and $svc.eventSourced (eq .root.Values.eventStore.leaseBackend "kubernetes")) $svc.rbac.leases $svc.rbac.rules $svc.rbac.clusterRules }}true{{ end }}
{{- end }}

{{/* The handler of a probe: grpc, tcpSocket or httpGet (context: dict probe, svc, name). */}}
{{- define "breakroom.probeAction" -}}
{{- $port := default .svc.grpcPort .probe.port | int }}
{{- if not $port }}
{{- fail (printf "services.%s.probes: a %s probe needs a port (grpcPort or probes.*.port)" .name .probe.type) }}
{{- end }}
{{- if eq .probe.type "grpc" }}
grpc:
  port: {{ $port }}
  {{- with .probe.grpcService }}
  service: {{ . | quote }}
  {{- end }}
{{- else if eq .probe.type "tcpSocket" }}
tcpSocket:
  port: {{ $port }}
{{- else if eq .probe.type "httpGet" }}
httpGet:
  path: {{ required (printf "services.%s.probes: an httpGet probe needs httpPath" .name) .probe.httpPath }}
  port: {{ $port }}
{{- else }}
{{- fail (printf "services.%s.probes: unknown probe type %q" .name .probe.type) }}
{{- end }}
{{- end }}

{{/*
The entries of `secrets` the chart generates, one per line: those an enabled service
reads (secretEnv) without an existingSecret and with a `generate` kind.
*/}}
{{- define "breakroom.generatedEntries" -}}
{{- $services := dict }}
{{- include "breakroom.enabledServices" (dict "root" . "out" $services) }}
{{- $used := list }}
{{- range $svc := $services }}
{{- range $ref := $svc.secretEnv }}
{{- if kindIs "string" $ref }}
{{- $used = append $used $ref }}
{{- end }}
{{- end }}
{{- end }}
{{- range $entry, $secret := .Values.secrets }}
{{- if and (has $entry $used) (not $secret.existingSecret) (ne $secret.generate "none") }}
{{ $entry }}
{{- end }}
{{- end }}
{{- end }}
