#!/bin/bash
# demo.sh STRATA - start a throwaway PostgreSQL, run strata on the example
# project (examples/minegnk), stop it. Called by 'make demo'.
set -eu

strata=${1:?usage: demo.sh path/to/strata}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

dir=$(mktemp -d /tmp/strata-demo.XXXXXX)
work=$dir/project
cleanup() {
	"$here/pg-tmp.sh" stop "$dir/pg" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
chmod 755 "$dir"
mkdir -p "$dir/pg"

echo "== starting a throwaway PostgreSQL in $dir/pg"
url=$("$here/pg-tmp.sh" start "$dir/pg" | tail -n 1)
"$here/pg-tmp.sh" psql "$dir/pg" -q -c 'CREATE DATABASE minegnk' >/dev/null
url=$("$here/pg-tmp.sh" uri "$dir/pg" minegnk)

cp -r "$top/examples/minegnk" "$work"
cd "$work"
export DATABASE_URL=$url

run() {
	echo
	echo "\$ strata $*"
	"$strata" "$@"
}

run status
run up
run seed
run new add_user_avatar
f=$(ls migrations/*_add_user_avatar.up.sql)
echo "ALTER TABLE users ADD COLUMN avatar text;" >>"$f"
echo "ALTER TABLE users DROP COLUMN avatar;" >>"${f%.up.sql}.down.sql"
run up
run status
run history
run down -1
run redo
run up --dry-run
run up
run current
run status --json
echo
echo "== demo finished; stopping PostgreSQL"
