/* Two Floe agents on 127.0.0.1 calling each other without any registrar,
 * and what an agent does with requests that are broken or not for it. */
#include "config.h"

#include <check.h>
#include <gio/gio.h>
#include <string.h>

#include "sip-harness.h"
#include "src/floe-account.h"
#include "src/floe-call.h"
#include "check-run.h"

static const char *const alice_ice[] = {
  "ice-ufrag:al1c", "ice-pwd:alicealicealicealice12",
  "candidate:1 1 UDP 2130706431 127.0.0.1 41000 typ host", NULL
};
static const char *const bob_ice[] = {
  "ice-ufrag:b0bb", "ice-pwd:bobbobbobbobbobbobbob12",
  "candidate:1 1 UDP 2130706431 127.0.0.1 42000 typ host", NULL
};

typedef struct
{
  FloeCall *call;           /* the last incoming call, referenced */
  gboolean ring;            /* send 180 at once */
  guint media_changes;
  FloeSdpResult last;       /* copy of the last agreement */
  guint16 remote_port;      /* the peer's default candidate port, last seen */
  const char *const *ice;   /* our ICE lines when answering */
} Side;

static void
on_media_changed (FloeCall *call, const FloeSdpResult *agreed, const FloeSdpMedia *remote, Side *side)
{
  side->media_changes++;
  floe_sdp_result_clear (&side->last);
  side->last = *agreed;
  side->last.crypto = g_strdup (agreed->crypto);
  side->last.local_crypto = g_strdup (agreed->local_crypto);
  side->remote_port = remote->port;
}

static void
on_incoming_call (FloeAccount *account, FloeCall *call, Side *side)
{
  g_clear_object (&side->call);
  side->call = g_object_ref (call);
  floe_call_set_local_media (call, "127.0.0.1", 42000, 0, side->ice);
  g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), side);
  if (side->ring)
    floe_call_ring (call);
}

static gboolean
has_call (gpointer data)
{
  return ((Side *) data)->call != NULL;
}

static gboolean
one_change (gpointer data)
{
  return ((Side *) data)->media_changes >= 1;
}

static gboolean
two_changes (gpointer data)
{
  return ((Side *) data)->media_changes >= 2;
}

static gboolean
three_changes (gpointer data)
{
  return ((Side *) data)->media_changes >= 3;
}

static void
side_clear (Side *side)
{
  g_clear_object (&side->call);
  floe_sdp_result_clear (&side->last);
}

static void
stop_account (FloeAccount *account)
{
  floe_account_stop (account);
  ck_assert (sip_wait_int (account, "state", FLOE_ACCOUNT_OFFLINE, 40));
  g_object_unref (account);
}

START_TEST (direct_call)
{
  FloeAccount *alice = sip_test_account ("alice", NULL, NULL, NULL);
  FloeAccount *bob = sip_test_account ("bob", NULL, NULL, NULL);
  Side a = { 0 }, b = { .ring = TRUE, .ice = bob_ice };
  g_autoptr (GError) error = NULL;

  ck_assert (floe_account_start (alice, &error));
  ck_assert (floe_account_start (bob, &error));
  ck_assert_int_eq (floe_account_get_state (bob), FLOE_ACCOUNT_READY);
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);

  FloeCall *call = floe_account_new_call (alice, floe_account_get_contact (bob), &error);
  ck_assert_ptr_nonnull (call);
  g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), &a);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, alice_ice);
  floe_call_dial (call);

  ck_assert (sip_wait (has_call, &b, 20));
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_RINGING, 20));
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_RINGING, 20));
  ck_assert (floe_call_get_incoming (b.call));

  floe_call_answer (b.call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ACTIVE, 20));

  /* Both sides agreed on the same thing. */
  ck_assert_uint_eq (a.media_changes, 1);
  ck_assert_uint_eq (b.media_changes, 1);
  ck_assert_int_eq (a.last.codec.codec, FLOE_CODEC_OPUS);
  ck_assert_int_eq (b.last.codec.codec, FLOE_CODEC_OPUS);
  ck_assert (a.last.ice && b.last.ice);
  ck_assert (a.last.rtcp_mux && b.last.rtcp_mux);
  ck_assert_int_eq (a.last.telephone_event_pt, 101);
  /* SDES: each side holds the other's key. */
  ck_assert_ptr_nonnull (a.last.crypto);
  ck_assert_str_eq (a.last.crypto, b.last.local_crypto);
  ck_assert_str_eq (b.last.crypto, a.last.local_crypto);

  /* A session refresh by UPDATE carries a new offer and gets its answer. */
  floe_call_refresh (call);
  ck_assert (sip_wait (two_changes, &a, 20));
  ck_assert_uint_eq (b.media_changes, 2);
  ck_assert_uint_eq (b.remote_port, 41000);

  /* ICE picked a pair other than the default: the caller (controlling)
   * sends the updated offer with it (RFC 8839). */
  {
    static const char *const selected[] = {
      "ice-ufrag:al1c", "ice-pwd:alicealicealicealice12",
      "candidate:2 1 UDP 1694498815 127.0.0.1 41002 typ srflx raddr 127.0.0.1 rport 41000",
      "remote-candidates:1 127.0.0.1 42000", NULL
    };
    floe_call_ice_completed (call, "127.0.0.1", 41002, 0, selected);
    ck_assert (sip_wait (three_changes, &b, 20));
    ck_assert_uint_eq (b.remote_port, 41002);
    ck_assert (sip_wait (three_changes, &a, 20));
  }

  /* Caller hangs up. */
  floe_call_hangup (call);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_HANGUP_LOCAL);
  ck_assert_int_eq (floe_call_get_end_reason (b.call), FLOE_CALL_END_HANGUP_REMOTE);
  ck_assert_ptr_nonnull (floe_call_get_end_message (b.call));
  g_object_unref (call);

  stop_account (alice);
  stop_account (bob);
  side_clear (&a);
  side_clear (&b);
}
END_TEST

