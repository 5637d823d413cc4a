#!/bin/sh
# A getter/v1 subprocess plugin: get.sh CERT KEY CA URL; the content goes to stdout.
if [ -n "$SH_GETTER_LOG" ]; then
  printf 'cert=%s key=%s ca=%s url=%s user=%s all=%s\n' "$1" "$2" "$3" "$4" \
    "$HELM_PLUGIN_USERNAME" "$HELM_PLUGIN_PASS_CREDENTIALS_ALL" >> "$SH_GETTER_LOG"
fi
file="${4#shget://charts/}"
case "$file" in
  */* | "") echo "sh-getter: bad URL $4" >&2; exit 2 ;;
esac
if [ ! -f "$HELM_PLUGIN_DIR/charts/$file" ]; then
  echo "sh-getter: $4 not found" >&2
  exit 1
fi
cat "$HELM_PLUGIN_DIR/charts/$file"
