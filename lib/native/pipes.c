/* Anonymous pipes for a container's stdio (libuv's are socketpairs, which
 * CRIU cannot checkpoint as a container's stdio) and their capacity. */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "napi-args.h"
#include "pipes.h"

/* pipe() -> [readFd, writeFd], both close-on-exec. libuv's stdio "pipes" are
 * socketpairs, which CRIU cannot checkpoint as a container's stdio. */
napi_value make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, "pipe2", errno);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, make_int(env, fds[0]));
  napi_set_element(env, arr, 1, make_int(env, fds[1]));
  return arr;
}

/* getPipeSize(fd) -> bytes */
napi_value get_pipe_size(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (arg_fd(env, info, 0, &fd) != 0) { napi_throw_type_error(env, NULL, "getPipeSize: fd must be a non-negative integer"); return NULL; }
  int r = fcntl(fd, F_GETPIPE_SZ);
  if (r < 0) return throw_errno(env, "fcntl(F_GETPIPE_SZ)", errno);
  return make_int(env, r);
}

/* setPipeSize(fd, bytes) -> the capacity the kernel granted (rounded up to pages). */
napi_value set_pipe_size(napi_env env, napi_callback_info info) {
  int32_t fd, size;
  if (arg_fd(env, info, 0, &fd) != 0 || arg_int(env, info, 1, &size) != 0 || size <= 0) {
    napi_throw_type_error(env, NULL, "setPipeSize: fd and size must be positive integers");
    return NULL;
  }
  int r = fcntl(fd, F_SETPIPE_SZ, size);
  if (r < 0) return throw_errno(env, "fcntl(F_SETPIPE_SZ)", errno);
  return make_int(env, r);
}
