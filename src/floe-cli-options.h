/* What a headless run was asked to do: the command line and the key-file
 * given by --config, checked and merged (flags win over the file). */
#pragma once

#include <glib.h>

#include "floe-ice-server.h"
#include "media/codec.h"

G_BEGIN_DECLS

typedef enum
{
  FLOE_EXPECT_PAIR_ANY,
  FLOE_EXPECT_PAIR_HOST,
  FLOE_EXPECT_PAIR_SRFLX,
  FLOE_EXPECT_PAIR_PRFLX,
  FLOE_EXPECT_PAIR_RELAY,
  FLOE_EXPECT_PAIR_DIRECT, /* anything but a relay */
} FloeExpectPair;

typedef struct
{
  gboolean version;  /* --version: print it and stop */
  char *help;        /* --help: this text to print, and stop */

  /* account */
  char *account;     /* "sip:alice@example.org"; NULL: direct calls only */
  char *password;    /* secret: from a file or the environment, never argv */
  char *registrar;   /* registrar URI; NULL: the account's domain */
  char *proxy;       /* outbound proxy URI, or NULL */
  int transport;      /* a FloeSipTransport (floe-account.h): udp, tcp, tls */
  char *ca_file;     /* extra CA to trust for TLS, or NULL */
  char *listen;      /* local SIP address "host:port", or NULL for any */

  /* ICE and media */
  GPtrArray *ice_servers; /* FloeIceServer*, STUN and TURN, credentials applied */
  FloeIcePolicy ice_policy;
  char *interfaces;       /* "eth0,wlan0": only these carry media; NULL: all */
  gboolean gather_ahead;  /* keep the next call's candidates gathered (FloeIcePool) */
  int srtp;               /* a FloeSrtpPolicy (floe-sdp.h) */
  char **codecs;          /* "opus", "pcmu", "pcma" in preference order */
  media_opus_settings opus; /* MEDIA_OPUS_PROFILE_LIGHT unless told otherwise */

  /* actions */
  gboolean register_only;
  char *call;             /* URI to call, or NULL */
  int auto_answer_ms;     /* -1: do not answer */
  double duration_s;      /* 0: until the peer hangs up */
  char *play;             /* file path, or "tone:FREQ" */
  char *record;
  char *dtmf;
  guint calls;            /* to place, or with --auto-answer to take before exiting */
  double rate;            /* new calls per second when calls > 1 */

  /* verdicts and reports */
  FloeExpectPair expect_pair;
  gboolean expect_audio;
  int max_setup_ms;       /* -1: no bound */
  gboolean json;
  char *junit;
  gboolean control;       /* line protocol on stdin */
  char *control_socket;
} FloeCliOptions;

/* Parses argv (removing what it understood) into a new FloeCliOptions. On
 * error returns NULL with a sentence that says what to change. */
FloeCliOptions *floe_cli_options_parse (int *argc, char ***argv, GError **error);
void floe_cli_options_free (FloeCliOptions *options);

/* "tone:440" -> 440; 0 when @play is not a tone. */
double floe_cli_options_tone_hz (const char *play);

const char *floe_expect_pair_name (FloeExpectPair expect);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FloeCliOptions, floe_cli_options_free)

G_END_DECLS
