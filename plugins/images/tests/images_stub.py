#!/usr/bin/env python3
"""Loopback stand-ins for the image engines of the images plugin's tests, speaking their wire
formats (one server, distinct paths), plus a record of what each was sent.

  OpenAI-compatible:
    POST /v1/images/generations    b64_json of OPENAI_PNG; prompt "url" answers {"url"} on this
                                   server (/files/openai.png), "url:<u>" answers {"url": u},
                                   "status:<n>" answers <n> with an OpenAI error body, "big" a
                                   4 KiB image
    GET  /files/big.png            the same 4 KiB image
    GET  /files/openai.png         OPENAI_PNG (the URL reply's image)
    GET  /redirect?to=<u>          302 to <u>
  AUTOMATIC1111 (every path refuses a wrong `authorization` with 401):
    GET/POST /sdapi/v1/options     {"sd_model_checkpoint"}; POST sets it
    GET  /sdapi/v1/sd-models       [{title, model_name}]; 500 while "fail_models" is set
    POST /sdapi/v1/txt2img         {"images": [b64 A1111_PNG], "info": "<json>"}
  ComfyUI:
    GET  /object_info              CheckpointLoaderSimple.ckpt_name choices
    POST /prompt                   records the workflow; {"prompt_id"}
    GET  /history/<id>             {} for the first two polls, then the finished job
    GET  /view?filename&subfolder&type  COMFY_PNG
  Gemini:
    POST /gemini/models/<m>:predict  {"predictions": [{"bytesBase64Encoded"}]}
  Test control:
    GET  /stats                    everything seen: {"requests": [{method, path, auth, body}]}
    POST /control                  merges a JSON object into the switches (fail_models)

Any other path answers 404 and is recorded too (the "sink" tests count every request).
Prints its port on the first line of stdout, then serves until killed.
"""
import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

PNG_HEAD = b"\x89PNG\r\n\x1a\n"
OPENAI_PNG = PNG_HEAD + b"openai-stub-image"
A1111_PNG = PNG_HEAD + b"a1111-stub-image"
COMFY_PNG = PNG_HEAD + b"comfyui-stub-image"
# The web UI end-to-end run (tests/frontend/e2e-images.mjs) needs a picture a browser decodes:
# an 8x8 orange PNG in place of the OpenAI image.
if os.environ.get("IMAGES_STUB_DECODABLE") == "1":
    OPENAI_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP438OAFWEXHbQSANXCYsHiPhRjAAAAAElFTkSuQmCC")
GEMINI_PNG = PNG_HEAD + b"gemini-stub-image"
BIG_PNG = PNG_HEAD + b"x" * 4096
A1111_AUTH = "Basic " + base64.b64encode(b"sd-user:sd-pass").decode()

lock = threading.Lock()
state = {"requests": [], "checkpoint": "v1-5-pruned.safetensors", "switches": {},
         "workflows": [], "polls": {}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, raw):
        entry = {"method": self.command, "path": self.path,
                 "auth": self.headers.get("Authorization"),
                 "goog": self.headers.get("x-goog-api-key"),
                 "body": raw.decode("utf-8", "replace")}
        with lock:
            state["requests"].append(entry)

    def handle_any(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = urlsplit(self.path)
        path = url.path
        if path == "/stats":
            with lock:
                return self.reply(200, state)
        self.record(raw)
        if path == "/control":
            with lock:
                state["switches"].update(json.loads(raw))
            return self.reply(200, state["switches"])
        if path == "/v1/images/generations":
            payload = json.loads(raw)
            prompt = payload.get("prompt", "")
            if prompt.startswith("status:"):
                return self.reply(int(prompt[7:]), {"error": {"message": "stub refuses " + prompt}})
            if prompt == "url":
                port = self.server.server_address[1]
                return self.reply(200, {"data": [
                    {"url": "http://127.0.0.1:%d/files/openai.png" % port}]})
            if prompt == "big":
                return self.reply(200, {"data": [{"b64_json": base64.b64encode(BIG_PNG).decode()}]})
            if prompt.startswith("url:"):
                return self.reply(200, {"data": [{"url": prompt[4:]}]})
            return self.reply(200, {"data": [{"b64_json": base64.b64encode(OPENAI_PNG).decode()}]
                                    * int(payload.get("n", 1))})
        if path == "/redirect":
            target = parse_qs(url.query)["to"][0]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/files/big.png":
            return self.reply(200, BIG_PNG, "image/png")
        if path == "/files/openai.png":
            return self.reply(200, OPENAI_PNG, "image/png")
        if path.startswith("/sdapi/"):
            if self.headers.get("Authorization") != A1111_AUTH:
                return self.reply(401, {"detail": "Not authenticated"})
            if path == "/sdapi/v1/options":
                with lock:
                    if self.command == "POST":
                        state["checkpoint"] = json.loads(raw)["sd_model_checkpoint"]
                    return self.reply(200, {"sd_model_checkpoint": state["checkpoint"]})
            if path == "/sdapi/v1/sd-models":
                if state["switches"].get("fail_models"):
                    return self.reply(500, {"error": "models are gone"})
                return self.reply(200, [{"title": "v1-5-pruned.safetensors [abc]",
                                         "model_name": "v1-5-pruned"},
                                        {"title": "sdxl.safetensors [def]", "model_name": "sdxl"}])
            if path == "/sdapi/v1/txt2img":
                payload = json.loads(raw)
                return self.reply(200, {"images": [base64.b64encode(A1111_PNG).decode()]
                                        * int(payload.get("batch_size", 1)),
                                        "info": json.dumps({"seed": 7})})
        if path == "/object_info":
            return self.reply(200, {"CheckpointLoaderSimple": {"input": {"required": {
                "ckpt_name": [["a.safetensors", "b.safetensors"]]}}}})
        if path == "/prompt":
            payload = json.loads(raw)
            with lock:
                state["workflows"].append(payload)
                prompt_id = "prompt-%d" % len(state["workflows"])
            return self.reply(200, {"prompt_id": prompt_id, "number": 0})
        if path.startswith("/history/"):
            prompt_id = path[len("/history/"):]
            with lock:
                polls = state["polls"].get(prompt_id, 0) + 1
                state["polls"][prompt_id] = polls
            if polls < 3:
                return self.reply(200, {})
            return self.reply(200, {prompt_id: {
                "outputs": {"9": {"images": [{"filename": "ComfyUI_00001_.png",
                                              "subfolder": "", "type": "output"}]}},
                "status": {"status_str": "success", "completed": True}}})
        if path == "/view":
            q = parse_qs(url.query)
            if q.get("filename") != ["ComfyUI_00001_.png"] or q.get("type") != ["output"]:
                return self.reply(404, {"error": "no such image"})
            return self.reply(200, COMFY_PNG, "image/png")
        if path.startswith("/gemini/models/") and path.endswith(":predict"):
            return self.reply(200, {"predictions": [
                {"bytesBase64Encoded": base64.b64encode(GEMINI_PNG).decode(),
                 "mimeType": "image/png"}]})
        self.reply(404, {"error": {"message": "no such path"}})

    do_GET = handle_any
    do_POST = handle_any


def exit_with_parent(parent):
    # A test process that dies without stopping us must not leave us behind.
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main():
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
