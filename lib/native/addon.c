/* lrctl's Node-API addon: the few syscalls the CLI needs and Node.js lacks,
 * one file per concern (napi-args, mount, process, whiteout), and this file, which
 * registers them: mount and umountDetach for a container's overlay
 * (lib/bundle/overlay.ts), execve and setCloexec for the bridge a previous
 * release's Node shim runs to become the native monitor (bin/lrctl-shim.js),
 * makeWhiteout, setXattr and getXattr for image layers (lib/image/layer.ts).
 * The containers themselves are supervised by that monitor, a C program of
 * its own (lib/monitor), which needs no addon. Every function is
 * synchronous. Arguments are checked strictly: an fd that is NaN or 1.5 is a
 * TypeError, never fd 0. */
#include <node_api.h>
#include "mount.h"
#include "process.h"
#include "whiteout.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "execve", NULL, exec_ve, NULL, NULL, NULL, napi_default, NULL },
    { "setCloexec", NULL, set_cloexec, NULL, NULL, NULL, napi_default, NULL },
    { "mount", NULL, do_mount, NULL, NULL, NULL, napi_default, NULL },
    { "umountDetach", NULL, umount_detach, NULL, NULL, NULL, napi_default, NULL },
    { "makeWhiteout", NULL, make_whiteout, NULL, NULL, NULL, napi_default, NULL },
    { "setXattr", NULL, set_xattr, NULL, NULL, NULL, napi_default, NULL },
    { "getXattr", NULL, get_xattr, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
