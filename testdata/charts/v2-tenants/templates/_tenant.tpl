{{/* tenant.validate fails on invalid tenant definitions. */}}
{{- define "tenants.validate" -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]{1,30}$" .name) }}
{{- fail (printf "tenant name %q must be a DNS label of 2-31 characters" .name) }}
{{- end }}
{{- if empty .tenant.owners }}
{{- fail (printf "tenant %s: at least one owner is required" .name) }}
{{- end }}
{{- end }}

{{- define "tenants.nsLabels" -}}
{{- $labels := dict "tenant" .name "app.kubernetes.io/managed-by" .root.Release.Service -}}
{{- $labels = merge $labels (default (dict) .tenant.labels) -}}
{{- toYaml $labels -}}
{{- end }}
