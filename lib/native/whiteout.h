/* whiteout.h: overlay whiteouts and extended attributes (whiteout.c). */
#ifndef LRCTL_WHITEOUT_H
#define LRCTL_WHITEOUT_H
#include <node_api.h>

napi_value make_whiteout(napi_env env, napi_callback_info info);
napi_value set_xattr(napi_env env, napi_callback_info info);
napi_value get_xattr(napi_env env, napi_callback_info info);

#endif /* LRCTL_WHITEOUT_H */
