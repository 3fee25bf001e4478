#!/bin/sh
# run-test.sh FILE - how prove runs a test: shell scripts with bash,
# compiled unit tests directly.
case "$1" in
*.sh) exec bash "$1" ;;
*) exec "$1" ;;
esac
