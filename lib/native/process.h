/* process.h: execve in place and close-on-exec (process.c). */
#ifndef LRCTL_PROCESS_H
#define LRCTL_PROCESS_H
#include <node_api.h>

napi_value set_cloexec(napi_env env, napi_callback_info info);
napi_value exec_ve(napi_env env, napi_callback_info info);

#endif /* LRCTL_PROCESS_H */
