/* SIP over TLS: the account trusts the CA file it is given and nothing
 * else, and says so in plain words when it does not trust the server.
 * The "server" is openssl s_server on 127.0.0.1 with certificates this
 * test makes; it never answers SIP, so a trusted connection shows as the
 * REGISTER arriving in its log. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sip-harness.h"
#include "src/floe-account.h"

/* Sofia-SIP 1.12.11 never frees the OpenSSL objects of its TLS
 * connections (SSL_new in tport_alloc_secondary): the library's leak, not
 * ours. Neither Sofia nor OpenSSL keeps frame pointers, so the fast
 * unwinder sees only the OpenSSL allocator; this program runs nothing
 * else that allocates through OpenSSL, so these patterns hide nothing of
 * ours. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:CRYPTO_zalloc\nleak:CRYPTO_malloc\nleak:libssl.so\nleak:libcrypto.so\n";
}

static char *dir;
static char *openssl;

static void
run (const char *cmdline)
{
  g_autofree char *full = g_strdup_printf ("%s %s", openssl, cmdline);
  g_autoptr (GError) error = NULL;
  int status = 0;
  g_auto (GStrv) argv = NULL;

  g_assert_true (g_shell_parse_argv (full, NULL, &argv, &error));
  g_assert_true (g_spawn_sync (dir, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* A CA, a server certificate it signed for CN=127.0.0.1, and an unrelated CA. */
static void
setup (void)
{
  g_autoptr (GError) error = NULL;

  dir = g_dir_make_tmp ("floe-tls-test-XXXXXX", &error);
  g_assert_no_error (error);
  run ("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=FloeTestCA");
  run ("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=OtherCA");
  run ("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1");
  run ("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2");
}

static void
teardown (void)
{
  static const char *const files[] = { "ca.key", "ca.pem", "ca.srl", "other.key", "other.pem", "server.key",
                                       "server.csr", "server.pem", "server.log", NULL };
  for (guint i = 0; files[i]; i++)
    {
      g_autofree char *p = g_build_filename (dir, files[i], NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
  g_clear_pointer (&dir, g_free);
}

typedef struct
{
  GPid pid;
  int stdin_fd;   /* held open: s_server quits at end of input */
  guint port;
  char *log;
} TlsServer;

static void
server_start (TlsServer *s)
{
  const char *argv[] = { openssl, "s_server", "-accept", NULL, "-cert", "server.pem", "-key", "server.key", NULL };
  g_autofree char *port = NULL;
  g_autoptr (GError) error = NULL;
  int log_fd;

  s->port = sip_free_port ();
  port = g_strdup_printf ("127.0.0.1:%u", s->port);
  argv[3] = port;
  s->log = g_build_filename (dir, "server.log", NULL);
  log_fd = g_open (s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ck_assert_int_ge (log_fd, 0);
  ck_assert (g_spawn_async_with_pipes_and_fds (dir, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                               -1, log_fd, log_fd, NULL, NULL, 0,
                                               &s->pid, &s->stdin_fd, NULL, NULL, &error));
  close (log_fd);
  /* It listens once it has printed ACCEPT. */
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents (s->log, &text, NULL, NULL) && strstr (text, "ACCEPT"))
        return;
      g_usleep (25 * 1000);
    }
  ck_abort_msg ("openssl s_server did not start");
}

static void
server_stop (TlsServer *s)
{
  kill (s->pid, SIGTERM);
  waitpid (s->pid, NULL, 0);
  close (s->stdin_fd);
  g_free (s->log);
}

static gboolean
register_arrived (gpointer data)
{
  g_autofree char *text = NULL;
  return g_file_get_contents (data, &text, NULL, NULL) && strstr (text, "REGISTER sips:") != NULL;
}

static FloeAccount *
tls_account (const TlsServer *s, const char *ca, gboolean verify)
{
  g_autofree char *registrar = g_strdup_printf ("sips:127.0.0.1:%u", s->port);
  g_autofree char *ca_file = g_build_filename (dir, ca, NULL);
  return sip_test_account ("sips:alice@127.0.0.1", "secret", registrar, "ca-file", ca_file,
                           "verify-tls", verify, "transaction-timeout", 1000, "retry-min", 600, NULL);
}

static void
stop_account (FloeAccount *account)
{
  floe_account_stop (account);
  ck_assert (sip_wait_int (account, "state", FLOE_ACCOUNT_OFFLINE, 40));
  g_object_unref (account);
}

START_TEST (untrusted_certificate)
{
  TlsServer s;
  g_autoptr (GError) error = NULL;

  server_start (&s);
  FloeAccount *a = tls_account (&s, "other.pem", TRUE);
  ck_assert (floe_account_start (a, &error));
  ck_assert (sip_wait_int (a, "failure", FLOE_ACCOUNT_FAILURE_TLS_REJECTED, 20));
  ck_assert_int_eq (floe_account_get_state (a), FLOE_ACCOUNT_FAILED);
  ck_assert_ptr_nonnull (strstr (floe_account_get_failure_message (a), "certificate"));
  ck_assert (!register_arrived (s.log));
  stop_account (a);
  server_stop (&s);
}
END_TEST

START_TEST (trusted_ca_file)
{
  TlsServer s;
  g_autoptr (GError) error = NULL;

  server_start (&s);
  FloeAccount *a = tls_account (&s, "ca.pem", TRUE);
  ck_assert (floe_account_start (a, &error));
  ck_assert (sip_wait (register_arrived, s.log, 20));
  /* s_server never answers SIP: a timeout, not a certificate problem. */
  ck_assert (sip_wait_int (a, "state", FLOE_ACCOUNT_FAILED, 20));
  ck_assert_int_eq (floe_account_get_failure (a), FLOE_ACCOUNT_FAILURE_TIMEOUT);
  stop_account (a);
  server_stop (&s);
}
END_TEST

START_TEST (verification_off)
{
  TlsServer s;
  g_autoptr (GError) error = NULL;

  server_start (&s);
  FloeAccount *a = tls_account (&s, "other.pem", FALSE);
  ck_assert (floe_account_start (a, &error));
  ck_assert (sip_wait (register_arrived, s.log, 20));
  stop_account (a);
  server_stop (&s);
}
END_TEST

static Suite *
tls_suite (void)
{
  Suite *s = suite_create ("sip-tls");
  TCase *tc = tcase_create ("tls");
  tcase_add_unchecked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, untrusted_certificate);
  tcase_add_test (tc, trusted_ca_file);
  tcase_add_test (tc, verification_off);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  openssl = g_find_program_in_path ("openssl");
  if (!openssl)
    {
      printf ("SKIP: the openssl program is not installed (Debian package openssl)\n");
      return 77;
    }
  SRunner *sr = srunner_create (tls_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  g_free (openssl);
  return failed ? 1 : 0;
}
