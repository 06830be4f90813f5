/* mount(2) and umount2(MNT_DETACH) for a container's overlay, which the CLI
 * mounts (lib/bundle/overlay.ts): starting mount(8) cost ~10 ms of each
 * launch. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <sys/mount.h>
#include "napi-args.h"
#include "mount.h"

/* mount(source, target, fstype, data): mount(2) with no flags, as
 * `mount -t fstype -o data source target` does. */
napi_value do_mount(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  static char source[256], target[4096], fstype[64], data[12288];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || arg_string(env, argv[0], source, sizeof source) || arg_string(env, argv[1], target, sizeof target)
      || arg_string(env, argv[2], fstype, sizeof fstype) || arg_string(env, argv[3], data, sizeof data)) {
    napi_throw_type_error(env, NULL, "mount: source, target, fstype and data must be strings of at most 255, 4095, 63 and 12287 bytes");
    return NULL;
  }
  if (mount(source, target, fstype, 0, data) != 0) return throw_errno(env, "mount", errno);
  return NULL;
}

/* umountDetach(target): umount2(target, MNT_DETACH), as `umount -l` does. */
napi_value umount_detach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  static char target[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || arg_string(env, argv[0], target, sizeof target)) {
    napi_throw_type_error(env, NULL, "umountDetach: target must be a string of at most 4095 bytes");
    return NULL;
  }
  if (umount2(target, MNT_DETACH) != 0) return throw_errno(env, "umount", errno);
  return NULL;
}
