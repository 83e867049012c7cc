// /api/v1/files/*: Open WebUI 0.6.32's routes (routers/files.py), with its shapes and texts. A
// file the caller may not see answers 404 everywhere, exactly like a missing one (T12).
#include <chrono>
#include <thread>

#include "files_plugin.hpp"
#include "naming.hpp"

namespace webui::files {

using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

constexpr std::size_t kPiece = 64 * 1024;
// The status stream: a poll every 0.5 s, for at most an hour (Open WebUI's 7200 polls).
constexpr auto kStatusPoll = std::chrono::milliseconds(500);
constexpr int kStatusPolls = 7200;
// process_in_background=false waits this long for the processing at most.
constexpr auto kForegroundWait = std::chrono::minutes(10);

bool QueryFlag(const Request& req, std::string_view name, bool fallback) {
  auto v = req.Query(name);
  if (!v) return fallback;
  if (sdk::IEquals(*v, "true") || *v == "1" || sdk::IEquals(*v, "yes")) return true;
  if (sdk::IEquals(*v, "false") || *v == "0" || sdk::IEquals(*v, "no")) return false;
  return fallback;
}

Asker AskerOf(const Request& req) {
  const auto c = req.RequireCaller();
  return Asker{std::string(c.id), c.IsAdmin()};
}

// Sleeps up to `total` in short steps; false as soon as the client has gone.
bool WaitWhileConnected(Response& res, std::chrono::milliseconds total) {
  const auto until = std::chrono::steady_clock::now() + total;
  while (std::chrono::steady_clock::now() < until) {
    if (!res.ClientConnected()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return res.ClientConnected();
}

std::string Event(const json& value) { return "data: " + sdk::json::Dump(value) + "\n\n"; }

}  // namespace

void FilesPlugin::AddRoutes() {
  sdk::Host& host = *host_;
  // The file `id` of the path when `who` may `type` it; 404 otherwise, whatever the reason.
  const auto visible = [this](const Request& req, std::string_view type) {
    const Asker who = AskerOf(req);
    auto id = req.PathParam("id");
    if (!id) throw sdk::NotFound();
    auto row = store_->Get(std::string(*id));
    if (!row || !MayAccess(*row, who, type)) throw sdk::NotFound();
    return *row;
  };

  // --- POST / : upload (multipart, spooled to disk by the host, 413 before the body) ---
  host.Route(
      "POST", "/api/v1/files/", Auth::kVerified,
      sdk::RouteOptions{.max_body_bytes = max_upload_bytes_, .body = sdk::Body::kMultipart},
      [this](Request& req, Response& res) {
        const Asker who = AskerOf(req);
        auto part = req.FormFile("file");
        if (!part) throw sdk::Unprocessable("missing", "file", "Field required");
        const std::int64_t limit = CurrentMaxUploadBytes();
        if (part->size > static_cast<std::uint64_t>(limit))
          throw sdk::TooLarge("Request body too large (limit " + std::to_string(limit) + " bytes)");
        json client_meta = json::object();
        if (auto m = req.FormField("metadata"); m && !m->value.empty()) {
          auto parsed = sdk::json::Parse(m->value);
          if (!parsed || !(parsed->is_object() || parsed->is_null()))
            throw sdk::BadRequest(sdk::messages::Default("Invalid metadata format"));
          if (parsed->is_object()) client_meta = std::move(*parsed);
        }
        const bool process = QueryFlag(req, "process", true);
        NewFile file;
        file.owner_id = who.id;
        file.client_name = std::string(part->filename);
        file.content_type = std::string(part->content_type);
        file.client_meta = std::move(client_meta);
        file.process = process;
        file.source_path = std::string(part->file_path);
        file.size = part->size;
        FileRow row = Create(std::move(file));
        if (process && !QueryFlag(req, "process_in_background", true)) {
          // The caller wants the processed row: wait for the background task (never run
          // here).
          const auto until = std::chrono::steady_clock::now() + kForegroundWait;
          while (row.Status() == "pending" && std::chrono::steady_clock::now() < until &&
                 WaitWhileConnected(res, std::chrono::milliseconds(200))) {
            auto now = store_->Get(row.id);
            if (!now) throw sdk::NotFound();
            row = std::move(*now);
          }
        }
        json out = ToModel(row, true);
        out["status"] = true;
        sdk::Reply(res, out);
      });

  // --- GET / : the caller's files (an admin's: all), a bare array as 0.6.32 answers ---
  host.Route("GET", "/api/v1/files/", Auth::kVerified, [this](Request& req, Response& res) {
    const Asker who = AskerOf(req);
    const bool content = QueryFlag(req, "content", true);
    json out = json::array();
    for (const auto& f : store_->List(who.admin ? std::nullopt : std::optional(who.id)))
      out.push_back(ToModel(f, false, content));
    sdk::Reply(res, out);
  });

  // --- DELETE /all (admin) ---
  host.Route("DELETE", "/api/v1/files/all", Auth::kAdmin, [this](Request&, Response& res) {
    for (const auto& f : store_->List(std::nullopt)) Delete(f);
    sdk::Reply(res, {{"message", "All files deleted successfully"}});
  });

  host.Route("GET", "/api/v1/files/{id}", Auth::kVerified, [visible](Request& req, Response& res) {
    sdk::Reply(res, ToModel(visible(req, "read"), true));
  });

  host.Route(
      "GET", "/api/v1/files/{id}/data/content", Auth::kVerified,
      [visible](Request& req, Response& res) {
        const FileRow row = visible(req, "read");
        auto c = row.data.find("content");
        sdk::Reply(res, {{"content", c != row.data.end() && c->is_string() ? *c : json("")}});
      });

  // --- POST /{id}/data/content/update: new text, processed again (synchronously, as 0.6.32) ---
  host.Route(
      "POST", "/api/v1/files/{id}/data/content/update", Auth::kVerified,
      [this, visible](Request& req, Response& res) {
        const FileRow row = visible(req, "write");
        const json body = sdk::JsonBody(req);
        const std::string content = sdk::RequiredString(body, "content");
        auto after = ProcessNow(row.id, content);
        if (!after) throw sdk::NotFound();
        if (after->Status() == "failed")
          throw sdk::BadRequest(sdk::messages::Default(StringField(after->data, "error")));
        auto c = after->data.find("content");
        sdk::Reply(res, {{"content", c != after->data.end() && c->is_string() ? *c : json("")}});
      });

  // --- GET /{id}/content: the bytes, streamed from storage; bearer or the `token` cookie (the
  // auth plugin reads both for every route) ---
  host.Route(
      "GET", "/api/v1/files/{id}/content", Auth::kVerified,
      [this, visible](Request& req, Response& res) {
        const FileRow row = visible(req, "read");
        if (!row.path) throw sdk::NotFound();
        const auto size = storage_->Size(*row.path);
        auto in = size ? storage_->Open(*row.path) : nullptr;
        if (!in) throw sdk::NotFound();

        ByteRange range;
        if (auto h = req.Header("Range")) range = ParseRange(*h, *size);
        if (range.kind == ByteRange::Kind::kUnsatisfiable) {
          res.Header("Content-Range", "bytes */" + std::to_string(*size));
          res.Error(416, "Range Not Satisfiable");
          return;
        }
        const std::string name = StringField(row.meta, "name", row.filename);
        const Served served = ServedType(StringField(row.meta, "content_type"), name);
        const bool as_attachment = !served.inline_ok || QueryFlag(req, "attachment", false);
        // T23: only allow-listed types are named; everything else is an octet-stream download.
        // X-Content-Type-Options: nosniff comes with every answer of the host.
        res.Header("Content-Disposition", ContentDisposition(!as_attachment, name));
        res.Header("Accept-Ranges", "bytes");
        std::uint64_t left = *size;
        if (range.kind == ByteRange::Kind::kPartial) {
          res.Status(206);
          res.Header("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                          std::to_string(range.last) + "/" + std::to_string(*size));
          in->seekg(static_cast<std::streamoff>(range.first));
          left = range.last - range.first + 1;
        }
        res.BeginStream(served.content_type);
        std::string buf(kPiece, '\0');
        while (left > 0 && *in) {
          in->read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(left, kPiece)));
          const auto got = static_cast<std::size_t>(in->gcount());
          if (got == 0 || !res.Write(std::string_view(buf.data(), got))) return;
          left -= got;
        }
      });

  // --- GET /{id}/process/status[?stream=true] ---
  host.Route("GET", "/api/v1/files/{id}/process/status", Auth::kVerified,
             [this, visible](Request& req, Response& res) {
               FileRow row = visible(req, "read");
               if (!QueryFlag(req, "stream", false)) {
                 const std::string status = row.Status();
                 sdk::Reply(res, {{"status", status.empty() ? json() : json(status)}});
                 return;
               }
               res.BeginStream("text/event-stream");
               for (int poll = 0; poll < kStatusPolls; ++poll) {
                 if (poll > 0) {
                   auto now = store_->Get(row.id);
                   if (!now) {
                     res.Write(Event({{"status", "not_found"}}));
                     return;
                   }
                   row = std::move(*now);
                 }
                 const std::string status = row.Status();
                 if (status.empty()) return;  // a legacy row: nothing to wait for
                 if (status != "pending") {
                   json done{{"status", status}};
                   if (status == "failed") done["error"] = StringField(row.data, "error");
                   res.Write(Event(done));
                   return;
                 }
                 if (!res.Write(Event({{"status", "pending"}}))) return;
                 if (!WaitWhileConnected(res, kStatusPoll)) return;
               }
             });

  // --- DELETE /{id} ---
  host.Route("DELETE", "/api/v1/files/{id}", Auth::kVerified,
             [this, visible](Request& req, Response& res) {
               const FileRow row = visible(req, "write");
               if (!Delete(row)) throw sdk::NotFound();
               sdk::Reply(res, {{"message", "File deleted successfully"}});
             });
}

}  // namespace webui::files
