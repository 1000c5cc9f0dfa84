{{/* Chart name, truncated to a DNS label. */}}
{{- define "hostnic.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of the chart's object names: the release name, plus the chart name unless the release already has it. */}}
{{- define "hostnic.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "hostnic.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hostnic.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hostnic.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hostnic.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node
{{- end -}}

{{- define "hostnic.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString (default .Chart.AppVersion .Values.image.tag)) -}}
{{- end -}}
{{- end -}}

{{- define "hostnic.serviceAccountName" -}}
{{- default (include "hostnic.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "hostnic.configSecret" -}}
{{- default (printf "%s-qingcloud" (include "hostnic.fullname" .)) .Values.qingcloud.existingSecret -}}
{{- end -}}

{{/* The daemon's config file (hostnic.yaml). Paths of the credentials and instance id are where the pod mounts them. */}}
{{- define "hostnic.daemonConfig" -}}
{{- $c := .Values.config -}}
{{- $vxnets := required "config.vxnets is required: list the vxnet ids pod NICs are created in, e.g. [vxnet-abc12345]" $c.vxnets -}}
{{- if not $vxnets -}}
{{- fail "config.vxnets is required: list the vxnet ids pod NICs are created in, e.g. [vxnet-abc12345]" -}}
{{- end -}}
{{- if gt (add (int $c.maxPods) (int $c.pool.low)) 63 -}}
{{- fail (printf "config.maxPods (%d) plus config.pool.low (%d) exceed the 63 secondary NICs a QingCloud instance holds; lower one of them" (int $c.maxPods) (int $c.pool.low)) -}}
{{- end -}}
{{- $cfg := dict
      "qingcloudConfig" "/etc/qingcloud/config.yaml"
      "instanceIdFile" "/etc/qingcloud/instance-id"
      "vxnets" $vxnets
      "pool" $c.pool
      "maxPods" $c.maxPods
      "socket" $c.socket
      "stateDir" $c.stateDir
      "serviceCIDR" $c.serviceCIDR
      "logLevel" $c.logLevel
      "orphanAgeSeconds" $c.orphanAgeSeconds -}}
{{- if .Values.metrics.enabled -}}
{{- $_ := set $cfg "metricsAddress" (printf "%s:%d" .Values.metrics.host (int .Values.metrics.port)) -}}
{{- end -}}
{{- if $c.hostNetns -}}
{{- $_ := set $cfg "hostNetns" $c.hostNetns -}}
{{- end -}}
{{- if $c.apiRate -}}
{{- $_ := set $cfg "apiRate" $c.apiRate -}}
{{- end -}}
{{- if $c.apiBurst -}}
{{- $_ := set $cfg "apiBurst" $c.apiBurst -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The CNI network configuration list (JSON) installed into the host's CNI config directory. */}}
{{- define "hostnic.conflist" -}}
{{- $hostnic := dict "type" "hostnic" "socket" .Values.config.socket "serviceCIDR" .Values.config.serviceCIDR -}}
{{- if .Values.cni.debug -}}
{{- $_ := set $hostnic "debug" true -}}
{{- end -}}
{{- $plugins := list $hostnic -}}
{{- if .Values.cni.portmap -}}
{{- $plugins = append $plugins (dict "type" "portmap" "capabilities" (dict "portMappings" true)) -}}
{{- end -}}
{{- toPrettyJson (dict "cniVersion" .Values.cni.cniVersion "name" .Values.cni.networkName "plugins" $plugins) -}}
{{- end -}}
