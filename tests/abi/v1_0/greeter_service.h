/* A toy service offered by "basic" and consumed by "consumer" through the host's registry. */
#ifndef WH_TEST_GREETER_SERVICE_H
#define WH_TEST_GREETER_SERVICE_H
#include <webui_host/abi.h>

#define kGreeterServiceV1 "test.greeter.v1"

typedef struct wh_test_greeter_v1 {
  uint32_t struct_size;
  wh_status (*greet)(void* user, wh_str name, wh_str_sink sink, void* sink_user);
} wh_test_greeter_v1;
#endif
