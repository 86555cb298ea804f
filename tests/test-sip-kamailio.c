/* Floe user agents against a real Kamailio on 127.0.0.1: registration with
 * digest authentication, a call through the proxy with ringing, answer,
 * hold and resume, DTMF and hang-up; a wrong password, and that stopping
 * then or while registering does not wait for anything; a registrar that
 * goes away and comes back. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sip-harness.h"
#include "src/floe-account.h"
#include "src/floe-call.h"
#include "check-run.h"

static SipKamailio kam;

static void
setup (void)
{
  static const char *const users[] = { "alice", "secret", "bob", "hunter2", NULL };
  sip_kamailio_prepare (&kam, users);
}

static void
teardown (void)
{
  sip_kamailio_cleanup (&kam);
}

static char *
server_uri (const char *params)
{
  return g_strdup_printf ("sip:127.0.0.1:%u%s", kam.port, params ? params : "");
}

typedef struct
{
  FloeCall *call;
  guint media_changes;
  GString *dtmf;
  guint events_sent;
  gint event_pt;
} Side;

static void
on_media_changed (FloeCall *call, const FloeSdpResult *agreed, const FloeSdpMedia *remote, Side *side)
{
  side->media_changes++;
}

static void
on_dtmf (FloeCall *call, guint digit, Side *side)
{
  g_string_append_c (side->dtmf, (char) digit);
}

static gboolean
on_send_event (FloeCall *call, guint digit, gint pt, Side *side)
{
  side->events_sent++;
  side->event_pt = pt;
  return TRUE; /* as the media layer does when it sends RFC 4733 packets */
}

static void
watch_call (FloeCall *call, Side *side)
{
  g_signal_connect (call, "media-changed", G_CALLBACK (on_media_changed), side);
  g_signal_connect (call, "dtmf-received", G_CALLBACK (on_dtmf), side);
}

static void
on_incoming_call (FloeAccount *account, FloeCall *call, Side *side)
{
  static const char *const ice[] = { "ice-ufrag:b0bb", "ice-pwd:bobbobbobbobbobbobbob12",
                                     "candidate:1 1 UDP 2130706431 127.0.0.1 42000 typ host", NULL };
  g_clear_object (&side->call);
  side->call = g_object_ref (call);
  floe_call_set_local_media (call, "127.0.0.1", 42000, 0, ice);
  watch_call (call, side);
  floe_call_ring (call);
}

static gboolean
has_call (gpointer data)
{
  return ((Side *) data)->call != NULL;
}

static gboolean
dtmf_count_reached (gpointer data)
{
  Side *side = data;
  return side->dtmf->len >= 2;
}

static void
stop_account (FloeAccount *account)
{
  floe_account_stop (account);
  ck_assert (sip_wait_int (account, "state", FLOE_ACCOUNT_OFFLINE, 40));
  g_object_unref (account);
}

