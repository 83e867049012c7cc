// files.v1 (sdk/include/webui_host/services/files.h): the C table other plugins call. Every
// entry catches everything and answers a wh_status; a database outage stays WH_UNAVAILABLE.
#include <webui_host/services/files.h>

#include "files_plugin.hpp"
#include "naming.hpp"

namespace webui::files {

namespace {

FilesPlugin& Self(void* user) { return *static_cast<FilesPlugin*>(user); }

std::string Str(wh_str s) { return std::string(sdk::FromWh(s)); }

template <typename F>
wh_status Guarded(FilesPlugin& self, const char* what, F&& f) noexcept {
  try {
    return f();
  } catch (const sdk::Error& e) {
    if (e.status() != WH_UNAVAILABLE)
      self.host().Warn(std::string("files.v1 ") + what + ": " + e.what());
    return e.status() == WH_OK ? WH_ERROR : e.status();
  } catch (const sdk::HttpError& e) {
    return e.status() == 404 ? WH_NOT_FOUND : WH_INVALID;
  } catch (const std::exception& e) {
    try {
      self.host().Warn(std::string("files.v1 ") + what + ": " + e.what());
    } catch (...) {
    }
    return WH_ERROR;
  } catch (...) {
    return WH_ERROR;
  }
}

void SendJson(wh_str_sink sink, void* sink_user, const json& value) {
  const std::string text = sdk::json::Dump(value);
  sink(sink_user, sdk::ToWh(text));
}

wh_status Store(void* user, wh_str owner_id, wh_str info_json, wh_str bytes, wh_str source_path,
                wh_str_sink sink, void* sink_user) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "store", [&] {
    auto info = sdk::json::Parse(sdk::FromWh(info_json));
    if (!info || !info->is_object() || owner_id.len == 0) return WH_INVALID;
    auto name = info->find("filename");
    if (name == info->end() || !name->is_string()) return WH_INVALID;
    NewFile file;
    file.owner_id = Str(owner_id);
    file.client_name = name->get<std::string>();
    if (auto t = info->find("content_type"); t != info->end() && t->is_string())
      file.content_type = t->get<std::string>();
    if (auto d = info->find("data"); d != info->end() && d->is_object()) file.client_meta = *d;
    file.process = info->value("process", false);
    file.source_path = Str(source_path);
    file.bytes = sdk::FromWh(bytes);
    file.size = bytes.len;
    if (file.source_path.empty() &&
        static_cast<std::int64_t>(file.bytes.size()) > self.CurrentMaxUploadBytes())
      return WH_INVALID;
    SendJson(sink, sink_user, ToModel(self.Create(std::move(file)), true));
    return WH_OK;
  });
}

wh_status Get(void* user, wh_str file_id, wh_str_sink sink, void* sink_user) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "get", [&] {
    auto row = self.store().Get(Str(file_id));
    if (!row) return WH_NOT_FOUND;
    SendJson(sink, sink_user, ToModel(*row, true));
    return WH_OK;
  });
}

wh_status Read(void* user, wh_str file_id, wh_str_sink sink, void* sink_user) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "read", [&] {
    auto row = self.store().Get(Str(file_id));
    if (!row || !row->path) return WH_NOT_FOUND;
    auto in = self.storage().Open(*row->path);
    if (!in) return WH_NOT_FOUND;
    std::string buf(64 * 1024, '\0');
    while (*in) {
      in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto got = static_cast<std::size_t>(in->gcount());
      if (got > 0) sink(sink_user, wh_str{buf.data(), got});
    }
    return in->bad() ? WH_ERROR : WH_OK;
  });
}

wh_status LocalPath(void* user, wh_str file_id, wh_str_sink sink, void* sink_user) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "local_path", [&] {
    auto row = self.store().Get(Str(file_id));
    if (!row || !row->path) return WH_NOT_FOUND;
    auto path = self.storage().LocalPath(*row->path);
    if (!path) return WH_NOT_FOUND;
    sink(sink_user, sdk::ToWh(*path));
    return WH_OK;
  });
}

wh_status Remove(void* user, wh_str file_id) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "remove", [&] {
    auto row = self.store().Get(Str(file_id));
    if (!row) return WH_NOT_FOUND;
    return self.Delete(*row) ? WH_OK : WH_NOT_FOUND;
  });
}

wh_status CheckAccess(void* user, wh_str user_id, wh_str role, wh_str file_id, wh_str access,
                      int* allowed) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "check_access", [&] {
    const std::string type = Str(access);
    if (allowed == nullptr || (type != "read" && type != "write")) return WH_INVALID;
    *allowed = 0;
    auto row = self.store().Get(Str(file_id));
    if (!row) return WH_NOT_FOUND;
    *allowed = self.MayAccess(*row, Asker{Str(user_id), sdk::FromWh(role) == "admin"}, type);
    return WH_OK;
  });
}

wh_status Update(void* user, wh_str file_id, wh_str patch_json, wh_str_sink sink, void* sink_user) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "update", [&] {
    auto patch = sdk::json::Parse(sdk::FromWh(patch_json));
    if (!patch || !patch->is_object()) return WH_INVALID;
    auto row = self.store().Get(Str(file_id));
    if (!row) return WH_NOT_FOUND;
    if (auto d = patch->find("data"); d != patch->end()) {
      if (!d->is_object()) return WH_INVALID;
      row->data.update(*d);
    }
    if (auto m = patch->find("meta"); m != patch->end()) {
      if (!m->is_object()) return WH_INVALID;
      row->meta.update(*m);
    }
    if (auto h = patch->find("hash"); h != patch->end()) {
      if (!h->is_string() && !h->is_null()) return WH_INVALID;
      row->hash = h->is_string() ? std::optional(h->get<std::string>()) : std::nullopt;
    }
    if (auto a = patch->find("access_control"); a != patch->end()) row->access_control = *a;
    if (!self.store().Save(*row)) return WH_NOT_FOUND;
    auto after = self.store().Get(row->id);
    if (!after) return WH_NOT_FOUND;
    SendJson(sink, sink_user, ToModel(*after, true));
    return WH_OK;
  });
}

wh_status RemoveAllBytes(void* user, uint64_t* removed) {
  FilesPlugin& self = Self(user);
  return Guarded(self, "remove_all_bytes", [&] {
    // The rows stay (services/files.h): the files plugin decides that a row without bytes keeps
    // its extracted text and answers 404 for its content, as Open WebUI's rows do after the
    // reset; nothing else in the table changes, so lists, chats and knowledge bases stay whole.
    const std::uint64_t n = self.storage().RemoveAll(
        [&](const std::string& why) { self.host().Warn("reset uploads: cannot delete " + why); });
    self.host().Info("reset uploads: deleted " + std::to_string(n) + " stored objects");
    if (removed != nullptr) *removed = n;
    return WH_OK;
  });
}

const wh_files_v1 kFilesV1 = {
    sizeof(wh_files_v1), &Store,  &Get, &Read,          &LocalPath, &Remove,
    &CheckAccess,        &Update, {},   &RemoveAllBytes};

}  // namespace

void FilesPlugin::OfferFilesService() { host_->OfferService(WH_SERVICE_FILES_V1, &kFilesV1, this); }

}  // namespace webui::files
