// POST /api/chat/completions (main.py chat_completion + utils/middleware.py
// process_chat_response), /api/chat/completed and /api/tasks*.
//
// Without session_id/chat_id/id the completion streams back directly: every provider piece is
// written as one SSE event the moment it arrives; a client that leaves aborts the provider (it
// is polled on every silence tick, at least every 250 ms); an upstream that drops after the
// stream started ends with an explicit error event and [DONE]. With all three, the completion
// runs as a background task whose progress goes out as Socket.IO "chat-events" and whose answer
// is saved into the chat row, so it survives a reload even with nobody listening.
#include <webui_host/services/socket_emitter.h>
#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "chat_plugin.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;

namespace {

using Clock = std::chrono::steady_clock;
// An idle SSE stream gets a comment this often so proxies keep it open (docs/security.md T39).
constexpr auto kKeepAlive = std::chrono::seconds(15);

std::string StringField(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int StatusFor(wh_status st, int http_status) {
  if (http_status >= 400 && http_status <= 599) return http_status;
  switch (st) {
    case WH_UNAVAILABLE:
      return 502;
    case WH_TIMEOUT:
      return 504;
    case WH_NOT_FOUND:
      return 404;
    case WH_INVALID:
      return 400;
    default:
      return 500;
  }
}

std::string ErrorText(wh_status st, const std::string& error) {
  if (!error.empty()) return error;
  switch (st) {
    case WH_UNAVAILABLE:
      return "Open WebUI: Server Connection Error";
    case WH_TIMEOUT:
      return "The model did not answer in time";
    case WH_CLOSED:
      return "The model's response ended unexpectedly";
    default:
      return "Something went wrong :/";
  }
}

// 0.6.32 sends the retrieved sources ahead of the answer: the first SSE event of a stream, or
// top-level fields of a whole answer (the model's own fields win).
std::string SourcesEvent(const json& sources) {
  return "data: " + Dump(json{{"sources", sources}}) + "\n\n";
}

json WithSources(json whole, const json& sources) {
  if (sources.empty() || !whole.is_object() || whole.contains("sources")) return whole;
  whole["sources"] = sources;
  return whole;
}

bool WantsStream(const json& payload) {
  auto it = payload.find("stream");
  return it != payload.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

void ChatPlugin::AddCompletionRoutes() {
  sdk::Host& h = *host_;
  auto completion = [this](Request& req, Response& res) { HandleCompletion(req, res); };
  h.Route("POST", "/api/chat/completions", Auth::kVerified, completion);
  h.Route("POST", "/api/v1/chat/completions", Auth::kVerified, completion);

  h.Route("POST", "/api/chat/completed", Auth::kVerified, [this](Request& req, Response& res) {
    json body = sdk::JsonBody(req);
    body.erase("model_item");
    const std::string model = StringField(body, "model");
    const auto models = AllModels(false);
    if (std::none_of(models.begin(), models.end(),
                     [&](const json& m) { return m.value("id", "") == model; }))
      throw sdk::BadRequest(kModelNotFound);
    // No outlet filters run here: the body comes back as it was sent.
    sdk::Reply(res, body);
  });

  h.Route("GET", "/api/tasks", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    sdk::Reply(res, json{{"tasks", tasks_->List(user.IsAdmin() ? std::string() : user.id)}});
  });
  h.Route("GET", "/api/tasks/chat/{chat_id}", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const std::string chat_id(req.PathParam("chat_id").value_or(""));
    json ids = json::array();
    if (store_->GetChatOwned(chat_id, user.id)) ids = tasks_->ListByChat(chat_id);
    sdk::Reply(res, json{{"task_ids", ids}});
  });
  h.Route("POST", "/api/tasks/stop/{task_id}", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const std::string id(req.PathParam("task_id").value_or(""));
            auto owner = tasks_->OwnerOf(id);
            // Another user's task is as unknown as a missing one.
            if (!owner || (*owner != user.id && !user.IsAdmin()) || !tasks_->Stop(id))
              throw sdk::NotFound("Task not found");
            sdk::Reply(
                res, json{{"status", true}, {"message", "Task " + id + " successfully stopped."}});
          });
}

