/* process.h: this process and its children: subreaper, waitpid, malloc_trim, close-on-exec, execve (process.c). */
#ifndef LRCTL_PROCESS_H
#define LRCTL_PROCESS_H
#include <node_api.h>

napi_value set_child_subreaper(napi_env env, napi_callback_info info);
napi_value trim_malloc(napi_env env, napi_callback_info info);
napi_value wait_pid(napi_env env, napi_callback_info info);
napi_value set_cloexec(napi_env env, napi_callback_info info);
napi_value exec_ve(napi_env env, napi_callback_info info);

#endif /* LRCTL_PROCESS_H */
