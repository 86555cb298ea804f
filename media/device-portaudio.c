/* PortAudio capture and playback; see device.h.
 *
 * The PortAudio callback runs on the audio driver's real-time thread. It
 * touches nothing but the device's lock-free ring buffer (and zero-fills
 * on underrun): no locks, no allocation, no logging. */
#include "media/device-private.h"
#include "media/ring-buffer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portaudio.h>

/* 200 ms of slack between the device clock and the media thread's. */
#define RING_SAMPLES (MEDIA_SAMPLE_RATE / 5)
/* The two clocks drift apart (no two crystals agree): rather than let the
 * backlog, and with it the delay, grow until the ring overflows, keep it
 * bounded. Capture keeps at most 60 ms queued, playback at most 100 ms;
 * playback starts (and restarts after an underrun) once 40 ms are queued,
 * so one late frame does not click. */
#define CAPTURE_MAX_BACKLOG (3 * MEDIA_FRAME_SAMPLES)
#define PLAYBACK_MAX_QUEUED (5 * MEDIA_FRAME_SAMPLES)
#define PLAYBACK_PRIME (2 * MEDIA_FRAME_SAMPLES)

typedef struct {
	media_device base;
	PaStream *stream;
	media_ring *ring;
	PaDeviceIndex index;
	bool running;
	bool primed; /* playback callback only */
} media_device_pa;

static int
capture_cb(const void *input, void *output, unsigned long frames,
           const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *user)
{
	media_device_pa *p = user;
	if (input)
		media_ring_write(p->ring, input, frames); /* overflow: drop the rest */
	return paContinue;
}

static int
playback_cb(const void *input, void *output, unsigned long frames,
            const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *user)
{
	media_device_pa *p = user;
	int16_t *out = output;
	size_t got = 0;
	if (!p->primed && media_ring_readable(p->ring) >= PLAYBACK_PRIME)
		p->primed = true;
	if (p->primed) {
		got = media_ring_read(p->ring, out, frames);
		if (got < frames)
			p->primed = false; /* underrun: build up a cushion again */
	}
	memset(out + got, 0, (frames - got) * sizeof *out);
	return paContinue;
}

static int
pa_read(media_device *d, int16_t *pcm)
{
	media_device_pa *p = (media_device_pa *)d;
	size_t avail = media_ring_readable(p->ring);
	if (avail < MEDIA_FRAME_SAMPLES) {
		memset(pcm, 0, MEDIA_FRAME_SAMPLES * sizeof *pcm);
		return 0;
	}
	/* Drop the oldest audio beyond the backlog bound. */
	while (avail > CAPTURE_MAX_BACKLOG) {
		size_t n = avail - CAPTURE_MAX_BACKLOG;
		if (n > MEDIA_FRAME_SAMPLES)
			n = MEDIA_FRAME_SAMPLES;
		avail -= media_ring_read(p->ring, pcm, n);
	}
	return (int)media_ring_read(p->ring, pcm, MEDIA_FRAME_SAMPLES);
}

static int
pa_write(media_device *d, const int16_t *pcm)
{
	media_device_pa *p = (media_device_pa *)d;
	/* The device is not keeping up (or runs slower): drop, never wait. */
	if (media_ring_readable(p->ring) + MEDIA_FRAME_SAMPLES > PLAYBACK_MAX_QUEUED)
		return 0;
	return (int)media_ring_write(p->ring, pcm, MEDIA_FRAME_SAMPLES);
}

static int
pa_start(media_device *d)
{
	media_device_pa *p = (media_device_pa *)d;
	if (p->running)
		return 0;
	if (Pa_StartStream(p->stream) != paNoError)
		return -EIO;
	p->running = true;
	return 0;
}

static void
pa_stop(media_device *d)
{
	media_device_pa *p = (media_device_pa *)d;
	if (!p->running)
		return;
	Pa_StopStream(p->stream);
	p->running = false;
}

static void
pa_free(media_device *d)
{
	media_device_pa *p = (media_device_pa *)d;
	if (p->stream) {
		pa_stop(d);
		Pa_CloseStream(p->stream);
	}
	media_ring_free(p->ring);
	free(p);
	Pa_Terminate(); /* balances the Pa_Initialize of the constructor */
}

