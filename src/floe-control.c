#include "config.h"

#include "floe-control.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>

/* Longest command line taken; anything longer is refused, not truncated. */
#define MAX_LINE 1024

struct _FloeControl
{
  FloeControlFunc func;
  gpointer user;
  GCancellable *cancellable;
  GSocketService *service;
  char *socket_path;
};

/* One reader: stdin, or one socket client. */
typedef struct
{
  FloeControl *control;
  GDataInputStream *in;
  GOutputStream *out; /* NULL: stdout */
  GIOStream *connection;
} Reader;

JsonBuilder *
floe_control_reply_begin (const char *command, gboolean ok, const char *error)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reply");
  json_builder_add_string_value (b, command);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, ok);
  if (error != NULL)
    {
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error);
    }
  return b;
}

static JsonNode *
refuse (const char *command, const char *why)
{
  g_autoptr (JsonBuilder) b = floe_control_reply_begin (command, FALSE, why);

  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
send_reply (Reader *r, JsonNode *reply)
{
  g_autofree char *text = json_to_string (reply, FALSE);
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  json_node_unref (reply);
  if (r->out == NULL)
    {
      fputs (line, stdout);
      fflush (stdout);
    }
  else
    g_output_stream_write_all (r->out, line, strlen (line), NULL, NULL, NULL);
}

static void
handle_line (Reader *r, char *line)
{
  char *arg;

  g_strstrip (line);
  if (*line == '\0')
    return;
  arg = line + strcspn (line, " \t");
  if (*arg != '\0')
    *arg++ = '\0';
  g_strstrip (arg);
  send_reply (r, r->control->func (r->control->user, line, arg));
}

static void
reader_free (Reader *r)
{
  g_clear_object (&r->in);
  g_clear_object (&r->connection);
  g_free (r);
}

static void read_next (Reader *r);

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  Reader *r = data;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, &len,
                                                                     &error);

  if (line == NULL)
    {
      /* End of input, a closed client, or the run ending: stop reading. */
      reader_free (r);
      return;
    }
  if (len > MAX_LINE)
    send_reply (r, refuse ("?", _("the command line is too long")));
  else
    handle_line (r, line);
  read_next (r);
}

static void
read_next (Reader *r)
{
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, r->control->cancellable, on_line, r);
}

static void
start_reader (FloeControl *control, GInputStream *in, GOutputStream *out, GIOStream *connection)
{
  Reader *r = g_new0 (Reader, 1);

  r->control = control;
  r->in = g_data_input_stream_new (in);
  r->out = out;
  r->connection = connection;
  read_next (r);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer data)
{
  FloeControl *control = data;
  GIOStream *io = G_IO_STREAM (g_object_ref (connection));

  start_reader (control, g_io_stream_get_input_stream (io), g_io_stream_get_output_stream (io), io);
  return TRUE;
}

FloeControl *
floe_control_new (FloeControlFunc func, gpointer user, gboolean use_stdin, const char *socket_path,
                  GError **error)
{
  FloeControl *control = g_new0 (FloeControl, 1);

  control->func = func;
  control->user = user;
  control->cancellable = g_cancellable_new ();
  if (socket_path != NULL)
    {
      g_autoptr (GSocketAddress) address = g_unix_socket_address_new (socket_path);
      control->service = g_socket_service_new ();
      if (!g_socket_listener_add_address (G_SOCKET_LISTENER (control->service), address, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
        {
          floe_control_free (control);
          return NULL;
        }
      control->socket_path = g_strdup (socket_path);
      g_signal_connect (control->service, "incoming", G_CALLBACK (on_incoming), control);
      g_socket_service_start (control->service);
    }
  if (use_stdin)
    {
      GInputStream *in = g_unix_input_stream_new (0, FALSE);
      start_reader (control, in, NULL, NULL);
      g_object_unref (in);
    }
  return control;
}

void
floe_control_free (FloeControl *control)
{
  if (control == NULL)
    return;
  g_cancellable_cancel (control->cancellable);
  if (control->service != NULL)
    {
      g_socket_service_stop (control->service);
      g_socket_listener_close (G_SOCKET_LISTENER (control->service));
      g_object_unref (control->service);
    }
  if (control->socket_path != NULL)
    g_unlink (control->socket_path);
  g_free (control->socket_path);
  g_object_unref (control->cancellable);
  g_free (control);
}
