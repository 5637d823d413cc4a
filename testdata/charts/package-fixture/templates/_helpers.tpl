{{- define "fixture.name" -}}{{ .Chart.Name }}{{- end -}}
