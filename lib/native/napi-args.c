/* Argument checking and results for the addon's functions: whole numbers
 * only (NaN is never fd 0), strings copied whole or bounded, and errors that
 * carry errno's own name, like Node's fs errors. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "napi-args.h"

/* Throws an Error whose code is the errno name (strerrorname_np, glibc
 * 2.32+), like Node's own fs errors; "E<number>" for one glibc cannot name. */
napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[512];
  char unnamed[16];
  const char *code = strerrorname_np(err);
  if (code == NULL) {
    snprintf(unnamed, sizeof unnamed, "E%d", err);
    code = unnamed;
  }
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

/* A whole number in int32's range: NaN, Infinity, 1.5 and non-numbers are
 * refused (napi_get_value_int32 would turn NaN into 0, which is stdin). */
int value_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (!isfinite(d) || d != trunc(d) || d < INT32_MIN || d > INT32_MAX) return -1;
  *out = (int32_t)d;
  return 0;
}

int arg_int(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n + 1) return -1;
  return value_int(env, argv[n], out);
}

/* An fd argument: a whole number >= 0. */
int arg_fd(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  return arg_int(env, info, n, out) != 0 || *out < 0 ? -1 : 0;
}

/* A string argument of at most `size` bytes (with its NUL) into `out`; -1 if
 * it is missing, not a string, or too long. */
int arg_string(napi_env env, napi_value v, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, size, &len) != napi_ok) return -1;
  return len >= size - 1 ? -1 : 0;
}

/* A string argument copied to the heap at its full length into `*out`
 * (free() it), charged against `*budget` bytes (execve's ARG_MAX). 0, or
 * EINVAL (not a string, or it holds a NUL), E2BIG (past the budget), ENOMEM. */
int arg_heap_string(napi_env env, napi_value v, size_t *budget, char **out) {
  size_t len;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return EINVAL;
  if (len >= *budget) return E2BIG;
  char *s = malloc(len + 1);
  if (s == NULL) return ENOMEM;
  size_t got;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &got) != napi_ok || got != len || strlen(s) != len) {
    free(s);
    return EINVAL;
  }
  *budget -= len + 1;
  *out = s;
  return 0;
}

void free_strings(char **v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(v[i]);
}
