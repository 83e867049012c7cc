#include "media.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

namespace webui::audio {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTargetRate = 16000;

std::string AvText(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

struct FormatCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameCloser {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketCloser {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwrCloser {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct IoCloser {
  void operator()(AVIOContext* io) const {
    if (io) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// Bytes in memory as an AVIOContext source (DecodedSeconds).
struct MemorySource {
  const std::string* bytes;
  size_t at = 0;
  static int Read(void* opaque, uint8_t* buf, int size) {
    auto* m = static_cast<MemorySource*>(opaque);
    const size_t left = m->bytes->size() - m->at;
    if (left == 0) return AVERROR_EOF;
    const size_t n = std::min(left, static_cast<size_t>(size));
    std::memcpy(buf, m->bytes->data() + m->at, n);
    m->at += n;
    return static_cast<int>(n);
  }
};

struct Deadline {
  Clock::time_point until;
  static int Expired(void* opaque) {
    return Clock::now() > static_cast<Deadline*>(opaque)->until ? 1 : 0;
  }
};

// Decodes the first audio stream to 16 kHz mono s16, calling `sink` with each converted block.
// `path` empty: read `memory` instead.
template <typename Sink>
void Decode(const std::string& path, const std::string* memory, const DecodeLimits& limits,
            Sink&& sink) {
  Deadline deadline{Clock::now() + limits.deadline};
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw MediaError("out of memory");
  raw->interrupt_callback.callback = &Deadline::Expired;
  raw->interrupt_callback.opaque = &deadline;
  std::unique_ptr<AVIOContext, IoCloser> io;
  MemorySource source{memory};
  if (memory) {
    auto* buffer = static_cast<unsigned char*>(av_malloc(64 * 1024));
    if (!buffer) {
      avformat_free_context(raw);
      throw MediaError("out of memory");
    }
    io.reset(
        avio_alloc_context(buffer, 64 * 1024, 0, &source, &MemorySource::Read, nullptr, nullptr));
    if (!io) {
      av_free(buffer);
      avformat_free_context(raw);
      throw MediaError("out of memory");
    }
    raw->pb = io.get();
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  // On failure avformat_open_input frees the context itself.
  int rc = avformat_open_input(&raw, memory ? nullptr : path.c_str(), nullptr, nullptr);
  if (rc < 0) throw MediaError("not an audio file (" + AvText(rc) + ")");
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(raw);
  if ((rc = avformat_find_stream_info(fmt.get(), nullptr)) < 0)
    throw MediaError("unreadable audio (" + AvText(rc) + ")");
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (stream < 0 || !codec) throw MediaError("the file has no audio stream");
  std::unique_ptr<AVCodecContext, CodecCloser> dec(avcodec_alloc_context3(codec));
  if (!dec) throw MediaError("out of memory");
  avcodec_parameters_to_context(dec.get(), fmt->streams[stream]->codecpar);
  if ((rc = avcodec_open2(dec.get(), codec, nullptr)) < 0)
    throw MediaError("cannot decode the audio (" + AvText(rc) + ")");
  if (dec->sample_rate <= 0 || dec->ch_layout.nb_channels <= 0)
    throw MediaError("the audio stream has no sample rate or channels");

  AVChannelLayout mono{};
  av_channel_layout_default(&mono, 1);
  SwrContext* swr_raw = nullptr;
  if (swr_alloc_set_opts2(&swr_raw, &mono, AV_SAMPLE_FMT_S16, kTargetRate, &dec->ch_layout,
                          dec->sample_fmt, dec->sample_rate, 0, nullptr) < 0 ||
      swr_init(swr_raw) < 0) {
    swr_free(&swr_raw);
    throw MediaError("cannot convert the audio");
  }
  std::unique_ptr<SwrContext, SwrCloser> swr(swr_raw);
  std::unique_ptr<AVFrame, FrameCloser> frame(av_frame_alloc());
  std::unique_ptr<AVPacket, PacketCloser> packet(av_packet_alloc());
  if (!frame || !packet) throw MediaError("out of memory");

  const double max_samples = limits.max_seconds * kTargetRate;
  double produced = 0;
  std::vector<int16_t> block;
  auto convert = [&](const AVFrame* f) {
    const int room = swr_get_out_samples(swr.get(), f ? f->nb_samples : 0);
    if (room <= 0) return;
    block.resize(static_cast<size_t>(room));
    auto* out = reinterpret_cast<uint8_t*>(block.data());
    const int n = swr_convert(swr.get(), &out, room,
                              f ? const_cast<const uint8_t**>(f->extended_data) : nullptr,
                              f ? f->nb_samples : 0);
    if (n < 0) throw MediaError("cannot convert the audio");
    produced += n;
    if (produced > max_samples)
      throw MediaError("the audio is longer than " + std::to_string(int(limits.max_seconds)) +
                       " seconds");
    sink(block.data(), static_cast<size_t>(n));
  };
  auto drain = [&]() {
    while (true) {
      rc = avcodec_receive_frame(dec.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) throw MediaError("damaged audio (" + AvText(rc) + ")");
      convert(frame.get());
      av_frame_unref(frame.get());
    }
  };
  while ((rc = av_read_frame(fmt.get(), packet.get())) >= 0) {
    if (packet->stream_index == stream) {
      // A damaged packet is skipped, as players do; the deadline and length still bound us.
      if (avcodec_send_packet(dec.get(), packet.get()) >= 0) drain();
    }
    av_packet_unref(packet.get());
    if (Deadline::Expired(&deadline)) throw MediaError("decoding the audio took too long");
  }
  if (rc == AVERROR_EXIT || Deadline::Expired(&deadline))
    throw MediaError("decoding the audio took too long");
  avcodec_send_packet(dec.get(), nullptr);
  drain();
  convert(nullptr);
}

}  // namespace

void QuietMediaLogs() { av_log_set_level(AV_LOG_QUIET); }

std::string SniffExtension(const std::string& path) {
  constexpr size_t kProbeBytes = 64 * 1024;
  std::vector<unsigned char> buf(kProbeBytes + AVPROBE_PADDING_SIZE, 0);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "bin";
  const size_t n = std::fread(buf.data(), 1, kProbeBytes, f);
  std::fclose(f);
  AVProbeData probe{};
  probe.filename = "";
  probe.buf = buf.data();
  probe.buf_size = static_cast<int>(n);
  const AVInputFormat* format = av_probe_input_format(&probe, 1);
  if (!format || !format->name) return "bin";
  const std::string name = format->name;
  // FFmpeg names demuxers by families ("matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2").
  if (name.find("webm") != std::string::npos) return "webm";
  if (name.find("mp4") != std::string::npos) return "mp4";
  for (const char* simple : {"wav", "mp3", "ogg", "flac", "aac", "aiff", "amr"})
    if (name == simple) return simple;
  return "bin";
}

std::vector<int16_t> DecodeToMono16k(const std::string& path, const DecodeLimits& limits) {
  std::vector<int16_t> out;
  Decode(path, nullptr, limits,
         [&](const int16_t* s, size_t n) { out.insert(out.end(), s, s + n); });
  return out;
}

double DecodedSeconds(const std::string& bytes) {
  size_t samples = 0;
  Decode({}, &bytes, DecodeLimits{}, [&](const int16_t*, size_t n) { samples += n; });
  return static_cast<double>(samples) / kTargetRate;
}

std::string EncodeMp3(const std::vector<int16_t>& samples, int sample_rate, int64_t bit_rate) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libmp3lame");
  if (!codec) throw MediaError("FFmpeg has no libmp3lame encoder");
  std::unique_ptr<AVCodecContext, CodecCloser> enc(avcodec_alloc_context3(codec));
  if (!enc) throw MediaError("out of memory");
  enc->sample_rate = sample_rate;
  enc->sample_fmt = AV_SAMPLE_FMT_S16P;  // mono: the same bytes as interleaved s16
  enc->bit_rate = bit_rate;
  av_channel_layout_default(&enc->ch_layout, 1);
  int rc = avcodec_open2(enc.get(), codec, nullptr);
  if (rc < 0) throw MediaError("cannot open the MP3 encoder (" + AvText(rc) + ")");
  std::unique_ptr<AVFrame, FrameCloser> frame(av_frame_alloc());
  std::unique_ptr<AVPacket, PacketCloser> packet(av_packet_alloc());
  if (!frame || !packet) throw MediaError("out of memory");

  std::string out;
  auto receive = [&]() {
    while ((rc = avcodec_receive_packet(enc.get(), packet.get())) >= 0) {
      out.append(reinterpret_cast<const char*>(packet->data), static_cast<size_t>(packet->size));
      av_packet_unref(packet.get());
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
      throw MediaError("MP3 encoding failed (" + AvText(rc) + ")");
  };
  const size_t step = static_cast<size_t>(enc->frame_size > 0 ? enc->frame_size : 1152);
  for (size_t at = 0; at < samples.size(); at += step) {
    const size_t n = std::min(step, samples.size() - at);
    frame->nb_samples = static_cast<int>(n);
    frame->format = enc->sample_fmt;
    frame->sample_rate = sample_rate;
    av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
    if (av_frame_get_buffer(frame.get(), 0) < 0) throw MediaError("out of memory");
    std::memcpy(frame->data[0], samples.data() + at, n * sizeof(int16_t));
    frame->pts = static_cast<int64_t>(at);
    if ((rc = avcodec_send_frame(enc.get(), frame.get())) < 0)
      throw MediaError("MP3 encoding failed (" + AvText(rc) + ")");
    av_frame_unref(frame.get());
    receive();
  }
  avcodec_send_frame(enc.get(), nullptr);
  receive();
  return out;
}

}  // namespace webui::audio
