/* Offer/answer SDP for one audio stream. Parsing goes through Sofia's SDP
 * parser; building is plain text so that every line we send is one we chose. */
#include "config.h"

#define G_LOG_DOMAIN "floe-sip"

#include "floe-sdp.h"

#include "media/srtp.h"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>
#include <string.h>

G_DEFINE_QUARK (floe-sdp-error-quark, floe_sdp_error)

static const FloeCodec default_codecs[] = {
  FLOE_CODEC_OPUS, FLOE_CODEC_PCMU, FLOE_CODEC_PCMA, FLOE_CODEC_NONE
};

/* Direction as two bits from the describer's side: 1 = it sends, 2 = it receives. */
enum { DIR_SEND = 1, DIR_RECV = 2 };

static unsigned
direction_bits (FloeSdpDirection d)
{
  switch (d)
    {
    case FLOE_SDP_SENDRECV: return DIR_SEND | DIR_RECV;
    case FLOE_SDP_SENDONLY: return DIR_SEND;
    case FLOE_SDP_RECVONLY: return DIR_RECV;
    case FLOE_SDP_INACTIVE: default: return 0;
    }
}

static FloeSdpDirection
direction_from_bits (unsigned b)
{
  switch (b & 3)
    {
    case DIR_SEND | DIR_RECV: return FLOE_SDP_SENDRECV;
    case DIR_SEND: return FLOE_SDP_SENDONLY;
    case DIR_RECV: return FLOE_SDP_RECVONLY;
    default: return FLOE_SDP_INACTIVE;
    }
}

const char *
floe_sdp_direction_name (FloeSdpDirection d)
{
  switch (d)
    {
    case FLOE_SDP_SENDRECV: return "sendrecv";
    case FLOE_SDP_SENDONLY: return "sendonly";
    case FLOE_SDP_RECVONLY: return "recvonly";
    case FLOE_SDP_INACTIVE: return "inactive";
    default: return "inactive";
    }
}

FloeSdpDirection
floe_sdp_direction_answer (FloeSdpDirection offered, FloeSdpDirection ours)
{
  unsigned o = direction_bits (offered);
  /* What the offerer sends we may receive, and the other way round. */
  unsigned mirrored = ((o & DIR_SEND) ? DIR_RECV : 0) | ((o & DIR_RECV) ? DIR_SEND : 0);
  return direction_from_bits (mirrored & direction_bits (ours));
}

static const char *
codec_name (FloeCodec c)
{
  switch (c)
    {
    case FLOE_CODEC_OPUS: return "opus";
    case FLOE_CODEC_PCMU: return "PCMU";
    case FLOE_CODEC_PCMA: return "PCMA";
    case FLOE_CODEC_NONE: default: return NULL;
    }
}

static guint8
codec_default_pt (FloeCodec c)
{
  switch (c)
    {
    case FLOE_CODEC_OPUS: return FLOE_SDP_PT_OPUS;
    case FLOE_CODEC_PCMA: return 8;
    case FLOE_CODEC_PCMU: default: return 0;
    }
}

static guint
codec_rate (FloeCodec c)
{
  return c == FLOE_CODEC_OPUS ? 48000 : 8000;
}

static const FloeCodec *
local_codecs (const FloeSdpLocal *local)
{
  return local->codecs ? local->codecs : default_codecs;
}

/* A key line the SRTP layer can take: known suite, one key, no MKI. */
static gboolean
crypto_usable (const char *value)
{
  media_srtp_crypto c;

  if (media_srtp_crypto_parse (value, strlen (value), &c) < 0)
    return FALSE;
  media_srtp_crypto_clear (&c);
  return TRUE;
}