START_TEST (register_and_call)
{
  g_autofree char *registrar = server_uri (NULL);
  g_autofree char *proxy = server_uri (";lr");
  FloeAccount *alice, *bob;
  Side a = { .dtmf = g_string_new (NULL) }, b = { .dtmf = g_string_new (NULL) };
  g_autoptr (GError) error = NULL;
  static const char *const ice[] = { "ice-ufrag:al1c", "ice-pwd:alicealicealicealice12",
                                     "candidate:1 1 UDP 2130706431 127.0.0.1 41000 typ host", NULL };

  ck_assert (sip_kamailio_start (&kam));
  /* Alice on UDP through an outbound proxy, Bob on TCP. */
  alice = sip_test_account ("alice", "secret", registrar, "outbound-proxy", proxy, NULL);
  bob = sip_test_account ("bob", "hunter2", registrar, "transport", FLOE_SIP_TRANSPORT_TCP, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (floe_account_start (bob, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 20));
  ck_assert (sip_wait_int (bob, "state", FLOE_ACCOUNT_REGISTERED, 20));
  ck_assert_ptr_null (floe_account_get_failure_message (alice));
  g_signal_connect (bob, "incoming-call", G_CALLBACK (on_incoming_call), &b);

  /* Alice calls Bob by name; Kamailio finds him. */
  FloeCall *call = floe_account_new_call (alice, "bob", &error);
  ck_assert_ptr_nonnull (call);
  watch_call (call, &a);
  floe_call_set_local_media (call, "127.0.0.1", 41000, 0, ice);
  floe_call_dial (call);
  ck_assert (sip_wait (has_call, &b, 20));
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_RINGING, 20));
  ck_assert_str_eq (floe_call_get_remote_uri (b.call), "sip:alice@127.0.0.1");

  floe_call_answer (b.call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ACTIVE, 20));
  ck_assert_uint_eq (a.media_changes, 1);
  ck_assert_uint_eq (b.media_changes, 1);

  /* Hold and resume: a=sendonly out, a=recvonly back. */
  floe_call_set_hold (call, TRUE);
  ck_assert (sip_wait_int (call, "held", TRUE, 20));
  ck_assert (floe_call_get_remote_held (b.call));
  ck_assert (!floe_call_get_remote_held (call));
  floe_call_set_hold (call, FALSE);
  ck_assert (sip_wait_int (call, "held", FALSE, 20));
  ck_assert (!floe_call_get_remote_held (b.call));
  ck_assert_uint_eq (a.media_changes, 3);
  ck_assert_uint_eq (b.media_changes, 3);

  /* DTMF: Alice has no RFC 4733 sender, so her digits go as SIP INFO; Bob's
   * media layer takes his as telephone-events. */
  ck_assert (floe_call_send_dtmf (call, '5'));
  ck_assert (floe_call_send_dtmf (call, '#'));
  ck_assert (!floe_call_send_dtmf (call, 'x'));
  ck_assert (sip_wait (dtmf_count_reached, &b, 20));
  ck_assert_str_eq (b.dtmf->str, "5#");
  g_signal_connect (b.call, "send-telephone-event", G_CALLBACK (on_send_event), &b);
  ck_assert (floe_call_send_dtmf (b.call, '9'));
  ck_assert_uint_eq (b.events_sent, 1);
  ck_assert_int_eq (b.event_pt, 101);

  /* Bob hangs up. */
  floe_call_hangup (b.call);
  ck_assert (sip_wait_int (call, "state", FLOE_CALL_ENDED, 20));
  ck_assert (sip_wait_int (b.call, "state", FLOE_CALL_ENDED, 20));
  ck_assert_int_eq (floe_call_get_end_reason (call), FLOE_CALL_END_HANGUP_REMOTE);
  ck_assert_int_eq (floe_call_get_end_reason (b.call), FLOE_CALL_END_HANGUP_LOCAL);
  g_clear_object (&call);

  /* Alice leaves: she unregisters, so Kamailio no longer finds her. */
  stop_account (alice);
  {
    g_autofree char *to_alice = g_strdup_printf ("sip:alice@127.0.0.1:%u", kam.port);
    FloeCall *back = floe_account_new_call (bob, to_alice, &error);
    floe_call_set_local_media (back, "127.0.0.1", 42000, 0, NULL);
    floe_call_dial (back);
    ck_assert (sip_wait_int (back, "state", FLOE_CALL_ENDED, 20));
    ck_assert_int_eq (floe_call_get_end_reason (back), FLOE_CALL_END_NOT_FOUND);
    g_object_unref (back);
  }
  stop_account (bob);
  g_clear_object (&b.call);
  g_string_free (a.dtmf, TRUE);
  g_string_free (b.dtmf, TRUE);
  sip_kamailio_stop (&kam);
}
END_TEST

/* The headless front end stops the account from inside the notification
 * that its registration failed, before the account itself is done with it. */
static void
on_state_stop_when_failed (FloeAccount *account, GParamSpec *pspec, gpointer data)
{
  if (floe_account_get_state (account) == FLOE_ACCOUNT_FAILED)
    floe_account_stop (account);
}

/* Caps against a hang (nua's own shutdown timeout is 30 s), not timings. */
#define STOP_CAP_SECONDS 5

START_TEST (wrong_password)
{
  g_autofree char *registrar = server_uri (NULL);
  FloeAccount *alice;
  g_autoptr (GError) error = NULL;

  ck_assert (sip_kamailio_start (&kam));
  alice = sip_test_account ("alice", "not-the-password", registrar, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_FAILED, 20));
  ck_assert_int_eq (floe_account_get_failure (alice), FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD);
  ck_assert_ptr_nonnull (strstr (floe_account_get_failure_message (alice), "password"));
  /* A refused registration leaves nothing for the shutdown to wait for. */
  floe_account_stop (alice);
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_OFFLINE, STOP_CAP_SECONDS));
  g_object_unref (alice);

  /* The same, stopped from within the failure notification. */
  alice = sip_test_account ("alice", "not-the-password", registrar, NULL);
  g_signal_connect (alice, "notify::state", G_CALLBACK (on_state_stop_when_failed), NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_OFFLINE, 20 + STOP_CAP_SECONDS));
  ck_assert_int_eq (floe_account_get_failure (alice), FLOE_ACCOUNT_FAILURE_WRONG_PASSWORD);
  g_object_unref (alice);
  sip_kamailio_stop (&kam);
}
END_TEST

