#!/bin/bash
test_description='--version, help, --help of every command, usage errors'
. "$(dirname "$0")/../test-lib.sh"

commands='new up down redo seed status current history dump stamp adopt validate resolve create drop wait backup restore dev help'
aliases='add revision upgrade run downgrade revert info show'

test_expect_success '--version prints a version and exits 0' '
	strata --version >out 2>err &&
	test_grep -E "strata.*[0-9]+\.[0-9]+" out
'

test_expect_success 'help lists the commands' '
	strata help >out 2>err &&
	for c in new up down redo seed status current history dump stamp adopt validate resolve create drop wait backup restore dev; do
		test_grep -w "$c" out || return 1
	done
'

test_expect_success '-h and --help exit 0 and print usage' '
	strata --help >out1 2>&1 &&
	strata -h >out2 2>&1 &&
	test_grep -i "usage" out1 &&
	test_grep -i "usage" out2
'

test_expect_success 'help up describes up' '
	strata help up >out 2>&1 &&
	test_grep -w "up" out &&
	test_grep -i -e "TARGET" -e "head" out &&
	test_grep -e "--dry-run" out
'

for c in $commands $aliases; do
	test_expect_success "$c --help exits 0 and prints something" '
		strata '"$c"' --help >out 2>&1 &&
		test -s out
	'
	test_expect_success "help $c exits 0" '
		strata help '"$c"' >out 2>&1 &&
		test -s out
	'
done

test_expect_success 'an unknown command exits 2 and names it' '
	test_expect_code 2 strata frobnicate >out 2>err &&
	test_grep frobnicate err
'

test_expect_success 'an unknown global flag exits 2' '
	test_expect_code 2 strata --no-such-flag status >out 2>err &&
	test_grep -e "--no-such-flag" err
'

test_expect_success 'an unknown command flag exits 2' '
	test_expect_code 2 strata up --no-such-flag >out 2>err &&
	test_grep -e "--no-such-flag" err
'

test_expect_success 'help of an unknown command exits 2' '
	test_expect_code 2 strata help frobnicate >out 2>err
'

test_expect_success 'a flag that needs a value and has none exits 2' '
	test_expect_code 2 strata status --lock-timeout >out 2>err
'

test_expect_success 'a bad duration exits 2' '
	test_expect_code 2 strata --lock-timeout 5parsecs status >out 2>err
'

test_done