static gboolean
is_ice_attribute (const char *name)
{
  static const char *const names[] = {
    "ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
    "candidate", "remote-candidates", "ice-pacing", NULL
  };
  for (guint i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_ice (const char *const *ice)
{
  return ice && ice[0];
}

/* Every m= line of the offer other than its audio one, refused with port
 * 0 in the answer (RFC 3264 6: the answer has as many m= lines, in order). */
static void
append_refused (GString *s, const FloeSdpMedia *offer, gboolean before_audio)
{
  if (!offer)
    return;
  for (guint i = 0; i < offer->m_lines->len; i++)
    if ((i < offer->audio_index) == before_audio && i != offer->audio_index)
      {
        const char *line = g_ptr_array_index (offer->m_lines, i);
        const char *sp = strchr (line, ' ');
        g_string_append_printf (s, "m=%.*s 0%s\r\n", (int) (sp - line), line, sp);
      }
}

/* One audio description, as an offer or (offer non-NULL) an answer. codecs
 * are in the numbering to send; te_pt is -1 to leave telephone-event out. */
static char *
build (const FloeSdpLocal *local, const FloeSdpMedia *offer, const FloeSdpCodec *codecs, guint n_codecs,
       gint te_pt, gboolean savp, const char *const *crypto,
       gboolean with_ice, gboolean rtcp_mux)
{
  GString *s = g_string_new (NULL);
  const char *ip = local->addr ? local->addr : "0.0.0.0";
  const char *ipver = strchr (ip, ':') ? "IP6" : "IP4";
  guint bitrate = local->opus_max_average_bitrate ? local->opus_max_average_bitrate : 32000;

  g_string_append_printf (s, "v=0\r\no=floe %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s\r\n",
                          local->session_id, local->session_version, ipver, ip);
  g_string_append (s, "s=-\r\n");
  g_string_append_printf (s, "c=IN %s %s\r\nt=0 0\r\n", ipver, ip);
  if (with_ice)
    for (guint i = 0; local->ice[i]; i++)
      if (g_str_equal (local->ice[i], "ice-lite"))
        g_string_append (s, "a=ice-lite\r\n");

  append_refused (s, offer, TRUE);
  g_string_append_printf (s, "m=audio %u %s", local->port, savp ? "RTP/SAVP" : "RTP/AVP");
  for (guint i = 0; i < n_codecs; i++)
    g_string_append_printf (s, " %u", codecs[i].pt);
  if (te_pt >= 0)
    g_string_append_printf (s, " %d", te_pt);
  g_string_append (s, "\r\n");

  for (guint i = 0; i < n_codecs; i++)
    {
      const FloeSdpCodec *c = &codecs[i];
      if (c->codec == FLOE_CODEC_OPUS)
        {
          /* RFC 7587: always "opus/48000/2"; mono and FEC go in fmtp. */
          g_string_append_printf (s, "a=rtpmap:%u opus/48000/2\r\n", c->pt);
          g_string_append_printf (s, "a=fmtp:%u useinbandfec=1;maxaveragebitrate=%u;stereo=0;sprop-stereo=0\r\n",
                                  c->pt, bitrate);
        }
      else
        g_string_append_printf (s, "a=rtpmap:%u %s/8000\r\n", c->pt, codec_name (c->codec));
    }
  if (te_pt >= 0)
    {
      g_string_append_printf (s, "a=rtpmap:%d telephone-event/8000\r\n", te_pt);
      g_string_append_printf (s, "a=fmtp:%d 0-15\r\n", te_pt);
    }
  g_string_append_printf (s, "a=ptime:20\r\n");
  g_string_append_printf (s, "a=rtcp:%u IN %s %s\r\n",
                          local->rtcp_port ? local->rtcp_port : (guint) local->port + 1, ipver, ip);
  if (rtcp_mux)
    g_string_append (s, "a=rtcp-mux\r\n");
  if (crypto)
    for (guint i = 0; crypto[i]; i++)
      g_string_append_printf (s, "a=crypto:%s\r\n", crypto[i]);
  if (with_ice)
    for (guint i = 0; local->ice[i]; i++)
      if (!g_str_equal (local->ice[i], "ice-lite"))
        g_string_append_printf (s, "a=%s\r\n", local->ice[i]);
  g_string_append_printf (s, "a=%s\r\n", floe_sdp_direction_name (local->direction));
  append_refused (s, offer, FALSE);
  return g_string_free (s, FALSE);
}

char *
floe_sdp_build_offer (const FloeSdpLocal *local)
{
  const FloeCodec *list = local_codecs (local);
  FloeSdpCodec codecs[8];
  guint n = 0;

  for (guint i = 0; list[i] != FLOE_CODEC_NONE && n < G_N_ELEMENTS (codecs); i++)
    codecs[n++] = (FloeSdpCodec){ list[i], codec_default_pt (list[i]), codec_rate (list[i]) };

  return build (local, NULL, codecs, n, FLOE_SDP_PT_TELEPHONE_EVENT,
                local->srtp == FLOE_SRTP_REQUIRED,
                local->srtp != FLOE_SRTP_OFF ? local->crypto : NULL,
                has_ice (local->ice), TRUE);
}

static FloeCodec
codec_from_rtpmap (const sdp_rtpmap_t *rm)
{
  if (!rm->rm_encoding)
    return FLOE_CODEC_NONE;
  if (g_ascii_strcasecmp (rm->rm_encoding, "opus") == 0 && rm->rm_rate == 48000)
    return FLOE_CODEC_OPUS;
  if (g_ascii_strcasecmp (rm->rm_encoding, "PCMU") == 0 && rm->rm_rate == 8000)
    return FLOE_CODEC_PCMU;
  if (g_ascii_strcasecmp (rm->rm_encoding, "PCMA") == 0 && rm->rm_rate == 8000)
    return FLOE_CODEC_PCMA;
  return FLOE_CODEC_NONE;
}

/* Reads one "key=value" out of an fmtp parameter list ("a=1;b=2"). */
static gboolean
fmtp_param (const char *fmtp, const char *key, guint *value)
{
  g_auto (GStrv) parts = NULL;

  if (!fmtp)
    return FALSE;
  parts = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      gsize kl = strlen (key);
      if (g_ascii_strncasecmp (p, key, kl) == 0 && p[kl] == '=')
        {
          guint64 v;
          if (!g_ascii_string_to_unsigned (p + kl + 1, 10, 0, G_MAXUINT, &v, NULL))
            return FALSE;
          *value = (guint) v;
          return TRUE;
        }
    }
  return FALSE;
}

static void
read_rtcp_attribute (FloeSdpMedia *m, const char *value)
{
  /* "port [IN IP4 addr]" (RFC 3605) */
  g_auto (GStrv) tok = g_strsplit (value, " ", -1);
  guint64 port;

  if (!tok[0] || !g_ascii_string_to_unsigned (tok[0], 10, 1, 65535, &port, NULL))
    return;
  m->rtcp_port = (guint16) port;
  if (tok[1] && tok[2] && tok[3] && g_str_equal (tok[1], "IN"))
    {
      g_free (m->rtcp_addr);
      m->rtcp_addr = g_strdup (tok[3]);
    }
}

FloeSdpMedia *
floe_sdp_media_parse (const char *text, gsize len, GError **error)
{
  su_home_t home[1] = { SU_HOME_INIT (home) };
  sdp_parser_t *parser;
  sdp_session_t *session;
  sdp_media_t *audio = NULL;
  FloeSdpMedia *m = NULL;

  if (!text || len == 0 || len > 65535)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_PARSE, "empty or oversized session description");
      return NULL;
    }
  parser = sdp_parse (home, text, (isize_t) len, sdp_f_strict);
  session = sdp_session (parser);
  if (!session)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_PARSE, "malformed session description: %s",
                   sdp_parsing_error (parser));
      goto out;
    }
  for (sdp_media_t *md = session->sdp_media; md; md = md->m_next)
    if (md->m_type == sdp_media_audio && !audio)
      audio = md;
  if (!audio || (audio->m_proto != sdp_proto_rtp && audio->m_proto != sdp_proto_srtp))
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_PARSE, "no RTP audio stream in the session description");
      goto out;
    }

  m = g_new0 (FloeSdpMedia, 1);
  m->codecs = g_array_new (FALSE, FALSE, sizeof (FloeSdpCodec));
  m->crypto = g_ptr_array_new_with_free_func (g_free);
  m->ice = g_ptr_array_new_with_free_func (g_free);
  m->telephone_event_pt = -1;
  m->m_lines = g_ptr_array_new_with_free_func (g_free);
  for (sdp_media_t *md = session->sdp_media; md; md = md->m_next)
    {
      GString *line = g_string_new (md->m_type_name ? md->m_type_name : "unknown");
      g_string_append_printf (line, " %s", md->m_proto_name ? md->m_proto_name : "RTP/AVP");
      for (const sdp_list_t *f = md->m_format; f; f = f->l_next)
        g_string_append_printf (line, " %s", f->l_text);
      if (!md->m_format)
        g_string_append (line, md->m_rtpmaps ? "" : " 0");
      for (const sdp_rtpmap_t *rm = md->m_format ? NULL : md->m_rtpmaps; rm; rm = rm->rm_next)
        g_string_append_printf (line, " %u", rm->rm_pt);
      if (md == audio)
        m->audio_index = m->m_lines->len;
      g_ptr_array_add (m->m_lines, g_string_free (line, FALSE));
    }
  m->port = audio->m_rejected || audio->m_port > 65535 ? 0 : (guint16) audio->m_port;
  m->savp = audio->m_proto == sdp_proto_srtp;
  if (session->sdp_origin)
    {
      m->session_id = session->sdp_origin->o_id;
      m->session_version = session->sdp_origin->o_version;
    }
  {
    const sdp_connection_t *c = audio->m_connections ? audio->m_connections : session->sdp_connection;
    m->addr = g_strdup (c && c->c_address ? c->c_address : "0.0.0.0");
  }
  switch (audio->m_mode)
    {
    case sdp_sendonly: m->direction = FLOE_SDP_SENDONLY; break;
    case sdp_recvonly: m->direction = FLOE_SDP_RECVONLY; break;
    case sdp_inactive: m->direction = FLOE_SDP_INACTIVE; break;
    default: m->direction = FLOE_SDP_SENDRECV; break;
    }
  /* RFC 3264 6.1: an offer with c=0.0.0.0 is the old way of holding. */
  if (g_str_equal (m->addr, "0.0.0.0"))
    m->direction = FLOE_SDP_INACTIVE;

  for (const sdp_rtpmap_t *rm = audio->m_rtpmaps; rm; rm = rm->rm_next)
    {
      FloeCodec c = codec_from_rtpmap (rm);
      if (c != FLOE_CODEC_NONE)
        {
          FloeSdpCodec sc = { c, (guint8) rm->rm_pt, (guint) rm->rm_rate };
          g_array_append_val (m->codecs, sc);
          if (c == FLOE_CODEC_OPUS && m->codecs->len == 1)
            {
              guint v = 0;
              m->opus_inband_fec = fmtp_param (rm->rm_fmtp, "useinbandfec", &v) && v == 1;
              if (fmtp_param (rm->rm_fmtp, "maxaveragebitrate", &v))
                m->opus_max_average_bitrate = v;
            }
        }
      else if (rm->rm_encoding && g_ascii_strcasecmp (rm->rm_encoding, "telephone-event") == 0
               && rm->rm_rate == 8000 && m->telephone_event_pt < 0)
        m->telephone_event_pt = rm->rm_pt;
    }

  m->rtcp_port = m->port ? (guint16) (m->port + 1) : 0;
  for (const sdp_attribute_t *a = session->sdp_attributes; a; a = a->a_next)
    if (a->a_name && is_ice_attribute (a->a_name))
      g_ptr_array_add (m->ice, a->a_value ? g_strdup_printf ("%s:%s", a->a_name, a->a_value)
                                          : g_strdup (a->a_name));
  for (const sdp_attribute_t *a = audio->m_attributes; a; a = a->a_next)
    {
      if (!a->a_name)
        continue;
      if (g_ascii_strcasecmp (a->a_name, "rtcp-mux") == 0)
        m->rtcp_mux = TRUE;
      else if (g_ascii_strcasecmp (a->a_name, "rtcp") == 0 && a->a_value)
        read_rtcp_attribute (m, a->a_value);
      else if (g_ascii_strcasecmp (a->a_name, "crypto") == 0 && a->a_value)
        g_ptr_array_add (m->crypto, g_strdup (a->a_value));
      else if (is_ice_attribute (a->a_name))
        g_ptr_array_add (m->ice, a->a_value ? g_strdup_printf ("%s:%s", a->a_name, a->a_value)
                                            : g_strdup (a->a_name));
    }
  if (!m->rtcp_addr)
    m->rtcp_addr = g_strdup (m->addr);

