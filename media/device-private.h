/* Internal to media/device*.c: the table each device fills in. Users
 * include media/device.h. */
#ifndef FLOE_MEDIA_DEVICE_PRIVATE_H
#define FLOE_MEDIA_DEVICE_PRIVATE_H

#include "media/device.h"

typedef struct media_device_ops {
	int (*start)(media_device *d);       /* NULL: nothing to do */
	void (*stop)(media_device *d);       /* NULL: nothing to do */
	int (*read)(media_device *d, int16_t *pcm);         /* NULL for sinks */
	int (*write)(media_device *d, const int16_t *pcm);  /* NULL for sources */
	void (*free)(media_device *d);
} media_device_ops;

/* Every device's struct starts with this. */
struct media_device {
	const media_device_ops *ops;
	media_device_dir dir;
	char description[160];
};

#endif
