// Returns memory that the process no longer uses to the operating system.
//
// trim: glibc keeps freed memory in one arena per thread that allocated it. Opening the embedded
// PostgreSQL, compiling WebAssembly and JavaScript on V8's background threads, and loading the
// extensions free tens of MiB that stay resident afterwards. `malloc_trim(0)` releases every
// whole free page of every arena. Other C libraries have no such call, and `trim` reports that.
//
// reduceHeap: V8's young generation grows to 32 MiB during start-up and shrinks only in a
// collection that aims to reduce memory. A moderate memory-pressure notification starts such a
// collection as incremental marking, which finishes in later tasks of the event loop. The level
// goes back to none at once, so V8's heuristics do not keep favouring memory over speed.
// NOTE: `reduceHeap` uses the V8 API besides N-API, so a build is meant for the Node.js version it
// was compiled with. After upgrading Node.js, run `pnpm rebuild @mify/native`.
#include <node_api.h>
#include <v8.h>

#if defined(__GLIBC__)
#include <malloc.h>
#define HAVE_MALLOC_TRIM 1
#else
#define HAVE_MALLOC_TRIM 0
#endif

namespace {

napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if HAVE_MALLOC_TRIM
  released = malloc_trim(0);
#endif
  napi_value result;
  napi_get_boolean(env, released != 0, &result);
  return result;
}

napi_value ReduceHeap(napi_env env, napi_callback_info info) {
  (void)info;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) {
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
  }
  napi_value result;
  napi_get_boolean(env, isolate != nullptr, &result);
  return result;
}

bool SetFunction(napi_env env, napi_value exports, const char* name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value supported;
  if (!SetFunction(env, exports, "trim", Trim)) return nullptr;
  if (!SetFunction(env, exports, "reduceHeap", ReduceHeap)) return nullptr;
  if (napi_get_boolean(env, HAVE_MALLOC_TRIM, &supported) != napi_ok) return nullptr;
  if (napi_set_named_property(env, exports, "trimSupported", supported) != napi_ok) return nullptr;
  return exports;
}
