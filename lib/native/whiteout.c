/* The overlay's marks in an image layer or a container's upper dir: a
 * whiteout (a 0/0 character device: "this name is deleted") and extended
 * attributes such as trusted.overlay.opaque ("this folder hides the layers
 * below"), which Node.js cannot make or read. Never through a symlink: the
 * last component is not followed (mknod does not follow; the xattr calls
 * are the l* ones). */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include "napi-args.h"
#include "whiteout.h"

/* makeWhiteout(path): mknod(path, S_IFCHR | 0000, makedev(0, 0)); EEXIST if
 * something is there. */
napi_value make_whiteout(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  static char path[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || arg_string(env, argv[0], path, sizeof path)) {
    napi_throw_type_error(env, NULL, "makeWhiteout: path must be a string of at most 4095 bytes");
    return NULL;
  }
  if (mknod(path, S_IFCHR, makedev(0, 0)) != 0) return throw_errno(env, "mknod", errno);
  return NULL;
}

/* setXattr(path, name, value): lsetxattr(path, name, value, strlen(value), 0). */
napi_value set_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  static char path[4096], name[256], value[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || arg_string(env, argv[0], path, sizeof path) || arg_string(env, argv[1], name, sizeof name)
      || arg_string(env, argv[2], value, sizeof value)) {
    napi_throw_type_error(env, NULL, "setXattr: path, name and value must be strings of at most 4095, 255 and 4095 bytes");
    return NULL;
  }
  if (lsetxattr(path, name, value, strlen(value), 0) != 0) return throw_errno(env, "setxattr", errno);
  return NULL;
}

/* getXattr(path, name): the attribute's value as a string (at most 4095
 * bytes), or null when the file has no such attribute. */
napi_value get_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  static char path[4096], name[256], value[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || arg_string(env, argv[0], path, sizeof path) || arg_string(env, argv[1], name, sizeof name)) {
    napi_throw_type_error(env, NULL, "getXattr: path and name must be strings of at most 4095 and 255 bytes");
    return NULL;
  }
  ssize_t n = lgetxattr(path, name, value, sizeof value - 1);
  napi_value result;
  if (n < 0) {
    if (errno == ENODATA) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, "getxattr", errno);
  }
  napi_create_string_utf8(env, value, (size_t)n, &result);
  return result;
}
