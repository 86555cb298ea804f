/* Candidate priorities, RFC 8421 local preferences, foundations, pair
 * priorities. */
#include "ice/cand.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "check-run.h"

static ice_addr
A (const char *ip, uint16_t port)
{
  ice_addr a;
  ck_assert_int_eq (ice_addr_set (&a, ip, port), 0);
  return a;
}

START_TEST (test_priority_formula)
{
  /* RFC 8445 §5.1.2.1 with the recommended preferences. */
  ck_assert_uint_eq (ice_cand_priority (126, 65535, 1), 2130706431u);
  ck_assert_uint_eq (ice_cand_priority (126, 65535, 2), 2130706430u);
  ck_assert_uint_eq (ice_cand_priority (100, 65535, 1), (100u << 24) + (65535u << 8) + 255);
  ck_assert_uint_eq (ice_cand_priority (0, 0, 256), 0u);
  ck_assert_uint_eq (ice_cand_type_preference (ICE_CAND_HOST), 126);
  ck_assert_uint_eq (ice_cand_type_preference (ICE_CAND_PRFLX), 110);
  ck_assert_uint_eq (ice_cand_type_preference (ICE_CAND_SRFLX), 100);
  ck_assert_uint_eq (ice_cand_type_preference (ICE_CAND_RELAY), 0);
  ck_assert_str_eq (ice_cand_type_name (ICE_CAND_PRFLX), "prflx");
}
END_TEST

START_TEST (test_local_pref_interleave)
{
  ice_addr a[5] = { A ("192.0.2.1", 0), A ("192.0.2.2", 0), A ("2001:db8::1", 0),
                    A ("198.51.100.1", 0), A ("2001:db8::2", 0) };
  uint16_t lp[5];

  ice_cand_local_preferences (a, 5, lp);
  /* Ranks: v6#0=0, v4#0=1, v6#1=2, v4#1=3, v4#2=4. */
  ck_assert_uint_eq (lp[2], 65535);
  ck_assert_uint_eq (lp[0], 65534);
  ck_assert_uint_eq (lp[4], 65533);
  ck_assert_uint_eq (lp[1], 65532);
  ck_assert_uint_eq (lp[3], 65531);

  /* One family only keeps the caller's order. */
  ice_addr b[3] = { A ("10.0.0.1", 0), A ("10.0.0.2", 0), A ("10.0.0.3", 0) };
  ice_cand_local_preferences (b, 3, lp);
  ck_assert (lp[0] > lp[1] && lp[1] > lp[2]);
}
END_TEST

START_TEST (test_foundation)
{
  char f1[ICE_FOUNDATION_MAX + 1], f2[ICE_FOUNDATION_MAX + 1], f3[ICE_FOUNDATION_MAX + 1];
  ice_addr b1 = A ("10.0.0.1", 1000), b1p = A ("10.0.0.1", 2000), b2 = A ("10.0.0.2", 1000);
  ice_addr s1 = A ("203.0.113.1", 3478), s2 = A ("203.0.113.2", 3478);

  /* Port does not matter; IP, type, server and transport do. */
  ice_cand_foundation (ICE_CAND_HOST, &b1, NULL, ICE_TRANSPORT_UDP, f1);
  ice_cand_foundation (ICE_CAND_HOST, &b1p, NULL, ICE_TRANSPORT_UDP, f2);
  ck_assert_str_eq (f1, f2);
  ice_cand_foundation (ICE_CAND_HOST, &b2, NULL, ICE_TRANSPORT_UDP, f3);
  ck_assert_str_ne (f1, f3);
  ice_cand_foundation (ICE_CAND_SRFLX, &b1, &s1, ICE_TRANSPORT_UDP, f2);
  ck_assert_str_ne (f1, f2);
  ice_cand_foundation (ICE_CAND_SRFLX, &b1, &s2, ICE_TRANSPORT_UDP, f3);
  ck_assert_str_ne (f2, f3);
  ice_cand_foundation (ICE_CAND_HOST, &b1, NULL, ICE_TRANSPORT_TCP, f3);
  ck_assert_str_ne (f1, f3);
  ck_assert_uint_ge (strlen (f1), 1);
  ck_assert_uint_le (strlen (f1), ICE_FOUNDATION_MAX);
}
END_TEST

START_TEST (test_redundant)
{
  ice_cand a = { .component = 1 }, b;
  a.addr = A ("192.0.2.1", 5000);
  a.base = A ("192.0.2.1", 5000);
  b = a;
  b.type = ICE_CAND_SRFLX; /* a srflx equal to its host (no NAT) */
  ck_assert (ice_cand_redundant (&a, &b));
  b.base.port = 5001;
  ck_assert (!ice_cand_redundant (&a, &b));
  b = a;
  b.component = 2;
  ck_assert (!ice_cand_redundant (&a, &b));
}
END_TEST

START_TEST (test_pair_priority)
{
  /* §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0). */
  ck_assert_uint_eq (ice_pair_priority (10, 20), (10ull << 32) + 40);
  ck_assert_uint_eq (ice_pair_priority (20, 10), (10ull << 32) + 41);
  ck_assert_uint_eq (ice_pair_priority (2130706431u, 2130706431u),
                     ((uint64_t) 2130706431u << 32) + 2ull * 2130706431u);
  /* Symmetric apart from the tie bit: both sides order pairs alike. */
  ck_assert (ice_pair_priority (100, 5) > ice_pair_priority (5, 99));
}
END_TEST

static Suite *
cand_suite (void)
{
  Suite *s = suite_create ("ice-cand");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, test_priority_formula);
  tcase_add_test (tc, test_local_pref_interleave);
  tcase_add_test (tc, test_foundation);
  tcase_add_test (tc, test_redundant);
  tcase_add_test (tc, test_pair_priority);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (cand_suite ());
}
