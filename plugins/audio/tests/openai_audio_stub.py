#!/usr/bin/env python3
"""A loopback stand-in for an OpenAI-compatible speech server (openedai-speech, Kokoro-FastAPI,
LocalAI, OpenAI), speaking its audio wire format, for the audio plugin's tests.

  POST /v1/audio/speech          fixed bytes (SPEECH_BYTES); input "status:<n>" answers <n> with
                                 an OpenAI error body
  GET  /v1/audio/models          {"models": [...]}
  GET  /v1/audio/voices          {"voices": [...]}
  POST /v1/audio/transcriptions  parses the multipart form; {"text": ...}; a `language` of "xx"
                                 is refused with 400 (to test the retry without it)
  GET  /stats                    what it saw: call counts, the last speech body and form fields

Prints its port on the first line of stdout, then serves until killed.
"""
import email.parser
import email.policy
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SPEECH_BYTES = b"ID3-stub-speech-bytes!"
lock = threading.Lock()
stats = {"speech": 0, "transcriptions": 0, "last_speech": None, "last_auth": None,
         "transcription_forms": []}


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

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self):
        if self.path == "/v1/audio/models":
            return self.reply(200, {"models": [{"id": "stub-tts"}, {"id": "stub-tts-hd"}]})
        if self.path == "/v1/audio/voices":
            return self.reply(200, {"voices": [{"id": "v1", "name": "Voice One"}]})
        if self.path == "/stats":
            with lock:
                return self.reply(200, stats)
        self.reply(404, {"error": {"message": "no such path"}})

    def do_POST(self):
        raw = self.body()
        if self.path == "/v1/audio/speech":
            payload = json.loads(raw)
            with lock:
                stats["speech"] += 1
                stats["last_speech"] = payload
                stats["last_auth"] = self.headers.get("Authorization")
            text = payload.get("input", "")
            if text.startswith("status:"):
                return self.reply(int(text[7:]), {"error": {"message": "stub refuses " + text}})
            return self.reply(200, SPEECH_BYTES, "audio/mpeg")
        if self.path == "/v1/audio/transcriptions":
            head = "Content-Type: " + self.headers.get("Content-Type", "") + "\r\n\r\n"
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head.encode() + raw)
            fields, file_size, filename = {}, -1, None
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    file_size, filename = len(data), part.get_filename()
                else:
                    fields[name] = data.decode()
            with lock:
                stats["transcriptions"] += 1
                stats["transcription_forms"].append(
                    {"fields": fields, "file_size": file_size, "filename": filename})
            if fields.get("language") == "xx":
                return self.reply(400, {"error": {"message": "unsupported language"}})
            if file_size <= 0:
                return self.reply(400, {"error": {"message": "no file"}})
            return self.reply(200, {"text": "stub heard %d bytes" % file_size})
        self.reply(404, {"error": {"message": "no such path"}})


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
