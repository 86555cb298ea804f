/* Sound files through libsndfile: a source that plays a file into the call
 * and a sink that records a WAV file; see device.h. */
#include "media/device-private.h"
#include "media/resampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Types and constants only: the library itself is loaded on first use. */
#include <sndfile.h>

#define CHUNK_FRAMES 1024
#define MAX_CHANNELS 64
/* Room for one frame plus what one chunk can add after resampling from
 * rates down to 8 kHz up to 48 kHz (x6) — and for the 384 kHz case, down. */
#define PENDING_MAX (MEDIA_FRAME_SAMPLES + CHUNK_FRAMES * 6 + 64)

/* libsndfile and the codecs it links (FLAC, Vorbis, MPEG audio: about
 * 0.7 MB resident) are loaded when a file device is first opened rather
 * than with the program: most runs play a tone or use a sound card. Its
 * ABI has been libsndfile.so.1 since version 1.0. */
#define SNDFILE_SONAME "libsndfile.so.1"

static struct {
	SNDFILE *(*open)(const char *path, int mode, SF_INFO *info);
	sf_count_t (*readf_short)(SNDFILE *sf, short *ptr, sf_count_t frames);
	sf_count_t (*writef_short)(SNDFILE *sf, const short *ptr, sf_count_t frames);
	sf_count_t (*seek)(SNDFILE *sf, sf_count_t frames, int whence);
	int (*close)(SNDFILE *sf);
} sf;
static pthread_once_t sf_once = PTHREAD_ONCE_INIT;
static bool sf_loaded;