void ChatPlugin::HandleCompletion(Request& req, Response& res) {
  const User user = CurrentUser(req);
  const json body = sdk::JsonBody(req);
  const std::string chat_id = StringField(body, "chat_id");
  const std::string message_id = StringField(body, "id");
  const std::string session_id = StringField(body, "session_id");
  const bool local = StartsWith(chat_id, "local:");
  // Threats T10: another user's chat is unknown, checked before anything reaches a model.
  if (!chat_id.empty() && !local && !store_->GetChatOwned(chat_id, user.id)) throw sdk::NotFound();

  ResolvedModel rm = Resolve(body.value("model", json()), user);
  PromptContext ctx;
  ctx.user_name = user.name;
  if (body.contains("variables") && body["variables"].is_object())
    ctx.variables = body["variables"];
  json payload = BuildUpstreamBody(body);
  if (rm.info) payload = ApplyModelParams(payload, rm.info->params, ctx);
  payload["model"] = rm.upstream_id;
  const bool background = !session_id.empty() && !chat_id.empty() && !message_id.empty();
  BackgroundJob job;
  job.user = user;
  job.chat_id = chat_id;
  job.message_id = message_id;
  job.session_id = session_id;
  job.local = local;
  if (!background) {
    const json sources = PrepareCompletion(job, body, rm, payload, /*emit=*/false);
    StreamDirect(rm, payload, sources, res);
    return;
  }
  job.model_id = body.at("model").get<std::string>();
  job.model = rm;
  job.payload = payload;
  job.messages = body.value("messages", json::array());
  job.background_tasks = body.value("background_tasks", json());
  std::optional<std::string> task_id;
  if (HasWorkBeforeModel(body, rm)) {
    // An image, retrieval (maybe a task model's queries) or a web search comes first: seconds to
    // minutes. As 0.6.32's process_chat, that runs in the task, after its id is answered, on a
    // thread of the task runner that then waits for the model too.
    task_id = tasks_->Start(chat_id, user.id, [this, job, body](Task& task) mutable {
      try {
        job.sources = PrepareCompletion(job, body, job.model, job.payload, /*emit=*/true);
      } catch (const std::exception& e) {
        // Each step reports its own failure to the user; the model still answers.
        host_->Warn(std::string("preparing a chat completion failed: ") + e.what());
      }
      RunBackground(task, job);
    });
  } else if (rm.provider->HasChatAsync()) {
    // Read on the host's relay: no thread waits for the model (a provider that cannot, below,
    // gets one of the task runner's).
    if (auto task = tasks_->Track(chat_id, user.id)) {
      task_id = (*task)->id();
      StreamBackground(std::move(*task), std::move(job));
    }
  } else {
    task_id =
        tasks_->Start(chat_id, user.id, [this, job](Task& task) { RunBackground(task, job); });
  }
  // Shutting down, or TaskRegistry's limit of background completions reached.
  if (!task_id) throw HttpError(503, sdk::kServiceUnavailable);
  sdk::Reply(res, json{{"status", true}, {"task_id", *task_id}});
}

bool ChatPlugin::HasWorkBeforeModel(const json& body, const ResolvedModel& rm) {
  const json features = body.value("features", json::object());
  const auto on = [&](const char* name) {
    return features.is_object() && features.value(name, json()).is_boolean() &&
           features[name].get<bool>();
  };
  const json files = body.value("files", json());
  const json knowledge =
      rm.info && rm.info->meta.is_object() ? rm.info->meta.value("knowledge", json()) : json();
  return on("image_generation") || on("web_search") || (files.is_array() && !files.empty()) ||
         (knowledge.is_array() && !knowledge.empty());
}

json ChatPlugin::PrepareCompletion(const BackgroundJob& job, const json& body,
                                   const ResolvedModel& rm, json& payload, bool emit) {
  // As 0.6.32: web search, then the image, then the files. Their events reach the web UI over
  // Socket.IO, which only a background completion has; the status events (statusHistory, as
  // 0.6.32's emitter appends them) and the image are kept on the assistant message, so a reload
  // still shows them.
  json status_history = json::array();
  const auto send = [&](const json& event) {
    if (!emit) return;
    Emit(job, event);
    if (job.local) return;
    const std::string type = event.value("type", "");
    json fields;
    if (type == "status") {
      status_history.push_back(event.value("data", json::object()));
      fields = {{"statusHistory", status_history}};
    } else if (type == "files") {
      fields = {{"files", event["data"]["files"]}};
    } else {
      return;
    }
    try {
      store_->UpsertChatMessage(job.chat_id, job.message_id, fields);
    } catch (const std::exception& e) {
      host_->LogError(std::string("could not save an event of a message: ") + e.what());
    }
  };
  const json web_items = SearchWeb(job.user, body, rm, payload, send);
  GenerateImage(job.user, body, payload, send);
  return RetrieveContext(job.user, body, rm, payload, web_items, send);
}

