#!/usr/bin/env bash
# The audio plugin's offline engines on this machine, through HTTP on the real host (not CI):
#   1. text to speech (espeak-ng + MP3 encoding): real-time factor = request time / audio length,
#      for a sentence and a paragraph (distinct texts: the speech cache never answers)
#   2. speech to text (webm/opus decode + pocketsphinx): real-time factor for a clip espeak-ng
#      spoke (short and ~20 s), after one warm-up request that loads the model
# Below 1 is faster than real time. Median of BENCH_RUNS. The load of the machine counts: run it
# on an otherwise idle machine (uptime is printed).
# Usage: bench/audio_bench.sh [build-dir]   (default: build-bench, built Release here)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init curl espeak-ng ffmpeg ffprobe python3
BUILD=${1:-build-bench}
RUNS=${BENCH_RUNS:-5}
bench_build "$BUILD" webui-host auth audio

bench_workdir wh-audio-bench
start_host audio 0 WEBUI_PLUGIN_PATH="$BUILD/plugins" WEBUI_PLUGINS=auth,audio \
  WEBUI_SECRET_KEY=bench-secret-for-the-audio-bench AUDIO_TTS_ENGINE=transformers \
  AUDIO_TTS_VOICE=en-us AUDIO_STT_ENGINE=
URL=http://127.0.0.1:$BENCH_PORT
TOKEN=$(signup_token "$URL" '{"name":"Root","email":"root@example.com","password":"pw-bench"}')

seconds_of() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
now() { date +%s.%N; }
rtf() { awk -v t="$1" -v d="$2" 'BEGIN {printf "%.3f", t / d}'; }

SENTENCE="The quick brown fox jumps over the lazy dog near the river bank."
PARAGRAPH="Speech synthesis on a small server has to be fast enough that the first sentence \
of an answer plays while the next one is still being produced. This paragraph is long enough \
to show how the cost grows with the text, and it repeats the idea a little so that the audio \
lasts for about twenty seconds when it is read aloud at a normal pace by the local voice."

tts() {  # tts <label> <text>
  local i t0 t1 out=$WORK/tts.mp3 ratios=()
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    curl -sf -o "$out" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"input\": \"$2 ($i $RANDOM)\", \"voice\": \"en-us\"}" "$URL/api/v1/audio/speech"
    t1=$(now)
    ratios+=("$(rtf "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(seconds_of "$out")")")
  done
  printf 'TTS %-9s audio %5.1f s  real-time factor %s (median of %d)\n' "$1" \
    "$(seconds_of "$out")" "$(printf '%s\n' "${ratios[@]}" | median_line)" "$RUNS"
}

stt() {  # stt <label> <text>
  local i t0 t1 clip=$WORK/clip.webm ratios=() text
  espeak-ng -v en-us -s 150 -w "$WORK/clip.wav" "$2"
  ffmpeg -loglevel error -y -i "$WORK/clip.wav" -c:a libopus "$clip"
  for ((i = 0; i < RUNS; i++)); do
    t0=$(now)
    text=$(curl -sf -H "Authorization: Bearer $TOKEN" \
      -F "file=@$clip;type=audio/wav;filename=recording.wav" "$URL/api/v1/audio/transcriptions" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["text"])')
    t1=$(now)
    ratios+=("$(rtf "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$(seconds_of "$clip")")")
  done
  printf 'STT %-9s audio %5.1f s  real-time factor %s (median of %d)  heard: %.60s\n' "$1" \
    "$(seconds_of "$clip")" "$(printf '%s\n' "${ratios[@]}" | median_line)" "$RUNS" "$text"
}

echo "audio bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);$(uptime | sed 's/.*,  *load/ load/')"
tts sentence "$SENTENCE"
tts paragraph "$PARAGRAPH"
# Warm-up: the first transcription loads pocketsphinx's model (about a second).
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" \
  -F "file=@/dev/null;type=audio/wav;filename=empty.wav" "$URL/api/v1/audio/transcriptions" || true
espeak-ng -w "$WORK/warm.wav" "hello" && curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" \
  -F "file=@$WORK/warm.wav;type=audio/wav" "$URL/api/v1/audio/transcriptions"
stt short "hello world"
stt paragraph "$PARAGRAPH"