START_TEST (cancel_busy_and_decline)
{
  FloeAccount *alice = sip_test_account ("alice", NULL, NULL, NULL);
  FloeAccount *bob = sip_test_account ("bob", NULL, NULL, NULL);
  Side b = { .ring = TRUE };
  g_autoptr (GError) error = NULL;
  FloeCall *call;

  ck_assert (floe_account_start (alice, &error));
  ck_assert (floe_account_start (bob, &error));
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);

  /* The caller gives up while it rings. */
  call = floe_account_new_call (alice, floe_account_get_contact (bob), &error);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, NULL);
  floe_call_dial (call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_RINGING, 20));
  floe_call_hangup (call);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (b.call), FLOE_CALL_END_CANCELLED);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_HANGUP_LOCAL);
  g_clear_object (&call);
  g_clear_object (&b.call);

  /* Busy. */
  call = floe_account_new_call (alice, floe_account_get_contact (bob), &error);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, NULL);
  floe_call_dial (call);
  ck_assert (sip_wait (has_call, &b, 20));
  floe_call_reject (b.call, TRUE);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_BUSY);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (b.call), FLOE_CALL_END_REJECTED_LOCAL);
  g_clear_object (&call);
  g_clear_object (&b.call);

  /* Declined. */
  call = floe_account_new_call (alice, floe_account_get_contact (bob), &error);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, NULL);
  floe_call_dial (call);
  ck_assert (sip_wait (has_call, &b, 20));
  floe_call_reject (b.call, FALSE);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_DECLINED);
  g_clear_object (&call);
  g_clear_object (&b.call);

  /* Nobody of that name here. */
  {
    g_autofree char *carol = g_strdup (floe_account_get_contact (bob));
    memcpy (strstr (carol, "bob"), "zed", 3);
    call = floe_account_new_call (alice, carol, &error);
    floe_call_set_local_media (call, "127.0.0.1", 41000, 0, NULL);
    floe_call_dial (call);
    ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
    ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_NOT_FOUND);
    g_clear_object (&call);
  }

  stop_account (alice);
  stop_account (bob);
  side_clear (&b);
}
END_TEST