static void
load_sndfile(void)
{
	/* Kept for the life of the process. */
	void *lib = dlopen(SNDFILE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return;
	sf.open = (SNDFILE * (*)(const char *, int, SF_INFO *)) dlsym(lib, "sf_open");
	sf.readf_short = (sf_count_t(*)(SNDFILE *, short *, sf_count_t))dlsym(lib, "sf_readf_short");
	sf.writef_short =
	    (sf_count_t(*)(SNDFILE *, const short *, sf_count_t))dlsym(lib, "sf_writef_short");
	sf.seek = (sf_count_t(*)(SNDFILE *, sf_count_t, int))dlsym(lib, "sf_seek");
	sf.close = (int (*)(SNDFILE *))dlsym(lib, "sf_close");
	sf_loaded = sf.open && sf.readf_short && sf.writef_short && sf.seek && sf.close;
	if (!sf_loaded)
		dlclose(lib);
}

/* 0, or -ENOPKG when libsndfile cannot be loaded. */
static int
need_sndfile(void)
{
	pthread_once(&sf_once, load_sndfile);
	return sf_loaded ? 0 : -ENOPKG;
}

typedef struct {
	media_device base;
	SNDFILE *sf;
	int channels;
	bool loop;
	bool eof;
	media_resampler *rs;      /* NULL when the file is at 48 kHz */
	int16_t *raw;             /* CHUNK_FRAMES * channels interleaved */
	int16_t mono[CHUNK_FRAMES];
	int16_t pending[PENDING_MAX];
	size_t n_pending;
} media_device_file_src;

/* Appends mono samples at the file's rate to pending, resampling. */
static int
push_mono(media_device_file_src *f, const int16_t *in, size_t n)
{
	if (!f->rs) {
		memcpy(f->pending + f->n_pending, in, n * sizeof *in);
		f->n_pending += n;
		return 0;
	}
	while (n > 0) {
		size_t in_len = n, out_len = PENDING_MAX - f->n_pending;
		int r = media_resampler_process(f->rs, in, &in_len,
		                                f->pending + f->n_pending, &out_len);
		if (r < 0)
			return r;
		f->n_pending += out_len;
		if (in_len == 0 && out_len == 0)
			return -ENOBUFS; /* cannot happen with PENDING_MAX sized as it is */
		in += in_len;
		n -= in_len;
	}
	return 0;
}

/* Reads one chunk from the file into pending; handles the end. */
static int
fill_chunk(media_device_file_src *f, bool *read_any)
{
	sf_count_t got = sf.readf_short(f->sf, f->raw, CHUNK_FRAMES);
	if (got < 0)
		return -EIO;
	if (got == 0) {
		if (f->loop && *read_any) {
			if (sf.seek(f->sf, 0, SEEK_SET) < 0)
				return -EIO;
			*read_any = false;
			return 0;
		}
		f->eof = true;
		if (f->rs) {
			/* Push zeros through so the filter's tail comes out. */
			int16_t zeros[256] = { 0 };
			size_t lat = media_resampler_latency(f->rs);
			while (lat > 0) {
				size_t n = lat < 256 ? lat : 256;
				int r = push_mono(f, zeros, n);
				if (r < 0)
					return r;
				lat -= n;
			}
		}
		return 0;
	}
	*read_any = true;
	if (f->channels == 1) /* already mono: no mix-down (a division a sample) */
		return push_mono(f, f->raw, (size_t)got);
	for (sf_count_t i = 0; i < got; i++) {
		int sum = 0;
		for (int c = 0; c < f->channels; c++)
			sum += f->raw[i * f->channels + c];
		f->mono[i] = (int16_t)(sum / f->channels);
	}
	return push_mono(f, f->mono, (size_t)got);
}

static int
file_read(media_device *d, int16_t *pcm)
{
	media_device_file_src *f = (media_device_file_src *)d;
	/* A looping file that yields nothing twice in a row is empty: end. */
	bool read_any = true;
	while (f->n_pending < MEDIA_FRAME_SAMPLES && !f->eof) {
		int r = fill_chunk(f, &read_any);
		if (r < 0) {
			memset(pcm, 0, MEDIA_FRAME_SAMPLES * sizeof *pcm);
			return r;
		}
	}
	size_t n = f->n_pending < MEDIA_FRAME_SAMPLES ? f->n_pending : MEDIA_FRAME_SAMPLES;
	memcpy(pcm, f->pending, n * sizeof *pcm);
	memset(pcm + n, 0, (MEDIA_FRAME_SAMPLES - n) * sizeof *pcm);
	memmove(f->pending, f->pending + n, (f->n_pending - n) * sizeof *pcm);
	f->n_pending -= n;
	return n > 0 ? (int)n : -ENODATA;
}

static void
file_src_free(media_device *d)
{
	media_device_file_src *f = (media_device_file_src *)d;
	if (f->sf)
		sf.close(f->sf);
	media_resampler_free(f->rs);
	free(f->raw);
	free(f);
}

static const media_device_ops file_src_ops = {
	.read = file_read,
	.free = file_src_free,
};

static int
open_error(const char *path)
{
	if (access(path, R_OK) != 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	return -EBADMSG;
}

media_device *
media_device_file_source_new(const char *path, bool loop, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	if (!path) {
		*err = -EINVAL;
		return NULL;
	}
	if ((*err = need_sndfile()) < 0)
		return NULL;
	media_device_file_src *f = calloc(1, sizeof *f);
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->base.ops = &file_src_ops;
	f->base.dir = MEDIA_DEVICE_SOURCE;
	f->loop = loop;
	SF_INFO info = { 0 };
	f->sf = sf.open(path, SFM_READ, &info);
	if (!f->sf) {
		*err = open_error(path);
		goto fail;
	}
	if (info.channels < 1 || info.channels > MAX_CHANNELS || info.samplerate < 1000 ||
	    info.samplerate > 384000) {
		*err = -EBADMSG;
		goto fail;
	}
	f->channels = info.channels;
	f->raw = calloc((size_t)CHUNK_FRAMES * (size_t)info.channels, sizeof *f->raw);
	if (!f->raw) {
		*err = -ENOMEM;
		goto fail;
	}
	if (info.samplerate != MEDIA_SAMPLE_RATE) {
		f->rs = media_resampler_new((unsigned)info.samplerate, MEDIA_SAMPLE_RATE, 5);
		if (!f->rs) {
			*err = -ENOMEM;
			goto fail;
		}
	}
	snprintf(f->base.description, sizeof f->base.description, "file %s (%d Hz, %d ch)",
	         path, info.samplerate, info.channels);
	*err = 0;
	return &f->base;
fail:
	file_src_free(&f->base);
	return NULL;
}

/* ------------------------------------------------------------------ sink */

typedef struct {
	media_device base;
	SNDFILE *sf;
} media_device_file_sink;

static int
file_write(media_device *d, const int16_t *pcm)
{
	media_device_file_sink *f = (media_device_file_sink *)d;
	sf_count_t n = sf.writef_short(f->sf, pcm, MEDIA_FRAME_SAMPLES);
	return n == MEDIA_FRAME_SAMPLES ? MEDIA_FRAME_SAMPLES : -EIO;
}

static void
file_sink_free(media_device *d)
{
	media_device_file_sink *f = (media_device_file_sink *)d;
	if (f->sf)
		sf.close(f->sf); /* writes the final RIFF sizes */
	free(f);
}

static const media_device_ops file_sink_ops = {
	.write = file_write,
	.free = file_sink_free,
};

media_device *
media_device_file_sink_new(const char *path, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	if (!path) {
		*err = -EINVAL;
		return NULL;
	}
	if ((*err = need_sndfile()) < 0)
		return NULL;
	media_device_file_sink *f = calloc(1, sizeof *f);
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->base.ops = &file_sink_ops;
	f->base.dir = MEDIA_DEVICE_SINK;
	SF_INFO info = {
		.samplerate = MEDIA_SAMPLE_RATE,
		.channels = 1,
		.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16,
	};
	f->sf = sf.open(path, SFM_WRITE, &info);
	if (!f->sf) {
		*err = -EIO;
		free(f);
		return NULL;
	}
	snprintf(f->base.description, sizeof f->base.description, "recording %s", path);
	*err = 0;
	return &f->base;
}