namespace {

// The direct answer written on the host's relay (ModelProvider::ChatRelay): the same events the
// blocking path below writes, without a thread waiting for the model. Keep-alive comments come
// from the relay itself.
class DirectAnswer final : public sdk::ModelProvider::ChatRelayConsumer {
 public:
  DirectAnswer(bool stream, json sources) : stream_(stream), sources_(std::move(sources)) {}

  bool OnPiece(sdk::Relay& client, std::string_view piece) override {
    if (piece.empty()) return true;  // silence: the relay watches the client
    if (!stream_) {
      if (whole_.size() + piece.size() > kMaxWhole) return false;
      whole_.append(piece);
      return true;
    }
    if (!client.streaming() && !Begin(client)) return false;
    std::string frame;
    frame.reserve(piece.size() + 8);
    frame.append("data: ").append(piece).append("\n\n");
    return client.Write(frame);
  }

  void OnEnd(sdk::Relay& client, const sdk::ServiceResult& r) override {
    if (r.status == WH_CLOSED && client.client_gone()) return;
    if (stream_) {
      if (r.ok()) {
        if (!client.streaming()) Begin(client);
        client.Write("data: [DONE]\n\n");
      } else if (client.streaming()) {
        // Never a silent truncation (docs/security.md T37).
        const json event = {
            {"error", {{"message", ErrorText(r.status, r.error)}, {"type", "upstream_error"}}}};
        client.Write("data: " + Dump(event) + "\n\n");
        client.Write("data: [DONE]\n\n");
      } else {
        client.RespondError(StatusFor(r.status, r.http_status), ErrorText(r.status, r.error));
      }
      return;
    }
    if (!r.ok()) {
      client.RespondError(StatusFor(r.status, r.http_status), ErrorText(r.status, r.error));
      return;
    }
    auto parsed = sdk::json::Parse(whole_);
    if (!parsed) {
      client.RespondError(502, "The model returned an invalid response");
      return;
    }
    if (sources_.empty()) {
      client.Respond(200, "application/json", whole_);
      return;
    }
    client.Respond(200, "application/json", Dump(WithSources(std::move(*parsed), sources_)));
  }

 private:
  bool Begin(sdk::Relay& client) {
    if (!client.BeginStream(200, "text/event-stream")) return false;
    return sources_.empty() || client.Write(SourcesEvent(sources_));
  }

  // A whole (non-streamed) answer is held until it is checked; beyond this it is refused.
  static constexpr std::size_t kMaxWhole = 64u << 20;
  bool stream_;
  json sources_;
  std::string whole_;
};

}  // namespace

void ChatPlugin::StreamDirect(const ResolvedModel& rm, const json& payload, const json& sources,
                              Response& res) {
  if (rm.provider->HasChatRelay()) {
    const sdk::ServiceResult handed = rm.provider->ChatRelay(
        Dump(payload), res, std::make_unique<DirectAnswer>(WantsStream(payload), sources));
    if (handed.ok()) return;  // the relay answers
    throw HttpError(StatusFor(handed.status, handed.http_status),
                    ErrorText(handed.status, handed.error));
  }
  struct Ctx {
    Response* res;
    const json* sources;
    bool stream;
    bool started = false;
    bool gone = false;
    Clock::time_point last_write = Clock::now();
    std::string whole;
  } ctx;
  ctx.res = &res;
  ctx.sources = &sources;
  ctx.stream = WantsStream(payload);
  // A stream begins with the sources event, if any.
  auto begin = [&ctx] {
    ctx.res->BeginStream("text/event-stream");
    ctx.started = true;
    if (!ctx.sources->empty()) ctx.res->Write(SourcesEvent(*ctx.sources));
  };

  auto on_piece = [c = &ctx, &begin](std::string_view piece) -> bool {
    try {
      if (piece.empty()) {  // silence tick: is anybody still listening?
        if (!c->res->ClientConnected()) {
          c->gone = true;
          return false;
        }
        if (c->started && Clock::now() - c->last_write > kKeepAlive) {
          if (!c->res->Write(": keep-alive\n\n")) {
            c->gone = true;
            return false;
          }
          c->last_write = Clock::now();
        }
        return true;
      }
      if (!c->stream) {
        c->whole.append(piece);
        return true;
      }
      if (!c->started) begin();
      std::string frame;
      frame.reserve(piece.size() + 8);
      frame.append("data: ").append(piece).append("\n\n");
      if (!c->res->Write(frame)) {
        c->gone = true;
        return false;
      }
      c->last_write = Clock::now();
      return true;
    } catch (...) {
      c->gone = true;
      return false;
    }
  };

  const std::string request = Dump(payload);
  const sdk::ServiceResult call = rm.provider->Chat(request, on_piece);
  const wh_status st = call.status;
  const int http_status = call.http_status;
  const std::string& error = call.error;
  if (ctx.gone) {
    if (!ctx.started) res.Error(499, "Client closed the connection");
    return;
  }
  if (ctx.stream) {
    if (st == WH_OK) {
      if (!ctx.started) begin();
      res.Write("data: [DONE]\n\n");
      return;
    }
    if (ctx.started) {
      // Never a silent truncation (docs/security.md T37): say what happened, then end properly.
      const json event = {
          {"error", {{"message", ErrorText(st, error)}, {"type", "upstream_error"}}}};
      res.Write("data: " + Dump(event) + "\n\n");
      res.Write("data: [DONE]\n\n");
      return;
    }
    throw HttpError(StatusFor(st, http_status), ErrorText(st, error));
  }
  if (st != WH_OK) throw HttpError(StatusFor(st, http_status), ErrorText(st, error));
  json whole = sdk::json::Parse(ctx.whole).value_or(json(json::value_t::discarded));
  if (whole.is_discarded())
    throw sdk::UpstreamError(sdk::UpstreamError::Kind::kBadGateway,
                             "The model returned an invalid response");
  if (sources.empty()) {
    res.Json(ctx.whole);
    return;
  }
  res.Json(Dump(WithSources(std::move(whole), sources)));
}