START_TEST (srtp_policy_and_plain_peer)
{
  FloeAccount *alice = sip_test_account ("alice", NULL, NULL, "srtp", FLOE_SRTP_REQUIRED, NULL);
  FloeAccount *bob = sip_test_account ("bob", NULL, NULL, "srtp", FLOE_SRTP_OFF, NULL);
  FloeAccount *carol = sip_test_account ("carol", NULL, NULL, "srtp", FLOE_SRTP_OPTIONAL, NULL);
  Side a = { 0 }, b = { .ring = TRUE };
  g_autoptr (GError) error = NULL;
  FloeCall *call;

  ck_assert (floe_account_start (alice, &error));
  ck_assert (floe_account_start (bob, &error));
  ck_assert (floe_account_start (carol, &error));
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);

  /* SRTP required against SRTP off: 488, a retry without ICE, 488 again,
   * and an end that says why. Bob's phone never rang. */
  call = floe_account_new_call (alice, floe_account_get_contact (bob), &error);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, alice_ice);
  floe_call_dial (call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_MEDIA_MISMATCH);
  ck_assert_ptr_nonnull (strstr (floe_call_get_end_message (call), "encryption"));
  ck_assert_ptr_null (b.call);
  g_clear_object (&call);

  /* SRTP optional with ICE, calling a peer with neither: a plain call. */
  call = floe_account_new_call (carol, floe_account_get_contact (bob), &error);
  g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), &a);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, alice_ice);
  floe_call_dial (call);
  ck_assert (sip_wait (has_call, &b, 20));
  floe_call_answer (b.call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert (!a.last.ice && !b.last.ice);
  ck_assert_ptr_null (a.last.crypto);
  ck_assert_ptr_null (b.last.crypto);
  ck_assert_uint_eq (a.remote_port, 42000);
  floe_call_hangup (call);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  g_clear_object (&call);

  stop_account (alice);
  stop_account (bob);
  stop_account (carol);
  side_clear (&a);
  side_clear (&b);
}
END_TEST

static GSocket *
raw_socket (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);

  ck_assert (g_socket_bind (s, any, FALSE, NULL));
  return s;
}

static guint16
raw_port (GSocket *s)
{
  g_autoptr (GSocketAddress) a = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a));
}

static void
raw_send (GSocket *s, guint port, const char *text)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) dst = g_inet_socket_address_new (lo, (guint16) port);
  ck_assert (g_socket_send_to (s, dst, text, strlen (text), NULL, NULL) > 0);
}

/* The whole text of the next final response on s (provisional ones are
 * skipped), running the main loop meanwhile; NULL if none comes. */