START_TEST (stop_while_registering)
{
  g_autofree char *registrar = server_uri (NULL);
  FloeAccount *alice;
  g_autoptr (GError) error = NULL;

  ck_assert (sip_kamailio_start (&kam));
  /* Stopped before the server's challenge arrives: nua must not wait for
   * an answer to it. */
  alice = sip_test_account ("alice", "secret", registrar, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert_int_eq (floe_account_get_state (alice), FLOE_ACCOUNT_REGISTERING);
  floe_account_stop (alice);
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_OFFLINE, STOP_CAP_SECONDS));
  g_object_unref (alice);
  sip_kamailio_stop (&kam);
}
END_TEST

START_TEST (registrar_restart)
{
  g_autofree char *registrar = server_uri (NULL);
  FloeAccount *alice;
  g_autoptr (GError) error = NULL;

  ck_assert (sip_kamailio_start (&kam));
  /* Short lifetimes so that the outage is seen within seconds. */
  alice = sip_test_account ("alice", "secret", registrar,
                            "expires", 2, "retry-min", 1, "retry-max", 2,
                            "transaction-timeout", 2000, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 20));

  sip_kamailio_stop (&kam);
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_FAILED, 30));
  ck_assert (floe_account_get_failure (alice) == FLOE_ACCOUNT_FAILURE_TIMEOUT
             || floe_account_get_failure (alice) == FLOE_ACCOUNT_FAILURE_NO_ROUTE);
  ck_assert_ptr_nonnull (floe_account_get_failure_message (alice));

  ck_assert (sip_kamailio_start (&kam));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 30));
  ck_assert_int_eq (floe_account_get_failure (alice), FLOE_ACCOUNT_FAILURE_NONE);
  stop_account (alice);
  sip_kamailio_stop (&kam);
}
END_TEST

START_TEST (registrar_restart_seen_by_keepalive)
{
  g_autofree char *registrar = server_uri (NULL);
  FloeAccount *alice;
  g_autoptr (GError) error = NULL;

  ck_assert (sip_kamailio_start (&kam));
  /* A long registration: only the keep-alives can notice the outage. */
  alice = sip_test_account ("alice", "secret", registrar,
                            "expires", 600, "keepalive", 1, "retry-min", 1, "retry-max", 2,
                            "transaction-timeout", 2000, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 20));

  sip_kamailio_stop (&kam);
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_FAILED, 30));
  ck_assert (sip_kamailio_start (&kam));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 30));
  stop_account (alice);
  sip_kamailio_stop (&kam);
}
END_TEST

static gboolean
log_has_two_pings (gpointer data)
{
  g_autofree char *log = g_build_filename (kam.dir, "kamailio.log", NULL);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (log, &text, NULL, NULL))
    return FALSE;
  p = strstr (text, "floe-test: OPTIONS from sip:alice@127.0.0.1");
  return p && strstr (p + 1, "floe-test: OPTIONS from sip:alice@127.0.0.1");
}

START_TEST (keepalive)
{
  g_autofree char *registrar = server_uri (NULL);
  FloeAccount *alice;
  g_autoptr (GError) error = NULL;

  ck_assert (sip_kamailio_start (&kam));
  /* Kamailio here has no outbound support, so the flow is kept open with
   * OPTIONS pings through it, every second in this test. */
  alice = sip_test_account ("alice", "secret", registrar, "keepalive", 1, NULL);
  ck_assert (floe_account_start (alice, &error));
  ck_assert (sip_wait_int (alice, "state", FLOE_ACCOUNT_REGISTERED, 20));
  ck_assert (sip_wait (log_has_two_pings, NULL, 30));
  ck_assert_int_eq (floe_account_get_state (alice), FLOE_ACCOUNT_REGISTERED);
  stop_account (alice);
  sip_kamailio_stop (&kam);
}
END_TEST

static Suite *
kamailio_suite (void)
{
  Suite *s = suite_create ("sip-kamailio");
  TCase *tc = tcase_create ("kamailio");
  /* Unchecked: the parent process removes a Kamailio left by a crashed test. */
  tcase_add_unchecked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, register_and_call);
  tcase_add_test (tc, wrong_password);
  tcase_add_test (tc, stop_while_registering);
  tcase_add_test (tc, registrar_restart);
  tcase_add_test (tc, keepalive);
  tcase_add_test (tc, registrar_restart_seen_by_keepalive);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  if (!sip_kamailio_path ())
    {
      printf ("SKIP: kamailio is not installed (Debian package kamailio)\n");
      return 77;
    }
  return floe_check_run (kamailio_suite ());
}
