/* RFC 8839 ICE lines: round trips, strict rejection, and every truncation
 * and garbage fed to each parser (under ASan: no read past the length). */
#include "ice/sdp-ice.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check-run.h"

/* Copies into an exact-size heap buffer so ASan catches any overread. */
static int
parse_cand_exact (const char *s, size_t len, ice_cand *c, ice_sdp_error *e)
{
  char *p = malloc (len ? len : 1);
  int r;
  memcpy (p, s, len);
  r = ice_sdp_parse_candidate (p, len, c, e);
  free (p);
  return r;
}

static int
parse_line_exact (const char *s, size_t len, ice_sdp_ice *ice, ice_sdp_error *e)
{
  char *p = malloc (len ? len : 1);
  int r;
  memcpy (p, s, len);
  r = ice_sdp_parse_line (p, len, ice, e);
  free (p);
  return r;
}

START_TEST (test_candidate_examples)
{
  ice_cand c;
  ice_sdp_error e;
  const char *l1 = "a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host\r\n";
  const char *l2 = "candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998";
  const char *l3 = "candidate:3 2 udp 16777215 2001:db8::5 3479 typ relay raddr 2001:db8::9 rport 1 generation 0 network-id 1";

  ck_assert_int_eq (ice_sdp_parse_candidate (l1, strlen (l1), &c, &e), 0);
  ck_assert_str_eq (c.foundation, "1");
  ck_assert_uint_eq (c.component, 1);
  ck_assert_uint_eq (c.priority, 2130706431u);
  ck_assert_int_eq (c.type, ICE_CAND_HOST);
  ck_assert_uint_eq (c.addr.port, 8998);
  ck_assert (!c.unsupported);

  ck_assert_int_eq (ice_sdp_parse_candidate (l2, strlen (l2), &c, &e), 0);
  ck_assert_int_eq (c.type, ICE_CAND_SRFLX);
  ck_assert_uint_eq (c.rel_addr.port, 8998);
  ck_assert_int_eq (c.rel_addr.family, AF_INET);

  ck_assert_int_eq (ice_sdp_parse_candidate (l3, strlen (l3), &c, &e), 0);
  ck_assert_int_eq (c.type, ICE_CAND_RELAY);
  ck_assert_int_eq (c.addr.family, AF_INET6);
  ck_assert_uint_eq (c.component, 2);
}
END_TEST

START_TEST (test_candidate_unsupported)
{
  ice_cand c;
  ice_sdp_error e;
  const char *tcp = "candidate:4 1 TCP 2128609279 10.0.1.1 9 typ host tcptype active";
  const char *so = "candidate:4 1 TCP 1 10.0.1.1 50000 typ srflx raddr 10.0.0.1 rport 4 tcptype so";
  const char *mdns = "candidate:5 1 UDP 2130706431 3d9b4f2e-1c2a-4b7e-9f0e-0123456789ab.local 5000 typ host";
  const char *future = "candidate:6 1 UDP 1 10.0.0.1 5000 typ newtype";

  ck_assert_int_eq (ice_sdp_parse_candidate (tcp, strlen (tcp), &c, &e), 0);
  ck_assert (c.unsupported);
  ck_assert_int_eq (c.transport, ICE_TRANSPORT_TCP);
  ck_assert_int_eq (c.tcp_type, ICE_TCP_ACTIVE);
  ck_assert_uint_eq (c.addr.port, 9);
  ck_assert_int_eq (ice_sdp_parse_candidate (so, strlen (so), &c, &e), 0);
  ck_assert_int_eq (c.tcp_type, ICE_TCP_SO);
  ck_assert_int_eq (ice_sdp_parse_candidate (mdns, strlen (mdns), &c, &e), 0);
  ck_assert (c.unsupported);
  ck_assert_int_eq (ice_sdp_parse_candidate (future, strlen (future), &c, &e), 0);
  ck_assert (c.unsupported);
}
END_TEST

static const char *const bad_candidates[] = {
  "candidate:",
  "candidate:1 1 UDP 1 10.0.0.1 5000 typ",
  "candidate:1 0 UDP 1 10.0.0.1 5000 typ host",
  "candidate:1 257 UDP 1 10.0.0.1 5000 typ host",
  "candidate:1 1 UDP 0 10.0.0.1 5000 typ host",
  "candidate:1 1 UDP 2147483648 10.0.0.1 5000 typ host",
  "candidate:1 1 UDP 1 10.0.0.1 65536 typ host",
  "candidate:1 1 UDP 1 10.0.0.1 -1 typ host",
  "candidate:1 1 UDP 1 10.0.0.1 5000 type host",
  "candidate:1 1 UDP 1 10.0.0.1 5000 typ host raddr",
  "candidate:1 1 UDP 1 10.0.0.1 5000 typ srflx raddr 10.0.0.2",
  "candidate:1 1 UDP 1 10.0.0.1 5000 typ srflx raddr 10.0.0.2 rport x",
  "candidate:1 1 UDP 1 10.0.0.1 5000 typ host  ",
  "candidate:1  1 UDP 1 10.0.0.1 5000 typ host",
  "candidate:f@o 1 UDP 1 10.0.0.1 5000 typ host",
  "candidate:123456789012345678901234567890123 1 UDP 1 10.0.0.1 5000 typ host",
  "candidate:1 1 UDP 1 10..0.1 5000 typ host",
  "candidate:1 1 UDP 1 bad_host 5000 typ host",
  "candidate:1 1 TCP 1 10.0.0.1 9 typ host",
  "candidate:1 1 TCP 1 10.0.0.1 9 typ host tcptype sideways",
  "cand:1 1 UDP 1 10.0.0.1 5000 typ host",
};

