{{/* The three services: values key, name, port, command. Templates range over this list. */}}
{{- define "airlock.services" -}}
- { key: authServer, name: auth-server, port: 3000, main: apps/auth-server/dist/main.js, grace: 30 }
- { key: sessionStore, name: session-store, port: 3002, main: apps/session-store/dist/main.js, grace: 30 }
- { key: mcpGateway, name: mcp-gateway, port: 3001, main: apps/mcp-gateway/dist/main.js, grace: 45 }
{{- end -}}

{{- define "airlock.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "airlock.labels" -}}
app.kubernetes.io/part-of: airlock
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "airlock.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: ["ALL"] }
{{- end -}}