// ---- background -------------------------------------------------------------------------------

void ChatPlugin::Emit(const BackgroundJob& job, const json& event) {
  const auto emitters = sdk::SocketEmitter::All(*host_);
  if (emitters.empty()) return;  // no Socket.IO server: the saved chat is the result
  const std::string text =
      Dump(json{{"chat_id", job.chat_id}, {"message_id", job.message_id}, {"data", event}});
  // The requesting session and every socket of the user, each socket once (Open WebUI emits to
  // the union of the two).
  const std::string to = job.session_id + ",user:" + job.user.id;
  for (const auto& emitter : emitters) {
    // 0.6 frontends listen to "chat-events", newer ones to "events".
    for (const char* name : {"chat-events", "events"}) emitter.Emit(to, name, text);
  }
}

// The sources go out before the first piece of the answer and are kept on the assistant
// message, so a reload still shows the citations (0.6.32 upserts them the same way).
void ChatPlugin::EmitSources(const BackgroundJob& job) {
  if (job.sources.empty()) return;
  Emit(job, {{"type", "chat:completion"}, {"data", {{"sources", job.sources}}}});
  if (job.local) return;
  try {
    store_->UpsertChatMessage(job.chat_id, job.message_id, {{"sources", job.sources}});
  } catch (const std::exception& e) {
    host_->LogError(std::string("could not save the sources of a message: ") + e.what());
  }
}

// What a background completion has received so far; fed piece by piece, on whichever thread
// reads the model (a task runner thread, or the host's relay: nothing here blocks).
struct ChatPlugin::BackgroundProgress {
  BackgroundProgress(ChatPlugin* self, BackgroundJob job, std::shared_ptr<Task> task)
      : self(self),
        job(std::move(job)),
        task(std::move(task)),
        stream(WantsStream(this->job.payload)) {}

  // false: stop reading (the task was stopped).
  bool OnPiece(std::string_view piece) {
    if (task->Cancelled()) return false;
    if (piece.empty()) return true;
    try {
      json chunk = sdk::json::Parse(piece).value_or(json(json::value_t::discarded));
      if (chunk.is_discarded()) return true;
      if (!stream) {
        whole = std::move(chunk);
        return true;
      }
      if (chunk.contains("error") && !chunk["error"].is_null()) {
        const json& e = chunk["error"];
        stream_error = e.is_object() ? e.value("message", Dump(e)) : Dump(e);
        self->Emit(job, {{"type", "chat:completion"}, {"data", {{"error", e}}}});
        return true;
      }
      if (chunk.contains("usage") && chunk["usage"].is_object())
        self->Emit(job, {{"type", "chat:completion"}, {"data", {{"usage", chunk["usage"]}}}});
      const std::string delta = ChunkDeltaContent(chunk);
      if (!delta.empty()) {
        content += delta;
        // Cumulative content, as upstream sends it: a late listener still shows everything.
        self->Emit(job, {{"type", "chat:completion"}, {"data", {{"content", content}}}});
      }
    } catch (...) {
    }
    return true;
  }

