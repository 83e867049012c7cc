#include "files_plugin.hpp"

#include <webui_host/services/file_processor.h>
#include <webui_host/sdk/access.hpp>
#include <webui_host/sdk/users.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "naming.hpp"

namespace webui::files {

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
// Without RAG_FILE_MAX_SIZE Open WebUI takes any size; a bound keeps one upload from filling the
// disk.
constexpr std::int64_t kDefaultMaxUploadMiB = 512;
// The built-in extraction reads text files up to this size; larger ones complete without content.
constexpr std::uint64_t kMaxTextBytes = 8 * kMiB;
constexpr const char* kInterrupted = "Processing was interrupted; upload the file again.";

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The first of `names` set to something other than blanks.
std::optional<std::string> FirstEnv(const sdk::Host& host, std::initializer_list<const char*> names,
                                    const char** which) {
  for (const char* name : names) {
    if (auto v = host.Env(name); v && !Trim(*v).empty()) {
      *which = name;
      return Trim(*v);
    }
  }
  return std::nullopt;
}

// Open WebUI's RAG_FILE_MAX_SIZE (FILE_MAX_SIZE is its setting's name, accepted too), in MB, a
// positive number.
std::int64_t MaxUploadBytes(const sdk::Host& host) {
  const char* name = "";
  auto v = FirstEnv(host, {"RAG_FILE_MAX_SIZE", "FILE_MAX_SIZE"}, &name);
  if (!v) return kDefaultMaxUploadMiB * kMiB;
  double mb = 0;
  try {
    std::size_t used = 0;
    const std::string text = Trim(*v);
    mb = std::stod(text, &used);
    if (used != text.size()) mb = -1;
  } catch (...) {
    mb = -1;
  }
  if (!(mb > 0) || !std::isfinite(mb) || mb > 1024.0 * 1024.0)
    throw sdk::Error(WH_INVALID, std::string(name) + ": expected a size in MB, got '" + *v + "'");
  return static_cast<std::int64_t>(mb * static_cast<double>(kMiB));
}

std::string UploadDir(const sdk::Host& host) {
  if (auto v = host.Env("WEBUI_UPLOAD_DIR"); v && !Trim(*v).empty()) return Trim(*v);
  auto data_dir = host.Env("DATA_DIR");
  return (data_dir && !data_dir->empty() ? *data_dir : std::string("./data")) + "/uploads";
}

// The first file_processor.v1 whose table has `process`.
std::optional<sdk::Host::ServiceRef> FindProcessor(const sdk::Host& host) {
  for (auto& s : host.Services(WH_SERVICE_FILE_PROCESSOR_V1))
    if (s.vtable != nullptr &&
        s.vtable_size >= offsetof(wh_file_processor_v1, process) + sizeof(void*))
      return s;
  return std::nullopt;
}

// The built-in extraction: the text of a text-like file (valid UTF-8, a BOM dropped), or
// nullopt (not text, too large, not UTF-8): completed without content.
std::optional<std::string> ExtractText(const FileRow& row, const Storage& storage) {
  const std::string type = StringField(row.meta, "content_type");
  if (!row.path || !IsTextLike(type, row.filename)) return std::nullopt;
  const auto size = storage.Size(*row.path);
  if (!size || *size > kMaxTextBytes) return std::nullopt;
  auto in = storage.Open(*row.path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in->rdbuf();
  std::string s = std::move(text).str();
  if (s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);
  if (!IsValidUtf8(s)) return std::nullopt;
  return s;
}

void AppendTo(void* user, wh_str piece) {
  static_cast<std::string*>(user)->append(sdk::FromWh(piece));
}

struct ProcessorCancel {
  const std::function<bool()>* cancelled;
  static int Check(void* user) {
    auto* c = static_cast<ProcessorCancel*>(user);
    try {
      return (*c->cancelled)() ? 1 : 0;
    } catch (...) {
      return 1;
    }
  }
};

}  // namespace

void FilesPlugin::Init(sdk::Host& host) {
  host_ = &host;
  store_ = std::make_unique<FileStore>(host);
  store_->Migrate();
  storage_ = std::make_unique<LocalStorage>(UploadDir(host));
  max_upload_bytes_ = MaxUploadBytes(host);
  AddRoutes();
  OfferFilesService();
  host.Subscribe(WH_CHANNEL_AUTH_CHANGED,
                 [this](std::string_view, std::string_view user_id) { OnAuthChanged(user_id); });
}

void FilesPlugin::Shutdown() {
  stopping_ = true;
  tasks_.Shutdown();
}

std::int64_t FilesPlugin::CurrentMaxUploadBytes() const {
  // Once a plugin (rag) declares Open WebUI's setting, an administrator's lower value applies
  // too (the route's own limit, answered before the body, is fixed at start).
  if (auto configured = host_->ConfigJson("rag.file.max_size")) {
    if (auto mb = sdk::json::Parse(*configured); mb && mb->is_number() && mb->get<double>() > 0) {
      const double bytes = mb->get<double>() * static_cast<double>(kMiB);
      if (bytes < static_cast<double>(max_upload_bytes_)) return static_cast<std::int64_t>(bytes);
    }
  }
  return max_upload_bytes_;
}

std::vector<std::string> FilesPlugin::AllowedExtensions() const {
  std::vector<std::string> out;
  // Once a plugin (rag) declares Open WebUI's setting, the administrator's value applies.
  if (auto configured = host_->ConfigJson("rag.file.allowed_extensions")) {
    if (auto list = sdk::json::Parse(*configured); list && list->is_array()) {
      for (const auto& e : *list)
        if (e.is_string() && !Trim(e.get<std::string>()).empty())
          out.push_back(Trim(e.get<std::string>()));
      return out;
    }
  }
  const char* name = "";
  auto env = FirstEnv(*host_, {"RAG_ALLOWED_FILE_EXTENSIONS", "ALLOWED_FILE_EXTENSIONS"}, &name);
  if (!env) return out;
  std::string_view rest = *env;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string item = Trim(rest.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

FileRow FilesPlugin::Create(NewFile file) {
  FileRow row;
  row.filename = DisplayName(file.client_name);
  if (file.process) {
    // Open WebUI's check (routers/files.py): the extension without its dot, as listed.
    const auto allowed = AllowedExtensions();
    if (!allowed.empty()) {
      const std::string ext = Extension(row.filename);
      bool ok = false;
      for (const auto& a : allowed) {
        std::string_view want = a;
        if (!want.empty() && want.front() == '.') want.remove_prefix(1);
        if (sdk::IEquals(want, ext)) ok = true;
      }
      if (!ok)
        throw sdk::BadRequest(sdk::messages::Default("File type " + ext + " is not allowed"));
    }
  }
  row.id = NewFileId();
  row.user_id = file.owner_id;
  // Only the id and a sanitised form of the name reach the file system (T25).
  const std::string stored = row.id + "_" + StoredName(row.filename);
  row.path = file.source_path.empty() ? storage_->PutBytes(file.bytes, stored)
                                      : storage_->PutFile(file.source_path, stored);
  const auto size = storage_->Size(*row.path);
  row.data = file.process ? json{{"status", "pending"}} : json::object();
  row.meta = {
      {"name", row.filename},
      {"content_type", file.content_type.empty() ? json() : json(ValidUtf8(file.content_type))},
      {"size", size.value_or(file.size)},
      {"data", file.client_meta.is_object() ? file.client_meta : json::object()}};
  row.created_at = row.updated_at = NowSeconds();
  try {
    store_->Insert(row);
  } catch (...) {
    try {
      storage_->Remove(*row.path);
    } catch (...) {
    }
    throw;
  }
  if (file.process) StartProcessing(row.id);
  return row;
}

bool FilesPlugin::MayAccess(const FileRow& file, const Asker& who, std::string_view type) {
  if (who.admin || (!who.id.empty() && file.user_id == who.id)) return true;
  if (!file.access_control.is_object()) return false;
  std::set<std::string> groups;
  if (!host_->Services(WH_SERVICE_GROUPS_V1).empty()) {
    for (const auto& g : sdk::Groups(*host_).GroupsOf(who.id))
      if (g.is_string()) groups.insert(g.get<std::string>());
  }
  if (sdk::HasAccess(who.id, type, file.access_control, groups)) return true;
  // Whoever may write may read.
  return type == "read" && sdk::HasAccess(who.id, "write", file.access_control, groups);
}

bool FilesPlugin::Delete(const FileRow& file) {
  // The row goes first: a processing cut short by the cancel then records nothing.
  const bool deleted = store_->Delete(file.id);
  tasks_.Cancel(file.id);
  if (file.path) {
    try {
      storage_->Remove(*file.path);
    } catch (const std::exception& e) {
      // The row is gone, which is what users see; the orphan is logged for the operator.
      host_->Warn(std::string("file ") + file.id + ": " + e.what());
    }
  }
  for (auto& s : host_->Services(WH_SERVICE_FILE_PROCESSOR_V1)) {
    if (s.vtable == nullptr ||
        s.vtable_size < offsetof(wh_file_processor_v1, removed) + sizeof(void*))
      continue;
    auto* vt = static_cast<const wh_file_processor_v1*>(s.vtable);
    if (vt->removed != nullptr) vt->removed(s.user, sdk::ToWh(file.id));
  }
  return deleted;
}

void FilesPlugin::StartProcessing(const std::string& id) {
  const auto started = tasks_.Start(id, "process file " + id, [this, id](sdk::Task& task) {
    Process(id, std::nullopt, [&task] { return task.Cancelled(); });
  });
  if (started == sdk::TaskRunner::Started::kOk) return;
  // kDuplicate cannot happen for a new id; kFull or a shutdown: say so on the row, so the
  // status stream ends instead of waiting for work nobody will do.
  MarkFailed(id, "Too many files are being processed; upload this one again later.");
}

void FilesPlugin::MarkFailed(const std::string& id, const std::string& error) {
  try {
    auto row = store_->Get(id);
    if (!row) return;
    row->data["status"] = "failed";
    row->data["error"] = error;
    store_->SaveData(id, row->data, row->hash, row->meta);
  } catch (const std::exception& e) {
    host_->Warn("file " + id + ": cannot record its failure: " + e.what());
  }
}

std::optional<FileRow> FilesPlugin::ProcessNow(const std::string& id,
                                               const std::optional<std::string>& content) {
  Process(id, content, [this] { return stopping_.load(); });
  return store_->Get(id);
}

void FilesPlugin::Process(const std::string& id, const std::optional<std::string>& content,
                          const std::function<bool()>& cancelled) {
  // Wait for a slot, still noticing a shutdown.
  while (!slots_.try_acquire_for(std::chrono::milliseconds(200))) {
    if (cancelled()) {
      // Shutting down: the file would stay pending for good (its status stream with it).
      MarkFailed(id, kInterrupted);
      return;
    }
  }
  struct Release {
    std::counting_semaphore<kProcessing>& s;
    ~Release() { s.release(); }
  } release{slots_};
  if (cancelled()) {
    MarkFailed(id, kInterrupted);
    return;
  }

  auto row = store_->Get(id);
  if (!row) return;  // deleted meanwhile
  json data = row->data;
  json meta = row->meta;
  std::optional<std::string> hash = row->hash;
  std::optional<std::string> text;
  std::optional<std::string> error;

  try {
    if (auto processor = FindProcessor(*host_)) {
      auto* vt = static_cast<const wh_file_processor_v1*>(processor->vtable);
      const std::string model = sdk::json::Dump(ToModel(*row, true));
      const std::string local = row->path ? storage_->LocalPath(*row->path).value_or("") : "";
      const std::string options =
          content ? sdk::json::Dump(json{{"content", *content}}) : std::string("{}");
      ProcessorCancel cancel{&cancelled};
      std::string out;
      const wh_status st =
          vt->process(processor->user, sdk::ToWh(model), sdk::ToWh(local), sdk::ToWh(options),
                      &ProcessorCancel::Check, &cancel, &AppendTo, &out);
      if (st == WH_OK) {
        auto result = sdk::json::Parse(out);
        if (!result || !result->is_object()) {
          error = "The file processor gave an unreadable result.";
        } else {
          if (auto c = result->find("content"); c != result->end() && c->is_string())
            text = c->get<std::string>();
          if (auto m = result->find("meta"); m != result->end() && m->is_object()) meta.update(*m);
        }
      } else {
        error = cancelled()   ? std::string(kInterrupted)
                : out.empty() ? std::string("Processing failed.")
                              : ValidUtf8(out);
      }
    } else if (content) {
      text = *content;
    } else {
      text = ExtractText(*row, *storage_);
    }
  } catch (const std::exception& e) {
    error = std::string("Processing failed: ") + e.what();
  }
  if (cancelled() && !error && !text) error = kInterrupted;

  if (error) {
    data["status"] = "failed";
    data["error"] = *error;
  } else {
    data["status"] = "completed";
    data.erase("error");
    if (text) {
      data["content"] = ValidUtf8(*text);
      hash = Sha256Hex(*text);
    }
  }
  try {
    store_->SaveData(id, data, hash, meta);
  } catch (const std::exception& e) {
    host_->Warn("file " + id + ": cannot record its processing: " + e.what());
  }
}

// Open WebUI deletes a user's files with the user. Accounts belong to the auth plugin, which
// announces every change to one on this channel: a user that users.v1 no longer knows was
// deleted, whoever deleted them (an admin, scim, the CLI).
void FilesPlugin::OnAuthChanged(std::string_view user_id) {
  if (user_id.empty() || host_->Services(WH_SERVICE_USERS_V1).empty()) return;
  try {
    if (sdk::Users(*host_).Get(user_id)) return;  // still there: a sign-out, a role change...
    std::size_t n = 0;
    for (const auto& f : store_->List(std::string(user_id)))
      if (Delete(f)) ++n;
    if (n > 0)
      host_->Info("deleted the " + std::to_string(n) + " files of removed user " +
                  std::string(user_id));
  } catch (const std::exception& e) {
    // An outage: keep everything (deleting on a guess would lose data).
    host_->Warn(std::string("could not check a changed user: ") + e.what());
  }
}

}  // namespace webui::files

WEBUI_HOST_PLUGIN(webui::files::FilesPlugin, "files", "1.0.0",
                  "Uploaded files: /api/v1/files, background processing, files.v1")