static const media_device_ops pa_source_ops = {
	.start = pa_start, .stop = pa_stop, .read = pa_read, .free = pa_free,
};
static const media_device_ops pa_sink_ops = {
	.start = pa_start, .stop = pa_stop, .write = pa_write, .free = pa_free,
};

int
media_portaudio_list(media_portaudio_info *out, size_t max)
{
	if (Pa_Initialize() != paNoError)
		return -EIO;
	int n = Pa_GetDeviceCount();
	if (n < 0) {
		Pa_Terminate();
		return -EIO;
	}
	PaDeviceIndex def_in = Pa_GetDefaultInputDevice();
	PaDeviceIndex def_out = Pa_GetDefaultOutputDevice();
	for (int i = 0; i < n && (size_t)i < max; i++) {
		const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
		const PaHostApiInfo *api = info ? Pa_GetHostApiInfo(info->hostApi) : NULL;
		media_portaudio_info *o = &out[i];
		memset(o, 0, sizeof *o);
		if (!info)
			continue;
		snprintf(o->name, sizeof o->name, "%s", info->name ? info->name : "");
		snprintf(o->host_api, sizeof o->host_api, "%s", api && api->name ? api->name : "");
		o->max_inputs = info->maxInputChannels;
		o->max_outputs = info->maxOutputChannels;
		o->default_input = i == def_in;
		o->default_output = i == def_out;
		o->default_rate = info->defaultSampleRate;
	}
	Pa_Terminate();
	return n;
}

static PaDeviceIndex
find_device(media_device_dir dir, const char *name)
{
	bool in = dir == MEDIA_DEVICE_SOURCE;
	if (!name || !*name)
		return in ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
	int n = Pa_GetDeviceCount();
	PaDeviceIndex partial = paNoDevice;
	for (int i = 0; i < n; i++) {
		const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
		if (!info || !info->name ||
		    (in ? info->maxInputChannels : info->maxOutputChannels) < 1)
			continue;
		if (strcmp(info->name, name) == 0)
			return i;
		if (partial == paNoDevice && strstr(info->name, name))
			partial = i;
	}
	return partial;
}

media_device *
media_device_portaudio_new(media_device_dir dir, const char *name, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	if (Pa_Initialize() != paNoError) {
		*err = -EIO;
		return NULL;
	}
	media_device_pa *p = calloc(1, sizeof *p);
	if (!p) {
		Pa_Terminate();
		*err = -ENOMEM;
		return NULL;
	}
	p->base.dir = dir;
	p->base.ops = dir == MEDIA_DEVICE_SOURCE ? &pa_source_ops : &pa_sink_ops;
	p->ring = media_ring_new(RING_SAMPLES);
	if (!p->ring) {
		*err = -ENOMEM;
		goto fail;
	}
	p->index = find_device(dir, name);
	const PaDeviceInfo *info = p->index == paNoDevice ? NULL : Pa_GetDeviceInfo(p->index);
	if (!info) {
		*err = -ENODEV;
		goto fail;
	}
	PaStreamParameters params = {
		.device = p->index,
		.channelCount = 1,
		.sampleFormat = paInt16,
		.suggestedLatency = dir == MEDIA_DEVICE_SOURCE ? info->defaultLowInputLatency
		                                               : info->defaultLowOutputLatency,
	};
	PaError pe = Pa_OpenStream(&p->stream,
	                           dir == MEDIA_DEVICE_SOURCE ? &params : NULL,
	                           dir == MEDIA_DEVICE_SINK ? &params : NULL,
	                           MEDIA_SAMPLE_RATE, paFramesPerBufferUnspecified, paNoFlag,
	                           dir == MEDIA_DEVICE_SOURCE ? capture_cb : playback_cb, p);
	if (pe != paNoError) {
		p->stream = NULL;
		*err = -EIO;
		goto fail;
	}
	snprintf(p->base.description, sizeof p->base.description, "%s %s",
	         dir == MEDIA_DEVICE_SOURCE ? "capture" : "playback", info->name);
	*err = 0;
	return &p->base;
fail:
	pa_free(&p->base);
	return NULL;
}