START_TEST (test_candidate_rejects)
{
  const char *l = bad_candidates[_i];
  ice_cand c;
  ice_sdp_error e;

  ck_assert_int_eq (ice_sdp_parse_candidate (l, strlen (l), &c, &e), -EBADMSG);
  ck_assert_msg (strncmp (e.msg, "a=candidate", 11) == 0, "error does not name the line: %s", e.msg);
}
END_TEST

START_TEST (test_candidate_round_trip)
{
  ice_cand c = { 0 }, d;
  ice_sdp_error e;
  char buf[256];
  int n;

  strcpy (c.foundation, "a+b/9");
  c.component = 2;
  c.priority = ice_cand_priority (100, 12345, 2);
  c.type = ICE_CAND_SRFLX;
  ice_addr_set (&c.addr, "2001:db8::77", 61000);
  ice_addr_set (&c.rel_addr, "fd00::1", 5000);
  n = ice_sdp_format_candidate (&c, buf, sizeof buf);
  ck_assert_int_gt (n, 0);
  ck_assert_uint_eq ((size_t) n, strlen (buf));
  ck_assert_int_eq (ice_sdp_parse_candidate (buf, (size_t) n, &d, &e), 0);
  ck_assert_str_eq (d.foundation, c.foundation);
  ck_assert_uint_eq (d.component, c.component);
  ck_assert_uint_eq (d.priority, c.priority);
  ck_assert_int_eq (d.type, c.type);
  ck_assert (ice_addr_equal (&d.addr, &c.addr));
  ck_assert (ice_addr_equal (&d.rel_addr, &c.rel_addr));
  /* Every buffer too small fails cleanly. */
  for (size_t sz = 0; sz <= (size_t) n; sz++)
    ck_assert_int_eq (ice_sdp_format_candidate (&c, buf, sz), -ENOBUFS);

  c.transport = ICE_TRANSPORT_TCP;
  c.tcp_type = ICE_TCP_PASSIVE;
  n = ice_sdp_format_candidate (&c, buf, sizeof buf);
  ck_assert_int_gt (n, 0);
  ck_assert_int_eq (ice_sdp_parse_candidate (buf, (size_t) n, &d, &e), 0);
  ck_assert_int_eq (d.tcp_type, ICE_TCP_PASSIVE);
  ck_assert (d.unsupported);
}
END_TEST

START_TEST (test_lines)
{
  ice_sdp_ice ice = { 0 }, back = { 0 };
  ice_sdp_error e;
  char buf[1024];
  static const char *const lines[] = {
    "a=ice-ufrag:8hhY", "a=ice-pwd:asd88fgpdd777uzjYhagZg", "a=ice-options:trickle ice2 foo",
    "a=ice-lite", "a=ice-mismatch", "a=end-of-candidates",
    "a=remote-candidates:1 192.0.2.3 45664 2 192.0.2.3 45665",
  };
  size_t i;

  for (i = 0; i < sizeof lines / sizeof *lines; i++)
    ck_assert_int_eq (ice_sdp_parse_line (lines[i], strlen (lines[i]), &ice, &e), 1);
  ck_assert_int_eq (ice_sdp_parse_line ("a=rtcp-mux", 10, &ice, &e), 0);
  ck_assert_str_eq (ice.ufrag, "8hhY");
  ck_assert_str_eq (ice.pwd, "asd88fgpdd777uzjYhagZg");
  ck_assert_uint_eq (ice.options, ICE_OPT_TRICKLE | ICE_OPT_ICE2);
  ck_assert (ice.lite && ice.mismatch && ice.end_of_candidates);
  ck_assert_uint_eq (ice.n_remote, 2);
  ck_assert_uint_eq (ice.remote[1].component, 2);
  ck_assert_uint_eq (ice.remote[1].addr.port, 45665);

  int n = ice_sdp_format_lines (&ice, buf, sizeof buf);
  ck_assert_int_gt (n, 0);
  /* Parse what we wrote, line by line. */
  char *p = buf;
  while (*p)
    {
      char *eol = strstr (p, "\r\n");
      ck_assert_ptr_nonnull (eol);
      ck_assert_int_eq (ice_sdp_parse_line (p, (size_t) (eol + 2 - p), &back, &e), 1);
      p = eol + 2;
    }
  ck_assert_str_eq (back.ufrag, ice.ufrag);
  ck_assert_str_eq (back.pwd, ice.pwd);
  ck_assert_uint_eq (back.options, ice.options);
  ck_assert (back.lite && back.mismatch && back.end_of_candidates);
  ck_assert_uint_eq (back.n_remote, 2);
  ck_assert (ice_addr_equal (&back.remote[0].addr, &ice.remote[0].addr));
  for (size_t sz = 0; sz <= (size_t) n; sz++)
    ck_assert_int_eq (ice_sdp_format_lines (&ice, buf, sz), -ENOBUFS);
}
END_TEST

