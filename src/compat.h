/*
 * compat.h - the first include of every strata source file: feature macros
 * and the standard headers nearly every file needs.
 */
#ifndef STRATA_COMPAT_H
#define STRATA_COMPAT_H

#define _GNU_SOURCE 1

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

#define STRATA_VERSION "0.1.0"

#endif
