/* Plugins the host must refuse, one per reason. Built from this one file with a different
 * REFUSE_* definition each (see CMakeLists.txt). Plain C on purpose: the ABI is C. */
#include <webui_host/abi.h>

#include <stddef.h>

__attribute__((unused)) static wh_status init_ok(const wh_host_api* host, wh_plugin_host_ptr* self,
                         wh_plugin_module_ptr** state, wh_str_sink error, void* user) {
  (void)host, (void)self, (void)state, (void)error, (void)user;
  return WH_OK;
}

#if defined(REFUSE_INIT)
static void never_called(void* user, const wh_request_host_ptr* req, wh_response_host_ptr* res) {
  (void)user, (void)req, (void)res;
}
static wh_status init_fail(const wh_host_api* host, wh_plugin_host_ptr* self,
                           wh_plugin_module_ptr** state, wh_str_sink error, void* user) {
  (void)state;
  /* Registers a route first: the host must take it back when init fails. */
  static const char path[] = "/api/v1/initfail/route";
  host->route_add(self, (wh_str){"GET", 3}, (wh_str){path, sizeof path - 1}, WH_AUTH_PUBLIC,
                  never_called, NULL);
  static const char msg[] = "deliberate init failure";
  error(user, (wh_str){msg, sizeof msg - 1});
  return WH_ERROR;
}
#endif

#if defined(REFUSE_UNRESOLVED)
/* Never defined anywhere: RTLD_NOW must fail to load this library. */
extern int webui_host_test_symbol_that_does_not_exist(void);
int use_missing(void) { return webui_host_test_symbol_that_does_not_exist(); }
#endif

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "refused"
#endif
#ifndef DEPS
#define DEPS NULL
#endif
#ifndef ABI_MAJOR
#define ABI_MAJOR WH_ABI_MAJOR
#endif
#ifndef ABI_MINOR
#define ABI_MINOR WH_ABI_MINOR
#endif
#ifndef SIGNATURE
#define SIGNATURE WH_BUILD_SIGNATURE
#endif
#if defined(REFUSE_INIT)
#define INIT init_fail
#else
#define INIT init_ok
#endif

#if defined(DEP_LIST)
static const char* const deps[] = {DEP_LIST, NULL};
#undef DEPS
#define DEPS deps
#endif

static const wh_plugin_descriptor descriptor = {
    sizeof(wh_plugin_descriptor), ABI_MAJOR, ABI_MINOR, SIGNATURE, PLUGIN_NAME, "0.0.1",
    "a plugin the host must refuse", DEPS, INIT, NULL, {0}};

#if defined(REFUSE_NO_ENTRY)
__attribute__((visibility("default"))) const wh_plugin_descriptor* wrong_entry_name(void) {
  return &descriptor;
}
#else
__attribute__((visibility("default"))) const wh_plugin_descriptor* webui_host_plugin_entry(void) {
  return &descriptor;
}
#endif
