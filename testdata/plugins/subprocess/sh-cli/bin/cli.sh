#!/bin/sh
# A cli/v1 subprocess plugin: shows what the host gave it.
if [ "$2" = "stdin" ]; then
  cat
  exit 0
fi
if [ "$2" = "self" ]; then
  exec "$HELM_BIN" plugin list
fi
echo "args: $*"
echo "name=$HELM_PLUGIN_NAME"
echo "dir=$HELM_PLUGIN_DIR"
echo "bin=$HELM_BIN"
echo "namespace=$HELM_NAMESPACE"
echo "debug=$HELM_DEBUG"
echo "token=$SH_CLI_TEST_TOKEN"
if [ -n "$SH_CLI_EXIT" ]; then
  echo "exiting with $SH_CLI_EXIT" >&2
  exit "$SH_CLI_EXIT"
fi
