{{/*
common.resources renders a resources block; accepts a preset name or an explicit map.
Usage: {{ include "common.resources" (dict "preset" "small" "resources" .Values.resources) }}
*/}}
{{- define "common.resources" -}}
{{- $presets := dict
  "nano" (dict "requests" (dict "cpu" "50m" "memory" "64Mi") "limits" (dict "memory" "128Mi"))
  "small" (dict "requests" (dict "cpu" "250m" "memory" "256Mi") "limits" (dict "memory" "512Mi"))
-}}
{{- if .resources }}
{{- toYaml .resources }}
{{- else if hasKey $presets (default "" .preset) }}
{{- toYaml (get $presets .preset) }}
{{- else }}
{}
{{- end }}
{{- end }}

{{/* common.image: registry/repository:tag, with a global registry override. */}}
{{- define "common.image" -}}
{{- $registry := .image.registry -}}
{{- if and .global .global.imageRegistry }}{{ $registry = .global.imageRegistry }}{{ end -}}
{{- $tag := .image.tag | default .appVersion | toString -}}
{{- if .image.digest -}}
{{- printf "%s/%s@%s" $registry .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry .image.repository $tag -}}
{{- end -}}
{{- end }}

{{/* common.tplvalues renders a value that may contain a template. */}}
{{- define "common.tplvalues" -}}
{{- if typeIs "string" .value }}
{{- tpl .value .context }}
{{- else }}
{{- tpl (toYaml .value) .context }}
{{- end }}
{{- end }}
