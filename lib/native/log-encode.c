/* The one hot loop: encoding container output into CRI log entries,
 * which in JavaScript costs more CPU than the write itself. */
#define _GNU_SOURCE
#include <node_api.h>
#include <string.h>
#include "napi-args.h"
#include "log-encode.h"

/* encodeEntries(chunk, header, maxEntry) -> Buffer: for each line of chunk
 * (split further every maxEntry bytes), header + content + "\n", with the
 * header's second-to-last byte set to 'F' for a line's last piece when the
 * line ended with a newline, 'P' otherwise. Same result as the loop in
 * lib/logs/cri-format.ts describes; two passes, memchr and memcpy. */
napi_value encode_entries(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char *chunk, *header;
  size_t clen, hlen;
  int32_t max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_buffer_info(env, argv[0], (void **)&chunk, &clen) != napi_ok ||
      napi_get_buffer_info(env, argv[1], (void **)&header, &hlen) != napi_ok || hlen < 2 ||
      value_int(env, argv[2], &max) != 0 || max <= 0) {
    napi_throw_type_error(env, NULL, "encodeEntries: (chunk: Buffer, header: Buffer, maxEntry > 0)");
    return NULL;
  }
  size_t size = 0;
  for (size_t start = 0; start < clen;) {
    char *nl = memchr(chunk + start, '\n', clen - start);
    size_t end = nl ? (size_t)(nl - chunk) : clen;
    size_t len = end - start;
    size_t pieces = len == 0 ? 1 : (len + max - 1) / max;
    size += pieces * (hlen + 1) + len;
    start = nl ? end + 1 : clen;
  }
  napi_value result;
  char *out;
  if (napi_create_buffer(env, size, (void **)&out, &result) != napi_ok) return NULL;
  char *p = out;
  for (size_t start = 0; start < clen;) {
    char *nl = memchr(chunk + start, '\n', clen - start);
    size_t end = nl ? (size_t)(nl - chunk) : clen;
    size_t s = start;
    do {
      size_t e = end - s > (size_t)max ? s + max : end;
      memcpy(p, header, hlen);
      p[hlen - 2] = nl && e == end ? 'F' : 'P';
      p += hlen;
      memcpy(p, chunk + s, e - s);
      p += e - s;
      *p++ = '\n';
      s = e;
    } while (s < end);
    start = nl ? end + 1 : clen;
  }
  return result;
}