  ChatPlugin* self;
  BackgroundJob job;
  std::shared_ptr<Task> task;
  bool stream;
  std::string content;
  json whole;
  std::string stream_error;
};

void ChatPlugin::RunBackground(Task& task, const BackgroundJob& job) {
  EmitSources(job);
  // The runner owns `task` for as long as this runs: a non-owning handle to it.
  BackgroundProgress progress(this, job, std::shared_ptr<Task>(&task, [](Task*) {}));
  const sdk::ServiceResult call = job.model.provider->Chat(
      Dump(job.payload), [&progress](std::string_view piece) { return progress.OnPiece(piece); });
  FinishBackground(progress, call);
}

void ChatPlugin::StreamBackground(std::shared_ptr<Task> task, BackgroundJob job) {
  // Pieces arrive on the relay thread; the end (database, title: blocking work) is posted to
  // the registry's workers, and the task stays listed until that is done.
  class Consumer final : public sdk::ModelProvider::ChatConsumer {
   public:
    explicit Consumer(std::shared_ptr<BackgroundProgress> progress)
        : progress_(std::move(progress)) {}
    bool OnPiece(std::string_view piece) override { return progress_->OnPiece(piece); }
    void OnEnd(const sdk::ServiceResult& result) override {
      auto progress = progress_;
      ChatPlugin* self = progress->self;
      const std::string id = progress->task->id();
      const bool posted = self->tasks_->Post([progress, result] {
        progress->self->FinishBackground(*progress, result);
        progress->self->tasks_->Finish(progress->task->id());
      });
      if (!posted) self->tasks_->Finish(id);  // shutting down: nothing more is saved
    }

   private:
    std::shared_ptr<BackgroundProgress> progress_;
  };
  EmitSources(job);
  const std::string request = Dump(job.payload);
  const sdk::ModelProvider provider = *job.model.provider;
  auto progress = std::make_shared<BackgroundProgress>(this, std::move(job), std::move(task));
  if (!provider.ChatAsync(request, std::make_unique<Consumer>(progress))) {
    FinishBackground(*progress, sdk::ServiceResult{WH_ERROR, 500, "the model provider refused"});
    tasks_->Finish(progress->task->id());
  }
}

void ChatPlugin::FinishBackground(BackgroundProgress& progress, const sdk::ServiceResult& call) {
  const BackgroundJob& job = progress.job;
  const Task& task = *progress.task;
  auto save = [&](json fields) {
    if (job.local) return;
    fields["id"] = job.message_id;
    fields["role"] = "assistant";
    fields["model"] = job.model_id;
    try {
      store_->UpsertChatMessage(job.chat_id, job.message_id, fields);
    } catch (const std::exception& e) {
      host_->LogError(std::string("could not save the assistant message: ") + e.what());
    }
  };
  auto chat_title = [&]() -> json {
    if (job.local) return nullptr;
    try {
      if (auto c = store_->GetChat(job.chat_id)) return c->title;
    } catch (...) {
    }
    return nullptr;
  };

  const wh_status st = call.status;
  const std::string& error = call.error;

  if (task.Cancelled()) {
    Emit(job, {{"type", "chat:tasks:cancel"}});
    save({{"content", progress.content}, {"done", true}});
    return;
  }
  if (!progress.stream && st == WH_OK) {
    progress.content = CompletionContent(progress.whole);
    if (!progress.content.empty())
      Emit(job, {{"type", "chat:completion"}, {"data", progress.whole}});
  }
  std::string failure;
  if (st != WH_OK)
    failure = ErrorText(st, error);
  else if (!progress.stream_error.empty())
    failure = progress.stream_error;
  if (!failure.empty()) {
    // Nobody may be watching a background completion: the log is where an operator finds why
    // an answer ended in an error.
    host_->Warn("background completion " + task.id() + " of chat " + job.chat_id +
                " failed: " + failure);
    if (st != WH_OK)
      Emit(job, {{"type", "chat:completion"}, {"data", {{"error", {{"message", failure}}}}}});
    save({{"content", progress.content}, {"error", {{"content", failure}}}, {"done", true}});
  } else {
    save({{"content", progress.content}, {"done", true}});
  }
  Emit(job, {{"type", "chat:completion"},
             {"data", {{"done", true}, {"content", progress.content}, {"title", chat_title()}}}});
  if (failure.empty() && !task.Cancelled()) RunBackgroundTasks(job, progress.content);
}

}  // namespace webui::chat
