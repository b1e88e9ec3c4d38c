// Returns memory that the C allocator keeps after `free` to the operating system.
//
// glibc keeps freed memory in one arena per thread that allocated it. Opening the embedded
// PostgreSQL, compiling WebAssembly and JavaScript on V8's background threads, and loading the
// extensions free tens of MiB that stay resident afterwards. `malloc_trim(0)` releases every
// whole free page of every arena. Other C libraries have no such call, and `trim` reports that.
#include <node_api.h>

#if defined(__GLIBC__)
#include <malloc.h>
#define HAVE_MALLOC_TRIM 1
#else
#define HAVE_MALLOC_TRIM 0
#endif

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if HAVE_MALLOC_TRIM
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_value supported;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  if (napi_get_boolean(env, HAVE_MALLOC_TRIM, &supported) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trimSupported", supported) != napi_ok) return NULL;
  return exports;
}
