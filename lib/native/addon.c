/* lrctl's Node-API addon: the few syscalls Node.js lacks, one file per
 * concern (napi-args, process, pipes, console, mount, log-encode), and this
 * file, which registers them. Every function is synchronous; the two that
 * wait (acceptRecvFd, and mount on a slow filesystem) are bounded by their
 * caller's timeout or the kernel. Arguments are checked strictly: an fd that
 * is NaN or 1.5 is a TypeError, never fd 0. */
#include <node_api.h>
#include "console.h"
#include "log-encode.h"
#include "mount.h"
#include "pipes.h"
#include "process.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "encodeEntries", NULL, encode_entries, NULL, NULL, NULL, napi_default, NULL },
    { "setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_default, NULL },
    { "waitpid", NULL, wait_pid, NULL, NULL, NULL, napi_default, NULL },
    { "pipe", NULL, make_pipe, NULL, NULL, NULL, napi_default, NULL },
    { "getPipeSize", NULL, get_pipe_size, NULL, NULL, NULL, napi_default, NULL },
    { "setPipeSize", NULL, set_pipe_size, NULL, NULL, NULL, napi_default, NULL },
    { "listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_default, NULL },
    { "acceptRecvFd", NULL, accept_recv_fd, NULL, NULL, NULL, napi_default, NULL },
    { "setWinsize", NULL, set_winsize, NULL, NULL, NULL, napi_default, NULL },
    { "execve", NULL, exec_ve, NULL, NULL, NULL, napi_default, NULL },
    { "setCloexec", NULL, set_cloexec, NULL, NULL, NULL, napi_default, NULL },
    { "mallocTrim", NULL, trim_malloc, NULL, NULL, NULL, napi_default, NULL },
    { "peerUid", NULL, peer_uid, NULL, NULL, NULL, napi_default, NULL },
    { "mount", NULL, do_mount, NULL, NULL, NULL, napi_default, NULL },
    { "umountDetach", NULL, umount_detach, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