out:
  sdp_parser_free (parser);
  su_home_deinit (home);
  return m;
}

void
floe_sdp_media_free (FloeSdpMedia *m)
{
  if (!m)
    return;
  g_free (m->addr);
  g_free (m->rtcp_addr);
  g_array_unref (m->codecs);
  g_ptr_array_unref (m->crypto);
  g_ptr_array_unref (m->ice);
  g_ptr_array_unref (m->m_lines);
  g_free (m);
}

void
floe_sdp_result_clear (FloeSdpResult *r)
{
  g_clear_pointer (&r->crypto, g_free);
  g_clear_pointer (&r->local_crypto, g_free);
}

const char *
floe_sdp_pick_crypto (const FloeSdpMedia *offer)
{
  for (guint i = 0; i < offer->crypto->len; i++)
    if (crypto_usable (g_ptr_array_index (offer->crypto, i)))
      return g_ptr_array_index (offer->crypto, i);
  return NULL;
}

char *
floe_sdp_crypto_new (guint tag, const char *suite)
{
  media_srtp_suite id;
  media_srtp_crypto c;
  char line[MEDIA_SRTP_CRYPTO_LINE_MAX];
  int n;

  if (media_srtp_suite_from_name (suite, strlen (suite), &id) < 0
      || media_srtp_crypto_generate (id, tag, &c) < 0)
    return NULL;
  n = media_srtp_crypto_format (&c, line, sizeof line);
  media_srtp_crypto_clear (&c);
  if (n < 0)
    return NULL;
  {
    char *out = g_strdup (line);
    memset (line, 0, sizeof line);
    return out;
  }
}

