/*
 * A tiny Node-API addon: setns(2) for network namespaces.
 *
 * Node has no binding for setns, and the `netlink` package cannot open its
 * socket inside another namespace by itself. The pattern that works is:
 *   setns(podFd); sock = createRtNetlink(); setns(selfFd)
 * The socket stays bound to the pod's namespace after we switch back.
 *
 * Written against Node-API only (ABI-stable), so one build loads under any
 * Node version >= 18. Exported:
 *   setNetns(fd: number): void   -- throws Error with .code = errno name
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int err, const char *what) {
  const char *name = "EUNKNOWN";
  switch (err) {
    case EBADF: name = "EBADF"; break;
    case EINVAL: name = "EINVAL"; break;
    case EPERM: name = "EPERM"; break;
    case ENOMEM: name = "ENOMEM"; break;
  }
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name, msg);
  return NULL;
}

static napi_value set_netns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "setNetns(fd): fd must be a number");
    return NULL;
  }
  if (setns(fd, CLONE_NEWNET) != 0) return throw_errno(env, errno, "setns");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setNetns", NAPI_AUTO_LENGTH, set_netns, NULL, &fn);
  napi_set_named_property(env, exports, "setNetns", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
