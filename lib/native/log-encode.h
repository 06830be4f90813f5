/* log-encode.h: encoding output into CRI log entries (log-encode.c). */
#ifndef LRCTL_LOG_ENCODE_H
#define LRCTL_LOG_ENCODE_H
#include <node_api.h>

napi_value encode_entries(napi_env env, napi_callback_info info);

#endif /* LRCTL_LOG_ENCODE_H */