static char *
raw_final_response (GSocket *s)
{
  char buf[4096];

  for (int i = 0; i < 2000; i++)
    {
      if (g_socket_condition_check (s, G_IO_IN))
        {
          gssize n = g_socket_receive (s, buf, sizeof buf - 1, NULL, NULL);
          buf[n > 0 ? n : 0] = 0;
          if (n > 0 && g_str_has_prefix (buf, "SIP/2.0 ") && !g_str_has_prefix (buf, "SIP/2.0 1"))
            return g_strdup (buf);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return NULL;
}

/* Sends one request from a fresh socket; the first line of the final reply. */
static char *
udp_exchange (guint port, const char *request)
{
  g_autoptr (GSocket) s = raw_socket ();
  g_autofree char *reply = NULL;

  raw_send (s, port, request);
  reply = raw_final_response (s);
  return reply ? g_strndup (reply, strcspn (reply, "\r\n")) : NULL;
}

/* A header's value in a message, or NULL. */
static char *
header_value (const char *msg, const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s:", name);
  const char *p = strstr (msg, needle);

  if (!p)
    return NULL;
  p += strlen (needle);
  while (*p == ' ')
    p++;
  return g_strndup (p, strcspn (p, "\r\n"));
}

/* The next request on s, running the main loop meanwhile; NULL if none. */
static char *
raw_next_request (GSocket *s, GSocketAddress **from)
{
  char buf[8192];

  for (int i = 0; i < 2000; i++)
    {
      if (g_socket_condition_check (s, G_IO_IN))
        {
          gssize n = g_socket_receive_from (s, from, buf, sizeof buf - 1, NULL, NULL);
          buf[n > 0 ? n : 0] = 0;
          if (n > 0 && !g_str_has_prefix (buf, "SIP/2.0 ") && !g_str_has_prefix (buf, "ACK "))
            return g_strdup (buf);
          if (from)
            g_clear_object (from);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return NULL;
}

/* Answers request on s as a bare UAS would: its Via, From, Call-ID and
 * CSeq copied, a To tag added. */
static void
raw_respond (GSocket *s, GSocketAddress *to, const char *request, const char *status, const char *body)
{
  g_autofree char *via = header_value (request, "Via");
  g_autofree char *from = header_value (request, "From");
  g_autofree char *to_hdr = header_value (request, "To");
  g_autofree char *call_id = header_value (request, "Call-ID");
  g_autofree char *cseq = header_value (request, "CSeq");
  g_autofree char *text = NULL;
  guint16 port = raw_port (s);

  ck_assert (via && from && to_hdr && call_id && cseq);
  text = g_strdup_printf ("SIP/2.0 %s\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                          "Contact: <sip:plain@127.0.0.1:%u>\r\n%s"
                          "Content-Length: %zu\r\n\r\n%s",
                          status, via, from, to_hdr, strstr (to_hdr, "tag=") ? "" : ";tag=raw1", call_id, cseq,
                          port, body ? "Content-Type: application/sdp\r\n" : "",
                          body ? strlen (body) : 0, body ? body : "");
  ck_assert (g_socket_send_to (s, to, text, strlen (text), NULL, NULL) > 0);
}

static char *
make_request (const char *method, guint port, const char *user, const char *to_tag,
              const char *content_type, const char *body)
{
  return g_strdup_printf ("%s sip:%s@127.0.0.1:%u SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK-%08x\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:mallory@127.0.0.1>;tag=m1\r\n"
                          "To: <sip:%s@127.0.0.1>%s%s\r\n"
                          "Call-ID: %08x@test\r\n"
                          "CSeq: 1 %s\r\n"
                          "Contact: <sip:mallory@127.0.0.1:1>\r\n"
                          "Content-Type: %s\r\n"
                          "Content-Length: %zu\r\n\r\n%s",
                          method, user, port, g_random_int (), user, to_tag ? ";tag=" : "",
                          to_tag ? to_tag : "", g_random_int (), method, content_type, strlen (body), body);
}

static char *
make_invite (guint port, const char *user, const char *content_type, const char *body)
{
  return make_request ("INVITE", port, user, NULL, content_type, body);
}

START_TEST (incoming_call_without_offer)
{
  FloeAccount *bob = sip_test_account ("bob", NULL, NULL, NULL);
  Side b = { .ring = TRUE, .ice = bob_ice };
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) peer = raw_socket ();
  guint port;
  g_autofree char *invite = NULL, *ok = NULL, *to = NULL, *call_id = NULL, *ack = NULL;
  g_autofree char *bye = NULL, *bye_reply = NULL;
  const char *answer = "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 43000 RTP/AVP 0\r\n";

  ck_assert (floe_account_start (bob, &error));
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);
  port = (guint) g_ascii_strtoull (strrchr (floe_account_get_contact (bob), ':') + 1, NULL, 10);

  /* A caller that leaves the offer to us (RFC 3261 13.2.1). */
  invite = make_request ("INVITE", port, "bob", NULL, "application/sdp", "");
  raw_send (peer, port, invite);
  ck_assert (sip_wait (has_call, &b, 20));
  floe_call_answer (b.call);
  ok = raw_final_response (peer);
  ck_assert_ptr_nonnull (ok);
  ck_assert_msg (g_str_has_prefix (ok, "SIP/2.0 200"), "got %s", ok);
  ck_assert_ptr_nonnull (strstr (ok, "m=audio 42000 RTP/"));
  ck_assert_ptr_nonnull (strstr (ok, "a=ice-ufrag:b0bb"));

  /* Our answer comes in the ACK. */
  to = header_value (ok, "To");
  call_id = header_value (ok, "Call-ID");
  ck_assert (to && call_id);
  ack = g_strdup_printf ("ACK sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK-ack%08x\r\n"
                         "Max-Forwards: 70\r\nFrom: <sip:mallory@127.0.0.1>;tag=m1\r\nTo: %s\r\n"
                         "Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Type: application/sdp\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                         port, g_random_int (), to, call_id, strlen (answer), answer);
  raw_send (peer, port, ack);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert (sip_wait (one_change, &b, 20));
  ck_assert_uint_eq (b.remote_port, 43000);
  ck_assert_int_eq (b.last.codec.codec, FLOE_CODEC_PCMU);
  ck_assert (!b.last.ice);

  /* A re-INVITE without an offer, answered sendonly in its ACK: the peer
   * puts us on hold. */
  {
    const char *hold = "v=0\r\no=- 7 8 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 43000 RTP/AVP 0\r\na=sendonly\r\n";
    g_autofree char *reinvite = g_strdup_printf ("INVITE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                                                 "Via: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK-re%08x\r\n"
                                                 "Max-Forwards: 70\r\nFrom: <sip:mallory@127.0.0.1>;tag=m1\r\n"
                                                 "To: %s\r\nCall-ID: %s\r\nCSeq: 3 INVITE\r\n"
                                                 "Contact: <sip:mallory@127.0.0.1:1>\r\nContent-Length: 0\r\n\r\n",
                                                 port, g_random_int (), to, call_id);
    g_autofree char *reok = NULL, *reack = NULL;
    raw_send (peer, port, reinvite);
    reok = raw_final_response (peer);
    ck_assert_msg (reok && g_str_has_prefix (reok, "SIP/2.0 200"), "re-INVITE got %s", reok);
    ck_assert_ptr_nonnull (strstr (reok, "m=audio 42000 RTP/"));
    reack = g_strdup_printf ("ACK sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK-rack%08x\r\n"
                             "Max-Forwards: 70\r\nFrom: <sip:mallory@127.0.0.1>;tag=m1\r\nTo: %s\r\n"
                             "Call-ID: %s\r\nCSeq: 3 ACK\r\nContent-Type: application/sdp\r\n"
                             "Content-Length: %zu\r\n\r\n%s",
                             port, g_random_int (), to, call_id, strlen (hold), hold);
    raw_send (peer, port, reack);
    ck_assert (sip_wait_int (b.call, "remote-held", TRUE, 20));
    ck_assert_uint_eq (b.media_changes, 2);
    ck_assert_int_eq (b.last.direction, FLOE_SDP_RECVONLY);
  }

  bye = g_strdup_printf ("BYE sip:bob@127.0.0.1:%u SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 127.0.0.1:1;rport;branch=z9hG4bK-bye%08x\r\n"
                         "Max-Forwards: 70\r\nFrom: <sip:mallory@127.0.0.1>;tag=m1\r\nTo: %s\r\n"
                         "Call-ID: %s\r\nCSeq: 4 BYE\r\nContent-Length: 0\r\n\r\n",
                         port, g_random_int (), to, call_id);
  raw_send (peer, port, bye);
  bye_reply = raw_final_response (peer);
  ck_assert_msg (bye_reply && g_str_has_prefix (bye_reply, "SIP/2.0 200"), "BYE got %s", bye_reply);
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (b.call), FLOE_CALL_END_HANGUP_REMOTE);

  stop_account (bob);
  side_clear (&b);
}
END_TEST

START_TEST (refused_offer_retried_plain)
{
  FloeAccount *alice = sip_test_account ("alice", NULL, NULL, NULL);
  g_autoptr (GSocket) peer = raw_socket ();
  g_autoptr (GSocketAddress) from1 = NULL, from2 = NULL, from3 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL, *first = NULL, *second = NULL, *bye = NULL;
  Side a = { 0 };
  const char *plain = "v=0\r\no=- 9 9 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=audio 44000 RTP/AVP 8\r\n";
  FloeCall *call;

  ck_assert (floe_account_start (alice, &error));
  uri = g_strdup_printf ("sip:plain@127.0.0.1:%u", raw_port (peer));
  call = floe_account_new_call (alice, uri, &error);
  g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), &a);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, alice_ice);
  floe_call_dial (call);

  /* A peer that will not take ICE or SDES lines. */
  first = raw_next_request (peer, &from1);
  ck_assert_ptr_nonnull (first);
  ck_assert (g_str_has_prefix (first, "INVITE "));
  ck_assert_ptr_nonnull (strstr (first, "a=ice-ufrag:"));
  ck_assert_ptr_nonnull (strstr (first, "a=crypto:"));
  raw_respond (peer, from1, first, "488 Not Acceptable Here", NULL);

  second = raw_next_request (peer, &from2);
  ck_assert_ptr_nonnull (second);
  ck_assert (g_str_has_prefix (second, "INVITE "));
  ck_assert_ptr_null (strstr (second, "a=ice-"));
  ck_assert_ptr_null (strstr (second, "a=candidate"));
  ck_assert_ptr_null (strstr (second, "a=crypto:"));
  ck_assert_ptr_nonnull (strstr (second, "m=audio 41000 RTP/AVP "));
  raw_respond (peer, from2, second, "200 OK", plain);

  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert_uint_eq (a.media_changes, 1);
  ck_assert_int_eq (a.last.codec.codec, FLOE_CODEC_PCMA);
  ck_assert (!a.last.ice);
  ck_assert_ptr_null (a.last.crypto);
  ck_assert_uint_eq (a.remote_port, 44000);

  floe_call_hangup (call);
  bye = raw_next_request (peer, &from3);
  ck_assert_ptr_nonnull (bye);
  ck_assert (g_str_has_prefix (bye, "BYE "));
  raw_respond (peer, from3, bye, "200 OK", NULL);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_HANGUP_LOCAL);
  g_object_unref (call);

  stop_account (alice);
  side_clear (&a);
}
END_TEST