static gboolean
media_has_ice (const FloeSdpMedia *m)
{
  gboolean ufrag = FALSE, pwd = FALSE;
  for (guint i = 0; i < m->ice->len; i++)
    {
      const char *l = g_ptr_array_index (m->ice, i);
      ufrag |= g_str_has_prefix (l, "ice-ufrag:");
      pwd |= g_str_has_prefix (l, "ice-pwd:");
      if (g_str_equal (l, "ice-mismatch"))
        return FALSE;
    }
  return ufrag && pwd;
}

/* The first of the peer's codecs (its order: the offerer's preference wins,
 * RFC 3264 6.1) that we also have. */
static gboolean
first_common_codec (const FloeCodec *ours, const FloeSdpMedia *theirs, FloeSdpCodec *out)
{
  for (guint i = 0; i < theirs->codecs->len; i++)
    {
      const FloeSdpCodec *c = &g_array_index (theirs->codecs, FloeSdpCodec, i);
      for (guint j = 0; ours[j] != FLOE_CODEC_NONE; j++)
        if (ours[j] == c->codec)
          {
            *out = *c;
            return TRUE;
          }
    }
  return FALSE;
}

char *
floe_sdp_build_answer (const FloeSdpLocal *local, const FloeSdpMedia *offer,
                       FloeSdpResult *result, GError **error)
{
  const FloeCodec *ours = local_codecs (local);
  FloeSdpCodec accepted[8];
  guint n = 0;
  const char *crypto = NULL;
  FloeSdpLocal answer = *local;
  gboolean ice;

  memset (result, 0, sizeof *result);
  if (offer->port == 0)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_REJECTED, "the offer has no active audio stream");
      return NULL;
    }
  /* Every codec of the offer we can decode, in the offer's order and
   * numbering, so the offerer may switch among them. */
  for (guint i = 0; i < offer->codecs->len && n < G_N_ELEMENTS (accepted); i++)
    {
      const FloeSdpCodec *c = &g_array_index (offer->codecs, FloeSdpCodec, i);
      for (guint j = 0; ours[j] != FLOE_CODEC_NONE; j++)
        if (ours[j] == c->codec)
          {
            accepted[n++] = *c;
            break;
          }
    }
  if (n == 0)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_NO_CODEC, "no codec in common with the offer");
      return NULL;
    }

  if (local->srtp != FLOE_SRTP_OFF)
    crypto = floe_sdp_pick_crypto (offer);
  if (local->srtp == FLOE_SRTP_REQUIRED && !crypto)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REQUIRED, "the offer has no usable SRTP key");
      return NULL;
    }
  if (offer->savp && !crypto)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REFUSED,
                   "the offer requires SRTP, which is switched off or has no usable key");
      return NULL;
    }
  if (crypto && !(local->crypto && local->crypto[0]))
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REQUIRED, "no local SRTP key for the answer");
      return NULL;
    }

  ice = has_ice (local->ice) && media_has_ice (offer);
  answer.direction = floe_sdp_direction_answer (offer->direction, local->direction);

  result->codec = accepted[0];
  result->telephone_event_pt = offer->telephone_event_pt;
  result->opus_inband_fec = offer->opus_inband_fec;
  result->opus_max_average_bitrate = offer->opus_max_average_bitrate;
  result->direction = answer.direction;
  result->rtcp_mux = offer->rtcp_mux;
  result->crypto = g_strdup (crypto);
  result->local_crypto = crypto ? g_strdup (local->crypto[0]) : NULL;
  result->ice = ice;

  {
    const char *one_key[2] = { crypto ? local->crypto[0] : NULL, NULL };
    return build (&answer, offer, accepted, n, offer->telephone_event_pt, offer->savp,
                  crypto ? one_key : NULL, ice, offer->rtcp_mux);
  }
}

