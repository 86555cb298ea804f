/* Device dispatch; see device.h. */
#include "media/device-private.h"

#include <errno.h>
#include <string.h>

int
media_device_start(media_device *d)
{
	if (!d)
		return -EINVAL;
	return d->ops->start ? d->ops->start(d) : 0;
}

void
media_device_stop(media_device *d)
{
	if (d && d->ops->stop)
		d->ops->stop(d);
}

int
media_device_read(media_device *d, int16_t pcm[MEDIA_FRAME_SAMPLES])
{
	if (!d || !pcm)
		return -EINVAL;
	if (!d->ops->read) {
		memset(pcm, 0, MEDIA_FRAME_SAMPLES * sizeof *pcm);
		return -ENOTSUP;
	}
	return d->ops->read(d, pcm);
}

int
media_device_write(media_device *d, const int16_t pcm[MEDIA_FRAME_SAMPLES])
{
	if (!d || !pcm)
		return -EINVAL;
	return d->ops->write ? d->ops->write(d, pcm) : -ENOTSUP;
}

media_device_dir
media_device_direction(const media_device *d)
{
	return d->dir;
}

const char *
media_device_describe(const media_device *d)
{
	return d->description;
}

void
media_device_free(media_device *d)
{
	if (d)
		d->ops->free(d);
}
