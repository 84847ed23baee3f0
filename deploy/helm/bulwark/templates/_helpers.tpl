{{/* Labels of every object: the name (what every selector uses) and the user's commonLabels. */}}
{{- define "bulwark.labels" -}}
app.kubernetes.io/name: bulwark
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* labels, and annotations when commonAnnotations has any, for an object's metadata. */}}
{{- define "bulwark.metadata" -}}
labels:
  {{- include "bulwark.labels" . | nindent 2 }}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The port of a bind address (":8443", "0.0.0.0:8443"). */}}
{{- define "bulwark.port" -}}
{{ splitList ":" . | last }}
{{- end }}

{{/* The image reference: repository@digest when a digest is given, else repository:tag (the
chart's appVersion when the tag is empty). */}}
{{- define "bulwark.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* The operator's configuration file: config from the values, with leader election on when
more than one replica runs (unless set either way). admission.failurePolicy and timeoutSeconds go
into the ValidatingWebhookConfiguration only: the operator then keeps what the cluster says, so an
admin's kubectl change stays until the next helm upgrade (config/bulwark.yaml). */}}
{{- define "bulwark.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := unset $config.admission "failurePolicy" -}}
{{- $_ := unset $config.admission "timeoutSeconds" -}}
{{- if kindIs "invalid" $config.leaderElection.enabled -}}
{{- $_ := set $config.leaderElection "enabled" (gt (int .Values.replicas) 1) -}}
{{- end -}}
{{ toYaml $config }}
{{- end }}

{{/* The namespaces Bulwark never acts in: config.neverTouchNamespaces and its own, as a list. The
operator adds its own namespace at start too; the webhook's namespaceSelector and the admission
fence (admission-policy.yaml) are rendered from this one list. */}}
{{- define "bulwark.neverTouch" -}}
{{- $list := concat (list .Release.Namespace) .Values.config.neverTouchNamespaces | uniq -}}
{{ join "," $list }}
{{- end }}
