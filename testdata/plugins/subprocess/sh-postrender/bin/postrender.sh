#!/bin/sh
# A postrenderer/v1 subprocess plugin: manifests in on stdin, out on stdout.
cat
cat <<YAML
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: post-rendered
data:
  plugin: "$HELM_PLUGIN_NAME"
  args: "$*"
YAML
