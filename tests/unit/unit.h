/*
 * unit.h - what every cmocka unit test includes.
 */
#ifndef STRATA_UNIT_H
#define STRATA_UNIT_H

#include "compat.h"
#include <setjmp.h>
#include <cmocka.h>

#define RUN_TESTS(t) \
	(cmocka_set_message_output(CM_OUTPUT_TAP), cmocka_run_group_tests(t, NULL, NULL))

#endif
