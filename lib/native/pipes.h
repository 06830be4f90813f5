/* pipes.h: anonymous pipes and their capacity (pipes.c). */
#ifndef LRCTL_PIPES_H
#define LRCTL_PIPES_H
#include <node_api.h>

napi_value make_pipe(napi_env env, napi_callback_info info);
napi_value get_pipe_size(napi_env env, napi_callback_info info);
napi_value set_pipe_size(napi_env env, napi_callback_info info);

#endif /* LRCTL_PIPES_H */
