// Audio in and out through FFmpeg's libraries: any container and codec a browser records (webm/
// opus, ogg, mp4/aac, wav, mp3, ...) decoded to what pocketsphinx wants, and synthesised PCM
// encoded to MP3 for the <audio> element. The container is sniffed from the bytes; the client's
// file name and type are never trusted (the web UI uploads webm/opus as "recording.wav").
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace webui::audio {

// A file that is not audio, is damaged, or broke a bound: the caller answers 400.
class MediaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// FFmpeg logs to stderr by default; every failure here is reported through return codes, and a
// hostile upload must not flood the service's log.
void QuietMediaLogs();

struct DecodeLimits {
  // Wall-clock budget for probing and decoding (FFmpeg's interrupt callback enforces it, so a
  // hostile file cannot hold a worker).
  std::chrono::milliseconds deadline{60'000};
  // At most this much audio is decoded; a longer file is refused, not truncated.
  double max_seconds = 600;
};

// The first audio stream of the file at `path`, as 16 kHz mono signed 16-bit samples.
// Throws MediaError.
std::vector<int16_t> DecodeToMono16k(const std::string& path, const DecodeLimits& limits);

// The usual file extension of the container in the file at `path`, from its bytes ("webm",
// "ogg", "wav", "mp3", "mp4", "flac", ...), or "bin" when FFmpeg does not recognise it: the name
// an upload is sent under to servers that look at the extension (OpenAI's does).
std::string SniffExtension(const std::string& path);

// Duration in seconds of the audio in `bytes` (decoded, not read from the header): what a test
// or a sanity check uses to tell that the bytes play. Throws MediaError.
double DecodedSeconds(const std::string& bytes);

// `samples` (mono, `sample_rate` Hz) as an MP3 stream (libmp3lame, `bit_rate` bit/s). Throws
// MediaError when the encoder is missing.
std::string EncodeMp3(const std::vector<int16_t>& samples, int sample_rate,
                      int64_t bit_rate = 64000);

}  // namespace webui::audio
