/* mount.h: mount(2) and umount2 for the overlay (mount.c). */
#ifndef LRCTL_MOUNT_H
#define LRCTL_MOUNT_H
#include <node_api.h>

napi_value do_mount(napi_env env, napi_callback_info info);
napi_value umount_detach(napi_env env, napi_callback_info info);

#endif /* LRCTL_MOUNT_H */
