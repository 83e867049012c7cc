// The "files" plugin: owns Open WebUI's `file` table and the upload storage, serves
// /api/v1/files/*, processes uploads in the background (through a file_processor.v1 such as
// rag's, or its own text extraction) and offers files.v1 to the plugins that store files (rag,
// images, audio). The routes live in routes.cpp, files.v1 in service.cpp.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>

#include "file_store.hpp"
#include "storage.hpp"

namespace webui::files {

// Who asks, as the access rules see it.
struct Asker {
  std::string id;
  bool admin = false;
};

// What a new file is made of (an upload, or a files.v1 store).
struct NewFile {
  std::string owner_id;
  std::string client_name;  // any text: it becomes the display name, never a path
  std::string content_type;
  json client_meta = json::object();  // meta.data
  bool process = true;
  // The bytes: `source_path` (taken away) when not empty, else `bytes`.
  std::string source_path;
  std::string_view bytes;
  std::uint64_t size = 0;
};

class FilesPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;
  void Shutdown() override;

  // -- used by the routes and by files.v1 --
  sdk::Host& host() { return *host_; }
  FileStore& store() { return *store_; }
  Storage& storage() { return *storage_; }

  // Stores the bytes, inserts the row and (when asked) starts processing. Throws HttpError 400
  // for a name the configured extensions refuse.
  FileRow Create(NewFile file);
  // Whether `who` may `type` ("read" | "write") `file`: the owner and admins, else a grant in
  // its access_control (null: private).
  bool MayAccess(const FileRow& file, const Asker& who, std::string_view type);
  // Deletes the row and the bytes, and tells the processors; false when the row was gone.
  bool Delete(const FileRow& file);
  // Runs processing of `id` now, on this thread (POST .../data/content/update): `content` is
  // the text to use instead of extracting. Returns the row afterwards.
  std::optional<FileRow> ProcessNow(const std::string& id,
                                    const std::optional<std::string>& content);
  // The most bytes one upload may have (RAG_FILE_MAX_SIZE, read at start): the route's limit.
  std::int64_t max_upload_bytes() const { return max_upload_bytes_; }
  // That, or the lower rag.file.max_size an administrator saved once a plugin declares it.
  std::int64_t CurrentMaxUploadBytes() const;

 private:
  void AddRoutes();          // routes.cpp
  void OfferFilesService();  // service.cpp
  void OnAuthChanged(std::string_view user_id);
  // Queues background processing of `id`; marks the file failed when the queue is full.
  void StartProcessing(const std::string& id);
  // One file's processing, by the first file_processor.v1 or the built-in text extraction;
  // records completed or failed on the row. `cancelled` ends it early (shutdown).
  void Process(const std::string& id, const std::optional<std::string>& content,
               const std::function<bool()>& cancelled);
  // Records data.status "failed" with `error` (never throws: called on the way out).
  void MarkFailed(const std::string& id, const std::string& error);
  // The allowed extensions (RAG_ALLOWED_FILE_EXTENSIONS, or rag's setting once it declares one);
  // empty: all.
  std::vector<std::string> AllowedExtensions() const;

  sdk::Host* host_ = nullptr;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<Storage> storage_;
  std::int64_t max_upload_bytes_ = 0;
  // Processing runs on these threads, never on an HTTP worker; at most kProcessing at once (an
  // embedding provider is the bottleneck), the others wait their turn.
  static constexpr std::ptrdiff_t kProcessing = 4;
  std::counting_semaphore<kProcessing> slots_{kProcessing};
  sdk::TaskRunner tasks_{256};
  std::atomic<bool> stopping_{false};
};

}  // namespace webui::files
