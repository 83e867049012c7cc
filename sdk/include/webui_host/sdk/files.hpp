// Typed client of the files.v1 service (sdk/include/webui_host/services/files.h). Not found is
// std::nullopt (or false); any other failure throws sdk::Error carrying the status, so
// WH_UNAVAILABLE escaping a handler answers 503 like every other host failure.
#pragma once

#include <webui_host/services/files.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace webui::sdk {

#define WH_SDK_FILES_NEEDS(member) (offsetof(wh_files_v1, member) + sizeof(void*))

// files.v1: FileModel objects (see services/files.h for the fields).
class Files {
 public:
  explicit Files(const Host& host) : host_(host) {}

  // A new file of `owner_id` from `bytes`; `info`: {"filename", "content_type"?, "data"?,
  // "process"?}. Returns the FileModel.
  nlohmann::json Store(std::string_view owner_id, const nlohmann::json& info,
                       std::string_view bytes) const {
    return DoStore(owner_id, info, bytes, {});
  }
  // The same, taking `path` away from the caller (moved into the storage).
  nlohmann::json StoreFile(std::string_view owner_id, const nlohmann::json& info,
                           std::string_view path) const {
    return DoStore(owner_id, info, {}, path);
  }
  std::optional<nlohmann::json> Get(std::string_view id) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(get));
    return detail::JsonCall("files.get", [&](wh_str_sink sink, void* u) {
      return p.vt->get(p.user, ToWh(id), sink, u);
    });
  }
  // Every piece of the bytes, in order, to `on_piece`; false when there is no such file.
  bool Read(std::string_view id, const std::function<void(std::string_view)>& on_piece) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(read));
    struct Ctx {
      const std::function<void(std::string_view)>* fn;
      std::exception_ptr error;
    } ctx{&on_piece, nullptr};
    const wh_status st = p.vt->read(
        p.user, ToWh(id),
        [](void* u, wh_str piece) {
          auto* c = static_cast<Ctx*>(u);
          if (c->error) return;
          try {
            (*c->fn)(FromWh(piece));
          } catch (...) {
            c->error = std::current_exception();
          }
        },
        &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
    if (st == WH_NOT_FOUND) return false;
    detail::StatusCall("files.read", st);
    return true;
  }
  // All the bytes at once (small files); nullopt when there is no such file.
  std::optional<std::string> ReadAll(std::string_view id) const {
    std::string out;
    if (!Read(id, [&](std::string_view piece) { out.append(piece); })) return std::nullopt;
    return out;
  }
  std::optional<std::string> LocalPath(std::string_view id) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(local_path));
    std::string out;
    const wh_status st = p.vt->local_path(p.user, ToWh(id), &detail::AppendSink, &out);
    if (st == WH_NOT_FOUND) return std::nullopt;
    detail::StatusCall("files.local_path", st);
    return out;
  }
  // False when there was no such file.
  bool Remove(std::string_view id) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(remove));
    const wh_status st = p.vt->remove(p.user, ToWh(id));
    if (st == WH_NOT_FOUND) return false;
    detail::StatusCall("files.remove", st);
    return true;
  }
  // Whether the user may `access` ("read" | "write") the file; nullopt when there is no such
  // file (answer 404 either way: a file one may not see does not exist for them).
  std::optional<bool> CheckAccess(std::string_view user_id, std::string_view role,
                                  std::string_view id, std::string_view access) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(check_access));
    int allowed = 0;
    const wh_status st =
        p.vt->check_access(p.user, ToWh(user_id), ToWh(role), ToWh(id), ToWh(access), &allowed);
    if (st == WH_NOT_FOUND) return std::nullopt;
    detail::StatusCall("files.check_access", st);
    return allowed != 0;
  }
  std::optional<nlohmann::json> Update(std::string_view id, const nlohmann::json& patch) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(update));
    const std::string in = patch.dump();
    return detail::JsonCall("files.update", [&](wh_str_sink sink, void* u) {
      return p.vt->update(p.user, ToWh(id), ToWh(in), sink, u);
    });
  }
  // Deletes the stored bytes of every file, keeping the rows (services/files.h,
  // remove_all_bytes); returns how many stored objects went. A files plugin too old to offer the
  // call throws sdk::Error WH_NOT_FOUND, as a missing one does.
  std::uint64_t RemoveAllBytes() const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(remove_all_bytes));
    if (p.vt->remove_all_bytes == nullptr)
      throw Error(WH_NOT_FOUND, "service files.v1 does not offer remove_all_bytes");
    std::uint64_t removed = 0;
    detail::StatusCall("files.remove_all_bytes", p.vt->remove_all_bytes(p.user, &removed));
    return removed;
  }

 private:
  struct Provider {
    const wh_files_v1* vt;
    void* user;
  };
  Provider Find(size_t needed) const {
    const auto s = detail::FindService(host_, WH_SERVICE_FILES_V1, needed);
    return Provider{static_cast<const wh_files_v1*>(s.vtable), s.user};
  }
  nlohmann::json DoStore(std::string_view owner_id, const nlohmann::json& info,
                         std::string_view bytes, std::string_view path) const {
    const Provider p = Find(WH_SDK_FILES_NEEDS(store));
    const std::string in = info.dump();
    auto r = detail::JsonCall("files.store", [&](wh_str_sink sink, void* u) {
      return p.vt->store(p.user, ToWh(owner_id), ToWh(in), ToWh(bytes), ToWh(path), sink, u);
    });
    if (!r) throw Error(WH_NOT_FOUND, "files.store: no result");
    return *r;
  }
  const Host& host_;
};

#undef WH_SDK_FILES_NEEDS

}  // namespace webui::sdk
