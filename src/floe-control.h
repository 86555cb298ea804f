/* The headless control channel: one command per line on standard input
 * and/or a Unix socket ("call sip:bob@example.org", "answer", "hangup",
 * "dtmf 123", "hold", "resume", "stats", "quit"), each answered with one
 * JSON object on a line of its own. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _FloeControl FloeControl;

/* Carries out one command; returns the reply object (taken). argument is
 * the rest of the line, stripped, or "" when there is none. */
typedef JsonNode *(*FloeControlFunc) (gpointer user, const char *command, const char *argument);

/* use_stdin: read commands from standard input (replies on stdout).
 * socket_path: also listen on this Unix socket, or NULL. */
FloeControl *floe_control_new (FloeControlFunc func, gpointer user, gboolean use_stdin,
                               const char *socket_path, GError **error);
void floe_control_free (FloeControl *control);

/* A reply {"reply": command, "ok": ok, "error": message?}; add members to
 * the builder's open object before json_builder_end_object. */
JsonBuilder *floe_control_reply_begin (const char *command, gboolean ok, const char *error);

G_END_DECLS
