/* napi-args.h: argument checks, results and errno-named errors (napi-args.c). */
#ifndef LRCTL_NAPI_ARGS_H
#define LRCTL_NAPI_ARGS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

napi_value throw_errno(napi_env env, const char *what, int err);
int value_int(napi_env env, napi_value v, int32_t *out);
int arg_int(napi_env env, napi_callback_info info, size_t n, int32_t *out);
int arg_fd(napi_env env, napi_callback_info info, size_t n, int32_t *out);
int arg_string(napi_env env, napi_value v, char *out, size_t size);
int arg_heap_string(napi_env env, napi_value v, size_t *budget, char **out);
void free_strings(char **v, uint32_t n);

#endif /* LRCTL_NAPI_ARGS_H */