gboolean
floe_sdp_accept_answer (const FloeSdpLocal *offered, const FloeSdpMedia *answer,
                        FloeSdpResult *result, GError **error)
{
  memset (result, 0, sizeof *result);
  if (answer->port == 0)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_REJECTED, "the peer rejected the audio stream");
      return FALSE;
    }
  if (!first_common_codec (local_codecs (offered), answer, &result->codec))
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_NO_CODEC, "the answer holds no codec we offered");
      return FALSE;
    }
  /* The answer's key must answer one of our tags with the same suite. */
  if (offered->srtp != FLOE_SRTP_OFF && offered->crypto)
    for (guint i = 0; i < answer->crypto->len && !result->crypto; i++)
      {
        const char *theirs = g_ptr_array_index (answer->crypto, i);
        const char *sp = strchr (theirs, ' ');
        const char *sp2 = sp ? strchr (sp + 1, ' ') : NULL;
        if (!sp2 || !crypto_usable (theirs))
          continue;
        for (guint j = 0; offered->crypto[j]; j++)
          if (strncmp (offered->crypto[j], theirs, (gsize) (sp2 - theirs)) == 0
              && offered->crypto[j][sp2 - theirs] == ' ')
            {
              result->crypto = g_strdup (theirs);
              result->local_crypto = g_strdup (offered->crypto[j]);
              break;
            }
      }
  if (offered->srtp == FLOE_SRTP_REQUIRED && !result->crypto)
    {
      g_set_error (error, FLOE_SDP_ERROR, FLOE_SDP_ERROR_SRTP_REQUIRED, "the answer has no usable SRTP key");
      return FALSE;
    }
  result->telephone_event_pt = answer->telephone_event_pt;
  result->opus_inband_fec = answer->opus_inband_fec;
  result->opus_max_average_bitrate = answer->opus_max_average_bitrate;
  result->direction = floe_sdp_direction_answer (answer->direction, offered->direction);
  result->rtcp_mux = answer->rtcp_mux;
  result->ice = has_ice (offered->ice) && media_has_ice (answer);
  return TRUE;
}
