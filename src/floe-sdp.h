/* Offer/answer SDP for one audio stream: building our offers and answers,
 * reading the peer's, and choosing what both sides can do (RFC 3264).
 *
 * ICE (RFC 8839) and SDES (RFC 4568) lines come in as opaque attribute
 * values from their owners (the ICE agent, the SRTP layer); this module only
 * places them and reads them back, so it never needs to understand them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FLOE_SDP_ERROR (floe_sdp_error_quark ())
GQuark floe_sdp_error_quark (void);

typedef enum
{
  FLOE_SDP_ERROR_PARSE,          /* not SDP at all, or no audio stream */
  FLOE_SDP_ERROR_NO_CODEC,       /* no codec in common */
  FLOE_SDP_ERROR_SRTP_REQUIRED,  /* we require SRTP, the peer offers none we know */
  FLOE_SDP_ERROR_SRTP_REFUSED,   /* the peer requires SRTP, our policy is off */
  FLOE_SDP_ERROR_REJECTED,       /* the peer rejected the audio stream (port 0) */
} FloeSdpError;

typedef enum
{
  FLOE_SDP_SENDRECV,
  FLOE_SDP_SENDONLY,
  FLOE_SDP_RECVONLY,
  FLOE_SDP_INACTIVE,
} FloeSdpDirection;

typedef enum
{
  FLOE_SRTP_OFF,       /* plain RTP/AVP, no a=crypto */
  FLOE_SRTP_OPTIONAL,  /* RTP/AVP carrying a=crypto: SRTP when the peer takes it */
  FLOE_SRTP_REQUIRED,  /* RTP/SAVP; a peer without SRTP gets no call */
} FloeSrtpPolicy;

typedef enum
{
  FLOE_CODEC_NONE,
  FLOE_CODEC_OPUS,
  FLOE_CODEC_PCMU,
  FLOE_CODEC_PCMA,
} FloeCodec;

/* Dynamic payload types we offer; answers keep the offerer's numbers. */
#define FLOE_SDP_PT_OPUS 111
#define FLOE_SDP_PT_TELEPHONE_EVENT 101

/* What we describe about ourselves in an offer or an answer. Strings are
 * borrowed for the duration of the call that takes this struct. */
typedef struct
{
  const char *addr;            /* default candidate address: c= and o= */
  guint16 port;                /* default candidate RTP port: m= */
  guint16 rtcp_port;           /* a=rtcp; 0 means port + 1 */
  guint64 session_id;          /* o= id, fixed for the dialog */
  guint64 session_version;     /* o= version, incremented by the caller per new offer */
  FloeSdpDirection direction;
  FloeSrtpPolicy srtp;
  const char *const *crypto;   /* a=crypto values ("1 AES_CM_128_HMAC_SHA1_80 inline:..."), NULL-terminated */
  const char *const *ice;      /* RFC 8839 attribute lines without "a=" ("ice-ufrag:x", "candidate:..."), NULL-terminated; NULL: no ICE */
  const FloeCodec *codecs;     /* preference order, terminated by FLOE_CODEC_NONE; NULL: Opus, PCMU, PCMA */
  guint opus_max_average_bitrate; /* bits per second; 0 means 32000 */
} FloeSdpLocal;

typedef struct
{
  FloeCodec codec;
  guint8 pt;
  guint clock_rate;
} FloeSdpCodec;

/* What a parsed description says about its audio stream. */
typedef struct
{
  char *addr;                /* c= (media level, else session level) */
  guint16 port;              /* 0: stream rejected */
  char *rtcp_addr;           /* a=rtcp address, or addr */
  guint16 rtcp_port;         /* a=rtcp port, or port + 1 */
  gboolean rtcp_mux;
  FloeSdpDirection direction;
  gboolean savp;             /* profile RTP/SAVP */
  guint64 session_id;
  guint64 session_version;
  GArray *codecs;            /* FloeSdpCodec we know, in the description's order */
  gint telephone_event_pt;   /* -1: none at 8000 Hz */
  gboolean opus_inband_fec;
  guint opus_max_average_bitrate; /* 0: not given */
  GPtrArray *crypto;         /* char *: a=crypto values */
  GPtrArray *ice;            /* char *: RFC 8839 lines (session and media level) without "a=" */
  GPtrArray *m_lines;        /* char *: every stream as "type proto fmt...", in order */
  guint audio_index;         /* which of them is the audio stream described here */
} FloeSdpMedia;

/* The outcome of one offer/answer exchange, from our side. */
typedef struct
{
  FloeSdpCodec codec;          /* the codec both sides use */
  gint telephone_event_pt;     /* -1: DTMF must go by SIP INFO */
  gboolean opus_inband_fec;    /* the peer asks for in-band FEC */
  guint opus_max_average_bitrate;
  FloeSdpDirection direction;  /* from our point of view */
  gboolean rtcp_mux;
  char *crypto;                /* the peer's chosen a=crypto value, NULL: plain RTP */
  char *local_crypto;          /* our a=crypto value that goes with it */
  gboolean ice;                /* both sides do ICE */
} FloeSdpResult;

/* Builds an offer. Returns a newly allocated SDP text. */
char *floe_sdp_build_offer (const FloeSdpLocal *local);

/* Parses a description (len bytes, need not be NUL-terminated). */
FloeSdpMedia *floe_sdp_media_parse (const char *sdp, gsize len, GError **error);
void floe_sdp_media_free (FloeSdpMedia *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FloeSdpMedia, floe_sdp_media_free)

/* Answers a peer's offer. local->crypto must hold our key line for the
 * offer's chosen crypto (use floe_sdp_pick_crypto() first); local->ice is
 * ignored when the offer carries no ICE. Fills *result. Returns the answer
 * text, or NULL with an error saying why the offer cannot be taken (the
 * caller then answers 488). */
char *floe_sdp_build_answer (const FloeSdpLocal *local, const FloeSdpMedia *offer,
                             FloeSdpResult *result, GError **error);

/* Reads the peer's answer to our offer. Fills *result. */
gboolean floe_sdp_accept_answer (const FloeSdpLocal *offered, const FloeSdpMedia *answer,
                                 FloeSdpResult *result, GError **error);

/* The peer's first a=crypto value the SRTP layer can use (media/srtp.h:
 * known suite, a single key, no MKI), or NULL. Borrowed from the media. */
const char *floe_sdp_pick_crypto (const FloeSdpMedia *offer);

/* A fresh SDES line "tag suite inline:key||salt" for tag and suite name,
 * made by media/srtp.h; NULL for a suite it does not do. Never log it. */
char *floe_sdp_crypto_new (guint tag, const char *suite);

void floe_sdp_result_clear (FloeSdpResult *r);

const char *floe_sdp_direction_name (FloeSdpDirection d); /* "sendrecv"... */
/* The direction our answer takes when the peer offers d. */
FloeSdpDirection floe_sdp_direction_answer (FloeSdpDirection offered, FloeSdpDirection ours);

G_END_DECLS
