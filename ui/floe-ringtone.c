/* The ringtone: frames from a tone device written to a PortAudio sink. The
 * sink sits behind a ring buffer, so the main loop only has to stay a few
 * frames ahead of the clock; silence frames make the cadence. */
#define G_LOG_DOMAIN "floe-ui"
#include "config.h"

#include "media/device.h"

#include "floe-ringtone.h"

/* 440 + 480 Hz, the usual ring sound, 1 s on and 2 s off. */
#define TONE_LOW_HZ 440.0
#define TONE_HIGH_HZ 480.0
#define TONE_LEVEL_DBFS -14.0
#define CADENCE_ON_FRAMES 50
#define CADENCE_FRAMES 150
/* How far ahead of the clock frames are written (ms). */
#define LEAD_MS 80
#define TICK_MS 10

struct _FloeRingtone {
  GObject parent_instance;

  media_device *tone;
  media_device *sink;
  guint tick_source;
  gint64 started_at; /* monotonic µs */
  guint64 frames_written;
};

G_DEFINE_FINAL_TYPE (FloeRingtone, floe_ringtone, G_TYPE_OBJECT)

static gboolean
on_tick (gpointer user_data)
{
  FloeRingtone *self = FLOE_RINGTONE (user_data);
  gint64 elapsed_ms = (g_get_monotonic_time () - self->started_at) / 1000;
  guint64 due = (guint64) (elapsed_ms + LEAD_MS) / MEDIA_FRAME_MS;

  while (self->frames_written < due)
    {
      int16_t pcm[MEDIA_FRAME_SAMPLES] = { 0 };

      if (self->frames_written % CADENCE_FRAMES < CADENCE_ON_FRAMES)
        media_device_read (self->tone, pcm);
      if (media_device_write (self->sink, pcm) < 0)
        {
          g_debug ("the ringtone's output device failed; ringing silently");
          self->tick_source = 0;
          floe_ringtone_stop (self);
          return G_SOURCE_REMOVE;
        }
      self->frames_written++;
    }
  return G_SOURCE_CONTINUE;
}

gboolean
floe_ringtone_start (FloeRingtone *self, const char *output_device)
{
  int err = 0;

  g_return_val_if_fail (FLOE_IS_RINGTONE (self), FALSE);

  floe_ringtone_stop (self);
  self->sink = media_device_portaudio_new (MEDIA_DEVICE_SINK,
                                           output_device != NULL && *output_device != '\0' ? output_device : NULL,
                                           &err);
  if (self->sink == NULL)
    {
      g_debug ("no output device for the ringtone (%d)", err);
      return FALSE;
    }
  self->tone = media_device_tone_new (TONE_LOW_HZ, TONE_HIGH_HZ, TONE_LEVEL_DBFS);
  if (self->tone == NULL || media_device_start (self->tone) < 0 || media_device_start (self->sink) < 0)
    {
      floe_ringtone_stop (self);
      return FALSE;
    }
  self->started_at = g_get_monotonic_time ();
  self->frames_written = 0;
  self->tick_source = g_timeout_add (TICK_MS, on_tick, self);
  return TRUE;
}

void
floe_ringtone_stop (FloeRingtone *self)
{
  g_return_if_fail (FLOE_IS_RINGTONE (self));

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->sink != NULL)
    media_device_stop (self->sink);
  g_clear_pointer (&self->sink, media_device_free);
  if (self->tone != NULL)
    media_device_stop (self->tone);
  g_clear_pointer (&self->tone, media_device_free);
}

gboolean
floe_ringtone_is_playing (FloeRingtone *self)
{
  g_return_val_if_fail (FLOE_IS_RINGTONE (self), FALSE);
  return self->tick_source != 0;
}

static void
floe_ringtone_dispose (GObject *object)
{
  floe_ringtone_stop (FLOE_RINGTONE (object));
  G_OBJECT_CLASS (floe_ringtone_parent_class)->dispose (object);
}

static void
floe_ringtone_class_init (FloeRingtoneClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = floe_ringtone_dispose;
}

static void
floe_ringtone_init (FloeRingtone *self)
{
}

FloeRingtone *
floe_ringtone_new (void)
{
  return g_object_new (FLOE_TYPE_RINGTONE, NULL);
}
