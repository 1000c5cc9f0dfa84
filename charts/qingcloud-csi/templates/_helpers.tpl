{{/* Chart name, truncated to a DNS label. */}}
{{- define "qingcloud-csi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of the chart's object names: the release name, plus the chart name unless the release already has it. */}}
{{- define "qingcloud-csi.fullname" -}}
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
{{- define "qingcloud-csi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "qingcloud-csi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "controller"). */}}
{{- define "qingcloud-csi.selectorLabels" -}}
app.kubernetes.io/name: {{ include "qingcloud-csi.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference from {repository, tag, digest}: digest wins, then tag, then `default` (the appVersion for ours). */}}
{{- define "qingcloud-csi.image" -}}
{{- $repo := required "every image needs a repository" .image.repository -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repo .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (toString (required (printf "image %s needs a tag" $repo) (default .default .image.tag))) -}}
{{- end -}}
{{- end -}}

{{/* The driver's own image. */}}
{{- define "qingcloud-csi.driverImage" -}}
{{- include "qingcloud-csi.image" (dict "image" .Values.image "default" .Chart.AppVersion) -}}
{{- end -}}

{{/* Secret holding config.yaml (the SDK config). */}}
{{- define "qingcloud-csi.configSecret" -}}
{{- default (printf "%s-config" (include "qingcloud-csi.fullname" .)) .Values.qingcloud.existingSecret -}}
{{- end -}}

{{/* Where the driver's socket lives inside every pod of the chart (an emptyDir or the node's plugin directory). */}}
{{- define "qingcloud-csi.socketDir" -}}/csi{{- end -}}
{{- define "qingcloud-csi.socketPath" -}}{{ include "qingcloud-csi.socketDir" . }}/csi.sock{{- end -}}

{{/* Host directory of the node plugin's socket: kubelet dials <kubeletDir>/plugins/<driver>/csi.sock. */}}
{{- define "qingcloud-csi.nodePluginDir" -}}
{{- printf "%s/plugins/%s" (trimSuffix "/" .Values.node.kubeletDir) .Values.driverName -}}
{{- end -}}
