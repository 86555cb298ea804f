/* What the SIP tests share: running the main loop until something holds,
 * and a Kamailio of the test's own on 127.0.0.1. */
#pragma once

#include <glib.h>

#include "src/floe-account.h"

typedef gboolean (*SipCondition) (gpointer data);

/* Runs the default main context until cond(data) holds. A generous cap
 * (seconds) only keeps a broken test from hanging; it is no timing check. */
gboolean sip_wait (SipCondition cond, gpointer data, guint cap_seconds);

/* Waits until the object's int property has the value. */
gboolean sip_wait_int (gpointer object, const char *property, int value, guint cap_seconds);

typedef struct
{
  char *dir;      /* temporary directory with the config, users and pid file */
  guint port;     /* UDP and TCP */
  GPid pid;
} SipKamailio;

/* The kamailio binary, or NULL (the test then skips). */
const char *sip_kamailio_path (void);
/* Writes the config and users ("alice", "secret", ... NULL) into a fresh dir. */
void sip_kamailio_prepare (SipKamailio *k, const char *const *users);
/* Starts it in the foreground (-DD -E) and waits until it listens. */
gboolean sip_kamailio_start (SipKamailio *k);
/* Stops it by PID (also one started by another process, from the pid file). */
void sip_kamailio_stop (SipKamailio *k);
void sip_kamailio_cleanup (SipKamailio *k);

/* A free port for both UDP and TCP on 127.0.0.1. */
guint sip_free_port (void);

/* An account on 127.0.0.1 for tests; registrar NULL means direct calls only. */
FloeAccount *sip_test_account (const char *user, const char *password, const char *registrar,
                               const char *first_property, ...);
