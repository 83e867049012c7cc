// Freezes the ABI 1.x layout. If one of these fails, a change moved or resized something a built
// plugin relies on: revert it, or append instead (minor bump), or bump WH_ABI_MAJOR on purpose.
#include <webui_host/abi.h>
#include <webui_host/services/file_processor.h>
#include <webui_host/services/files.h>
#include <webui_host/services/model_provider.h>
#include <webui_host/services/retrieval.h>
#include <webui_host/services/transcription.h>
#include <webui_host/services/users.h>
#include <webui_host/services/web_search.h>
#include <webui_host/sdk.hpp>

#include <gtest/gtest.h>

#include <cstddef>

namespace {

#if __SIZEOF_POINTER__ == 8
static_assert(sizeof(wh_str) == 16);
static_assert(offsetof(wh_plugin_descriptor, struct_size) == 0);
static_assert(offsetof(wh_plugin_descriptor, abi_major) == 4);
static_assert(offsetof(wh_plugin_descriptor, abi_minor) == 6);
static_assert(offsetof(wh_plugin_descriptor, build_signature) == 8);
static_assert(offsetof(wh_plugin_descriptor, name) == 16);
static_assert(offsetof(wh_plugin_descriptor, dependencies) == 40);
static_assert(offsetof(wh_plugin_descriptor, init) == 48);
static_assert(offsetof(wh_plugin_descriptor, shutdown) == 56);
static_assert(sizeof(wh_plugin_descriptor) == 128);

// wh_host_api 1.0: the header (8 bytes) then 52 function pointers, then 8 reserved slots.
static_assert(offsetof(wh_host_api, log) == 8);
static_assert(offsetof(wh_host_api, config_declare) == 16);
static_assert(offsetof(wh_host_api, route_add) == 48);
static_assert(offsetof(wh_host_api, req_method) == 80);
static_assert(offsetof(wh_host_api, res_set_status) == 184);
static_assert(offsetof(wh_host_api, db_dialect) == 240);
static_assert(offsetof(wh_host_api, kv_get) == 288);
static_assert(offsetof(wh_host_api, http_fetch) == 360);
static_assert(offsetof(wh_host_api, service_offer) == 368);
static_assert(offsetof(wh_host_api, service_each) == 376);
static_assert(offsetof(wh_host_api, reserved) == 384);
// 1.1 appended the relay calls after the reserved slots.
static_assert(offsetof(wh_host_api, res_relay) == 448);
static_assert(offsetof(wh_host_api, relay_begin_stream) == 456);
static_assert(offsetof(wh_host_api, relay_write) == 464);
static_assert(offsetof(wh_host_api, relay_respond) == 472);
// ...then the identity chain and routes with a body policy.
static_assert(offsetof(wh_host_api, authenticator_add) == 480);
static_assert(offsetof(wh_host_api, route_add_ex) == 488);
static_assert(offsetof(wh_host_api, req_form_part_count) == 496);
static_assert(offsetof(wh_host_api, req_form_part_at) == 504);
// ...then outbound exchanges on the relay.
static_assert(offsetof(wh_host_api, http_fetch_relay) == 512);
static_assert(sizeof(wh_host_api) == 520);
static_assert(sizeof(wh_route_options) == 64);
static_assert(offsetof(wh_route_options, max_body_bytes) == 48);
static_assert(sizeof(wh_form_part) == 96);
static_assert(offsetof(wh_form_part, file_path) == 72);
static_assert(sizeof(wh_relay_handler) == 40);
static_assert(offsetof(wh_relay_handler, on_head) == 8);
static_assert(offsetof(wh_relay_handler, release) == 32);

static_assert(sizeof(wh_caller) == 72);
static_assert(sizeof(wh_db_value) == 40);
static_assert(sizeof(wh_migration) == 56);
static_assert(offsetof(wh_http_request, flags) == 88);
static_assert(sizeof(wh_http_request) == 96);

// users.v1: seven calls, then set_password in the first of what were 5 reserved slots.
static_assert(offsetof(wh_users_v1, issue_token) == 56);
static_assert(offsetof(wh_users_v1, set_password) == 64);
static_assert(offsetof(wh_users_v1, reserved) == 72);
static_assert(sizeof(wh_users_v1) == 104);

// files.v1: seven calls, then 6 reserved slots, then remove_all_bytes (appended).
static_assert(offsetof(wh_files_v1, store) == 8);
static_assert(offsetof(wh_files_v1, read) == 24);
static_assert(offsetof(wh_files_v1, check_access) == 48);
static_assert(offsetof(wh_files_v1, update) == 56);
static_assert(offsetof(wh_files_v1, reserved) == 64);
static_assert(offsetof(wh_files_v1, remove_all_bytes) == 112);
static_assert(sizeof(wh_files_v1) == 120);
// file_processor.v1: process, removed, then 4 reserved slots.
static_assert(offsetof(wh_file_processor_v1, process) == 8);
static_assert(offsetof(wh_file_processor_v1, removed) == 16);
static_assert(offsetof(wh_file_processor_v1, reserved) == 24);
static_assert(sizeof(wh_file_processor_v1) == 56);
// model_provider.v1: four calls, 4 reserved slots, then the two relay-driven chats (appended).
static_assert(offsetof(wh_model_provider_v1, embeddings) == 32);
static_assert(offsetof(wh_model_provider_v1, chat_completion_async) == 72);
static_assert(offsetof(wh_model_provider_v1, chat_completion_relay) == 80);
static_assert(sizeof(wh_model_provider_v1) == 88);
static_assert(sizeof(wh_model_relay_handler) == 32);
// transcription.v1: transcribe, then 4 reserved slots.
static_assert(offsetof(wh_transcription_v1, transcribe) == 8);
static_assert(offsetof(wh_transcription_v1, reserved) == 16);
static_assert(sizeof(wh_transcription_v1) == 48);
// retrieval.v1: retrieve, then 4 reserved slots.
static_assert(offsetof(wh_retrieval_v1, retrieve) == 8);
static_assert(offsetof(wh_retrieval_v1, reserved) == 16);
static_assert(sizeof(wh_retrieval_v1) == 48);
// web_search.v1: permitted, search, then 4 reserved slots.
static_assert(offsetof(wh_web_search_v1, search) == 16);
static_assert(offsetof(wh_web_search_v1, reserved) == 24);
static_assert(sizeof(wh_web_search_v1) == 56);
#endif

TEST(AbiLayout, VersionAndSignature) {
  EXPECT_EQ(WH_ABI_MAJOR, 1);
  EXPECT_STREQ(WH_PLUGIN_ENTRY_SYMBOL, "webui_host_plugin_entry");
  EXPECT_EQ(std::string(WH_BUILD_SIGNATURE).rfind("wh:p", 0), 0u);
}

TEST(AbiLayout, HostHasSeesOnlyFieldsInsideTheTable) {
  wh_host_api api{};
  api.struct_size = offsetof(wh_host_api, kv_get);  // an "older" host without kv_*
  api.route_add = reinterpret_cast<decltype(api.route_add)>(+[] {});
  api.kv_get = reinterpret_cast<decltype(api.kv_get)>(+[] {});
  EXPECT_TRUE(WH_HOST_HAS(&api, route_add));
  EXPECT_FALSE(WH_HOST_HAS(&api, kv_get));  // present in memory, but past struct_size
  EXPECT_FALSE(WH_HOST_HAS(&api, log));     // inside, but NULL
}

TEST(SdkWrapper, ParamsMapToTheRightDbTypes) {
  using webui::sdk::Param;
  EXPECT_EQ(Param(nullptr).raw().type, WH_DB_NULL);
  EXPECT_EQ(Param(42).raw().type, WH_DB_INT);
  EXPECT_EQ(Param(42).raw().i, 42);
  EXPECT_EQ(Param(true).raw().i, 1);
  EXPECT_EQ(Param(2.5).raw().type, WH_DB_REAL);
  EXPECT_EQ(Param("text").raw().type, WH_DB_TEXT);
  EXPECT_EQ(Param(std::optional<int>()).raw().type, WH_DB_NULL);
  EXPECT_EQ(Param(std::optional<int>(7)).raw().i, 7);
  webui::sdk::Blob b{"\x00\x01"};
  EXPECT_EQ(Param(b).raw().type, WH_DB_BLOB);
}

TEST(SdkWrapper, RowConversions) {
  webui::sdk::Row row({std::monostate{}, int64_t{5}, 2.5, std::string("12"), std::string("t")});
  EXPECT_TRUE(row.IsNull(0));
  EXPECT_EQ(row.Int(1), 5);
  EXPECT_EQ(row.Real(2), 2.5);
  EXPECT_EQ(row.Int(3), 12);  // numeric text (e.g. PostgreSQL bigint as text)
  EXPECT_TRUE(row.Bool(4));   // PostgreSQL boolean 't'
  EXPECT_EQ(row.OptText(0), std::nullopt);
  EXPECT_EQ(row.Text(1), "5");
}

}  // namespace
