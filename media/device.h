/* Audio sources and sinks behind one small interface.
 *
 * Shape: pull/push of whole frames. Every device carries 20 ms frames of
 * 48 kHz mono 16-bit PCM (MEDIA_FRAME_SAMPLES from media/codec.h). The media
 * thread paces itself (one frame per 20 ms) and, each period, reads one
 * frame from its source and writes one to its sink. read and write never
 * block: a device fed by hardware (PortAudio) sits behind a lock-free ring
 * buffer and reports an underrun instead of waiting.
 *
 * A device is a source (read) or a sink (write); calling the other returns
 * -ENOTSUP. start and stop may be called again (a file keeps its place).
 * One thread at a time per device. */
#ifndef FLOE_MEDIA_DEVICE_H
#define FLOE_MEDIA_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/codec.h"

typedef struct media_device media_device;

typedef enum {
	MEDIA_DEVICE_SOURCE,
	MEDIA_DEVICE_SINK,
} media_device_dir;

int media_device_start(media_device *d);
void media_device_stop(media_device *d);
/* Fills pcm with one frame. Returns MEDIA_FRAME_SAMPLES for a frame of
 * signal, a smaller count n > 0 when only the first n samples are signal
 * (the end of a file; the rest is zeroed), 0 on an underrun (pcm is zeroed:
 * play silence), -ENODATA once a file has ended, or another negative code.
 * The frame's samples are always written, whatever is returned. */
int media_device_read(media_device *d, int16_t pcm[MEDIA_FRAME_SAMPLES]);
/* Takes one frame. Returns MEDIA_FRAME_SAMPLES, 0 when a hardware ring was
 * full and the frame was dropped, or a negative code (-EIO on a write
 * error). */
int media_device_write(media_device *d, const int16_t pcm[MEDIA_FRAME_SAMPLES]);
media_device_dir media_device_direction(const media_device *d);
/* A short description for logs ("tone 440+0 Hz", "file ...", device name). */
const char *media_device_describe(const media_device *d);
void media_device_free(media_device *d);

/* A source that never ends: frequencies in Hz (freq2 = 0 for one tone;
 * two for DTMF-like dual tones), level in dBFS of each tone (e.g. -12;
 * two tones each at the level). NULL on bad arguments (frequencies must lie
 * in 0..24000, level <= 0). */
media_device *media_device_tone_new(double freq1_hz, double freq2_hz, double level_dbfs);

/* A source of silence or a sink that discards. */
media_device *media_device_null_new(media_device_dir dir);

/* Plays a sound file (any format libsndfile reads: WAV, FLAC, OGG...) into
 * the call; channels are mixed to mono and other rates are resampled to
 * 48 kHz. loop: start again at the end instead of ending. NULL with *err
 * (-ENOENT, -EBADMSG for a file libsndfile cannot read, -ENOMEM, -ENOPKG
 * when libsndfile.so.1 cannot be loaded: file devices load it on first
 * use). */
media_device *media_device_file_source_new(const char *path, bool loop, int *err);
/* Records into a new 48 kHz mono 16-bit WAV file (replacing one there).
 * The file is complete once the device is freed. NULL with *err (-EIO,
 * -ENOMEM, -ENOPKG as above). */
media_device *media_device_file_sink_new(const char *path, int *err);

/* ------------------------------------------------------------- PortAudio */

typedef struct {
	char name[128];
	char host_api[64];
	int max_inputs;
	int max_outputs;
	bool default_input;
	bool default_output;
	double default_rate;
} media_portaudio_info;

/* Lists up to max devices into out; returns how many there are in all (may
 * exceed max) or -EIO when PortAudio cannot start. */
int media_portaudio_list(media_portaudio_info *out, size_t max);

/* Opens a capture (SOURCE) or playback (SINK) device, 48 kHz mono 16-bit
 * (PortAudio or the host converts for the hardware). The device clock and
 * the media thread's drift apart; the ring between them keeps the backlog
 * bounded (capture 60 ms, playback 100 ms) by dropping audio rather than
 * letting the delay grow, and playback waits for 40 ms before it starts.
 * No adaptive resampling: over long calls a drift shows as rare drops.
 * name NULL or "" is
 * the default device, otherwise the first device whose name equals name,
 * or failing that, contains it. NULL with *err: -ENODEV (no such device or
 * no default), -EIO (PortAudio refused). Nothing plays or records before
 * media_device_start. */
media_device *media_device_portaudio_new(media_device_dir dir, const char *name,
                                         int *err);

#endif