START_TEST (bad_requests)
{
  FloeAccount *bob = sip_test_account ("bob", NULL, NULL, NULL);
  Side b = { .ring = TRUE };
  g_autoptr (GError) error = NULL;
  guint port;
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;

  ck_assert (floe_account_start (bob, &error));
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);
  port = (guint) g_ascii_strtoull (strrchr (floe_account_get_contact (bob), ':') + 1, NULL, 10);

  /* Not SIP at all: dropped without an answer, and the agent lives on. */
  {
    g_autoptr (GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) dst = g_inet_socket_address_new (lo, (guint16) port);
    g_socket_send_to (s, dst, "\x01\x02garbage\r\n\r\n", 13, NULL, NULL);
  }

  /* An SDP body that is not SDP. */
  {
    g_autofree char *inv = make_invite (port, "bob", "application/sdp", "this is no sdp\r\n");
    /* rport in the Via sends the reply to the socket that asked. */
    r1 = udp_exchange (port, inv);
  }
  ck_assert_ptr_nonnull (r1);
  ck_assert_msg (g_str_has_prefix (r1, "SIP/2.0 400"), "got %s", r1);

  /* Only codecs we lack. */
  {
    const char *g729 = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                       "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n";
    g_autofree char *inv = make_invite (port, "bob", "application/sdp", g729);
    r2 = udp_exchange (port, inv);
  }
  ck_assert_ptr_nonnull (r2);
  ck_assert_msg (g_str_has_prefix (r2, "SIP/2.0 488"), "got %s", r2);

  /* Someone else's user name. */
  {
    g_autofree char *inv = make_invite (port, "carol", "text/plain", "");
    r3 = udp_exchange (port, inv);
  }
  ck_assert_ptr_nonnull (r3);
  ck_assert_msg (g_str_has_prefix (r3, "SIP/2.0 404"), "got %s", r3);

  /* Requests outside any call: OPTIONS is answered, a BYE for no dialog
   * gets 481, a method we do not do gets 405. */
  {
    g_autofree char *opt = make_request ("OPTIONS", port, "bob", NULL, "text/plain", "");
    g_autofree char *bye = make_request ("BYE", port, "bob", "nosuchdialog", "text/plain", "");
    g_autofree char *msg = make_request ("MESSAGE", port, "bob", NULL, "text/plain", "hello");
    g_autofree char *r5 = udp_exchange (port, opt);
    g_autofree char *r6 = udp_exchange (port, bye);
    g_autofree char *r7 = udp_exchange (port, msg);
    ck_assert_msg (r5 && g_str_has_prefix (r5, "SIP/2.0 200"), "OPTIONS got %s", r5);
    ck_assert_msg (r6 && g_str_has_prefix (r6, "SIP/2.0 481"), "BYE got %s", r6);
    ck_assert_msg (r7 && (g_str_has_prefix (r7, "SIP/2.0 405") || g_str_has_prefix (r7, "SIP/2.0 501")),
                   "MESSAGE got %s", r7);
  }

  /* A request missing mandatory headers. */
  r4 = udp_exchange (port, "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKx\r\n"
                           "Content-Length: 0\r\n\r\n");
  ck_assert_msg (r4 == NULL || g_str_has_prefix (r4, "SIP/2.0 400"), "got %s", r4);

  /* None of it rang. */
  ck_assert_ptr_null (b.call);
  ck_assert_int_eq (floe_account_get_state (bob), FLOE_ACCOUNT_READY);

  stop_account (bob);
  side_clear (&b);
}
END_TEST

static Suite *
direct_suite (void)
{
  Suite *s = suite_create ("sip-direct");
  TCase *tc = tcase_create ("direct");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, direct_call);
  tcase_add_test (tc, cancel_busy_and_decline);
  tcase_add_test (tc, srtp_policy_and_plain_peer);
  tcase_add_test (tc, incoming_call_without_offer);
  tcase_add_test (tc, refused_offer_retried_plain);
  tcase_add_test (tc, bad_requests);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (direct_suite ());
}
