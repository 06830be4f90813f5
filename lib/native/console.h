/* console.h: unix sockets: the peer's uid, runc's console socket, a pty's size (console.c). */
#ifndef LRCTL_CONSOLE_H
#define LRCTL_CONSOLE_H
#include <node_api.h>

napi_value peer_uid(napi_env env, napi_callback_info info);
napi_value listen_unix(napi_env env, napi_callback_info info);
napi_value accept_recv_fd(napi_env env, napi_callback_info info);
napi_value set_winsize(napi_env env, napi_callback_info info);

#endif /* LRCTL_CONSOLE_H */