START_TEST (test_line_rejects)
{
  static const char *const bad[] = {
    "a=ice-ufrag:abc", "a=ice-ufrag", "a=ice-ufrag:ab cd", "a=ice-pwd:short",
    "a=ice-pwd:asd88fgpdd777uzjYhagZg!", "a=ice-options:", "a=ice-options:trickle  ice2",
    "a=ice-lite:yes", "a=end-of-candidates:1", "a=remote-candidates:1 192.0.2.3",
    "a=remote-candidates:0 192.0.2.3 5", "a=remote-candidates:1 host.example 5",
    "a=remote-candidates:1 1.2.3.4 5 1 1.2.3.4 5 1 1.2.3.4 5 1 1.2.3.4 5 1 1.2.3.4 5",
  };
  ice_sdp_ice ice = { 0 };
  ice_sdp_error e;
  size_t i;

  for (i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      ck_assert_msg (ice_sdp_parse_line (bad[i], strlen (bad[i]), &ice, &e) == -EBADMSG,
                     "accepted %s", bad[i]);
      ck_assert_msg (strncmp (e.msg, bad[i], strcspn (bad[i], ":")) == 0,
                     "error \"%s\" does not name %s", e.msg, bad[i]);
    }
  /* The password never appears in an error. */
  const char *pwd = "a=ice-pwd:secretsecretsecretsecret!!";
  ck_assert_int_eq (ice_sdp_parse_line (pwd, strlen (pwd), &ice, &e), -EBADMSG);
  ck_assert_ptr_null (strstr (e.msg, "secret"));
}
END_TEST

static const char *const good_lines[] = {
  "a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998\r\n",
  "a=candidate:3 2 UDP 16777215 2001:db8::5 3479 typ relay raddr 2001:db8::9 rport 1 generation 0",
  "a=candidate:4 1 TCP 2128609279 10.0.1.1 9 typ host tcptype active",
  "a=ice-ufrag:8hhY\r\n",
  "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n",
  "a=ice-options:trickle ice2",
  "a=remote-candidates:1 192.0.2.3 45664 2 2001:db8::1 45665",
  "a=ice-lite",
};

/* Every prefix of every line, and every line with each byte replaced by
 * garbage, goes through the parser without a crash or an overread. */
START_TEST (test_truncation_and_garbage)
{
  const char *l = good_lines[_i];
  size_t len = strlen (l), cut, pos;
  ice_cand c;
  ice_sdp_ice ice;
  ice_sdp_error e;
  static const char garbage[] = { '\0', ' ', ':', '\xff', '\r', 'x', '9', '.', '-' };
  char *mut = malloc (len);
  unsigned seed = 1234;

  for (cut = 0; cut <= len; cut++)
    {
      memset (&ice, 0, sizeof ice);
      (void) parse_cand_exact (l, cut, &c, &e);
      (void) parse_line_exact (l, cut, &ice, &e);
    }
  for (pos = 0; pos < len; pos++)
    for (size_t g = 0; g < sizeof garbage; g++)
      {
        memcpy (mut, l, len);
        mut[pos] = garbage[g];
        memset (&ice, 0, sizeof ice);
        (void) parse_cand_exact (mut, len, &c, &e);
        (void) parse_line_exact (mut, len, &ice, &e);
      }
  for (int round = 0; round < 200; round++)
    {
      memcpy (mut, l, len);
      for (int k = 0; k < 4; k++)
        mut[rand_r (&seed) % len] = (char) (rand_r (&seed) & 0xff);
      size_t cutlen = (size_t) rand_r (&seed) % (len + 1);
      memset (&ice, 0, sizeof ice);
      if (parse_cand_exact (mut, cutlen, &c, &e) == 0)
        ck_assert (c.component >= 1 && c.component <= 256 && c.priority >= 1);
      (void) parse_line_exact (mut, cutlen, &ice, &e);
    }
  free (mut);
}
END_TEST

static Suite *
sdp_suite (void)
{
  Suite *s = suite_create ("ice-sdp");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_candidate_examples);
  tcase_add_test (tc, test_candidate_unsupported);
  tcase_add_loop_test (tc, test_candidate_rejects, 0,
                       (int) (sizeof bad_candidates / sizeof *bad_candidates));
  tcase_add_test (tc, test_candidate_round_trip);
  tcase_add_test (tc, test_lines);
  tcase_add_test (tc, test_line_rejects);
  tcase_add_loop_test (tc, test_truncation_and_garbage, 0,
                       (int) (sizeof good_lines / sizeof *good_lines));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (sdp_suite ());
}
