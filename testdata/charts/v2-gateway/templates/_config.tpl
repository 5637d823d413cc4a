{{- define "gateway.nginxConf" -}}
worker_processes auto;
events { worker_connections 1024; }
http {
{{- range $name, $u := .Values.upstreams }}
  upstream {{ $name }} {
  {{- range $u.servers }}
    server {{ tpl . $ }};
  {{- end }}
  {{- with $u.keepalive }}
    keepalive {{ . }};
  {{- end }}
  }
{{- end }}
  server {
    listen 8080;
{{ tpl .Values.extraConfig . | indent 4 }}
  {{- range .Values.locations }}
    location {{ .path }} {
      proxy_pass http://{{ .upstream }};
    }
  {{- end }}
  }
}
{{- end }}
