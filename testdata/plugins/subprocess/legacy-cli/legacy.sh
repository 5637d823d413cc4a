#!/bin/sh
echo "legacy args: $*"
echo "legacy name=$HELM_PLUGIN_NAME"
