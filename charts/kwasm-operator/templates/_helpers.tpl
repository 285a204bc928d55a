{{/* Names and labels shared by every template. */}}

{{- define "kwasm-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name when it already contains the chart name, else release-chart. */}}
{{- define "kwasm-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kwasm-operator.serviceAccountName" -}}
{{- default (include "kwasm-operator.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "kwasm-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kwasm-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kwasm-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kwasm-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: kwasm
{{- end -}}

{{/*
An image reference from {repository, tag, digest}: repository@digest when a digest is given
(pinned), else repository:tag, with the tag defaulting to the chart's appVersion (never a
floating tag). Call with (dict "image" .Values.image "root" $).
*/}}
{{- define "kwasm-operator.imageRef" -}}
{{- $image := .image -}}
{{- if has (lower (toString $image.tag)) (list "latest" "main" "master" "edge" "nightly" "dev") -}}
{{- fail (printf "image tag %q of %s is a floating tag: use a version tag or a digest (a moving tag never re-provisions nodes)" $image.tag $image.repository) -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "kwasm-operator.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) -}}true{{- end -}}
{{- end -}}

{{/*
Operator flags shared by `run` (the Deployment) and `cleanup` (the pre-delete hook), exactly as
named in docs/design/contracts.md. One YAML list item per flag, `--flag=value` form.
*/}}
{{- define "kwasm-operator.commonArgs" -}}
- --installer-image={{ include "kwasm-operator.imageRef" (dict "image" .Values.installer.image "root" .) }}
- --installer-image-pull-policy={{ .Values.installer.image.pullPolicy }}
{{- range .Values.imagePullSecrets }}
- --image-pull-secret={{ .name }}
{{- end }}
- --runtimes={{ join "," .Values.provisioning.runtimes }}
- --max-parallel={{ int .Values.provisioning.maxParallel }}
- --restart-strategy={{ .Values.provisioning.restartStrategy }}
- --job-active-deadline={{ int .Values.installer.job.activeDeadlineSeconds }}
- --job-ttl={{ int .Values.installer.job.ttlSecondsAfterFinished }}
- --job-backoff-limit={{ int .Values.installer.job.backoffLimit }}
- --job-priority-class={{ .Values.installer.job.priorityClassName }}
- {{ printf "--installer-resources=%s" (toJson .Values.installer.resources) | quote }}
- --log-format={{ .Values.logging.format }}
- --log-level={{ .Values.logging.level }}
- --lease-name={{ include "kwasm-operator.leaseName" . }}
{{- end -}}

{{/* Pod and container security settings of the operator and the cleanup hook. */}}
{{- define "kwasm-operator.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "kwasm-operator.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{- define "kwasm-operator.operatorEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end -}}

{{/* The RuntimeClass (handler) name of the first enabled runtime, for NOTES.txt. */}}
{{- define "kwasm-operator.firstHandler" -}}
{{- $first := first .Values.provisioning.runtimes -}}
{{- if eq $first "crun-wasmedge" }}crun{{ else }}{{ $first }}{{ end -}}
{{- end -}}

{{/*
RBAC rules: exactly what the operator calls (Tests/chart/expected_rbac.json). Shared by the
operator's ClusterRole/Role and the cleanup hook's own ClusterRole/Role.
*/}}
{{- define "kwasm-operator.clusterRules" -}}
# Watch nodes; merge-patch only our label (kwasm.sh/kwasm-provisioned). Never update/PUT, never get
# (everything is read from the watch cache).
- apiGroups: [""]
  resources: [nodes]
  verbs: [list, watch, patch]
# One RuntimeClass per enabled runtime: server-side apply (patch; create when it does not exist
# yet), removed when the runtime is disabled or on cleanup.
- apiGroups: [node.k8s.io]
  resources: [runtimeclasses]
  verbs: [list, watch, create, patch, delete]
# One WasmNodeStatus per selected node (metadata by merge patch, status by update).
- apiGroups: [kwasm.sh]
  resources: [wasmnodestatuses]
  verbs: [list, watch, create, patch, delete]
- apiGroups: [kwasm.sh]
  resources: [wasmnodestatuses/status]
  verbs: [update]
# Events about Nodes (cluster-scoped objects: their events land in the "default" namespace);
# patch updates the count of a repeated event.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{- define "kwasm-operator.namespacedRules" -}}
# One installer Job per (node, operation); finished Jobs are deleted.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [list, watch, create, delete]
# The installer's JSON report is the Job pod's termination message.
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
# Leader election (--leader-elect) and the cleanup pause Lease <lease-name>-cleanup: read and
# renewed by name only (RBAC cannot limit create by name); cleanup deletes a pause Lease it had
# to create itself (post-delete hook, plain manifests).
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [{{ include "kwasm-operator.leaseName" . }}, {{ include "kwasm-operator.leaseName" . }}-cleanup]
  verbs: [get, update, delete]
{{- end -}}

{{/* The leader-election Lease; the RBAC above names it, so both flags and rules use this. */}}
{{- define "kwasm-operator.leaseName" -}}kwasm-operator{{- end -}}

{{- define "kwasm-operator.cleanupName" -}}
{{- include "kwasm-operator.fullname" . | trunc 55 | trimSuffix "-" -}}-cleanup
{{- end -}}

{{/* Annotations of the cleanup hook's objects; weight orders RBAC (-10) before the Job (0). */}}
{{- define "kwasm-operator.cleanupHookAnnotations" -}}
helm.sh/hook: {{ .Values.cleanup.hook }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
