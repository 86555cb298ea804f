/* Null device: a source of silence, a sink that discards; see device.h. */
#include "media/device-private.h"

#include <stdlib.h>
#include <string.h>

static int
null_read(media_device *d, int16_t *pcm)
{
	memset(pcm, 0, MEDIA_FRAME_SAMPLES * sizeof *pcm);
	return MEDIA_FRAME_SAMPLES;
}

static int
null_write(media_device *d, const int16_t *pcm)
{
	return MEDIA_FRAME_SAMPLES;
}

static void
null_free(media_device *d)
{
	free(d);
}

static const media_device_ops null_source_ops = { .read = null_read, .free = null_free };
static const media_device_ops null_sink_ops = { .write = null_write, .free = null_free };

media_device *
media_device_null_new(media_device_dir dir)
{
	media_device *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->dir = dir;
	d->ops = dir == MEDIA_DEVICE_SOURCE ? &null_source_ops : &null_sink_ops;
	strcpy(d->description, dir == MEDIA_DEVICE_SOURCE ? "null source" : "null sink");
	return d;
}
