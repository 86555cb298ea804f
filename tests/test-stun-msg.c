/* STUN message codec: RFC 5769 and RFC 8489 test vectors, writer round
 * trips of every attribute ICE and TURN use, the 420 path, malformed input,
 * and every vector truncated and mutated (tens of thousands of cases). */
#include "ice/stun-msg.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "test-stun-vectors.h"
#include "check-run.h"

static ice_addr
A (const char *ip, uint16_t port)
{
  ice_addr a;
  ck_assert_int_eq (ice_addr_set (&a, ip, port), 0);
  return a;
}

static ice_stun_txid
txid_of (const uint8_t *msg)
{
  ice_stun_txid t;
  memcpy (t.b, msg + 8, sizeof t.b);
  return t;
}

static void
assert_string_attr (const ice_stun_msg *m, uint16_t type, const char *want)
{
  char buf[256];
  int n = ice_stun_msg_get_string (m, type, buf, sizeof buf);
  ck_assert_int_eq (n, (int) strlen (want));
  ck_assert_str_eq (buf, want);
}

/* ------------------------------------------------------------ RFC vectors */

START_TEST (test_rfc5769_request)
{
  size_t len;
  uint8_t *v = stun_hex_decode (rfc5769_request_hex, &len);
  ck_assert_uint_eq (len, 108);
  ck_assert (ice_stun_is_message (v, len));

  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (v, len, &m), 0);
  ck_assert_uint_eq (m.method, ICE_STUN_METHOD_BINDING);
  ck_assert_uint_eq (m.cls, ICE_STUN_CLASS_REQUEST);
  ck_assert_uint_eq (m.n_attrs, 6);
  assert_string_attr (&m, ICE_STUN_ATTR_SOFTWARE, "STUN test client");
  assert_string_attr (&m, ICE_STUN_ATTR_USERNAME, "evtj:h6vY");
  uint32_t prio;
  ck_assert_int_eq (ice_stun_msg_get_u32 (&m, ICE_STUN_ATTR_PRIORITY, &prio),
                    0);
  ck_assert_uint_eq (prio, 0x6e0001ffu);
  uint64_t tie;
  ck_assert_int_eq (
      ice_stun_msg_get_u64 (&m, ICE_STUN_ATTR_ICE_CONTROLLED, &tie), 0);
  ck_assert_uint_eq (tie, 0x932ff9b151263b36ull);
  ck_assert_int_ge (m.fingerprint_idx, 0);
  ck_assert_int_ge (m.integrity_idx, 0);
  ck_assert_int_eq (m.integrity_sha256_idx, -1);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, RFC5769_PASSWORD,
                                                  strlen (RFC5769_PASSWORD)),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_auth (&m, RFC5769_PASSWORD,
                                             strlen (RFC5769_PASSWORD)),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, "VOkJxbRl1RmTxUk/WvJxBu",
                                                  22),
                    -EACCES);
  ck_assert_int_eq (ice_stun_msg_check_integrity_sha256 (&m, "x", 1),
                    -ENOENT);
  ck_assert_int_eq (ice_stun_msg_unknown_required (&m, NULL, 0), 0);

  /* The writer reproduces the message byte for byte.  The RFC pads
   * USERNAME with spaces where we write zeros, so patch those three bytes
   * before the integrity is computed over them. */
  uint8_t out[200];
  ice_stun_writer w;
  ice_stun_txid id = txid_of (v);
  ice_stun_writer_init (&w, out, sizeof out, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, &id);
  ck_assert_int_eq (
      ice_stun_add_string (&w, ICE_STUN_ATTR_SOFTWARE, "STUN test client"), 0);
  ck_assert_int_eq (ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, prio), 0);
  ck_assert_int_eq (ice_stun_add_u64 (&w, ICE_STUN_ATTR_ICE_CONTROLLED, tie),
                    0);
  ck_assert_int_eq (ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME,
                                         "evtj:h6vY"),
                    0);
  memset (out + w.len - 3, 0x20, 3);
  ck_assert_int_eq (ice_stun_add_integrity (&w, RFC5769_PASSWORD,
                                            strlen (RFC5769_PASSWORD)),
                    0);
  ck_assert_int_eq (ice_stun_add_fingerprint (&w), 0);
  ck_assert_int_eq (ice_stun_writer_finish (&w), (int) len);
  ck_assert_mem_eq (out, v, len);
  free (v);
}
END_TEST

/* Parses an RFC 5769 response, checks its mapped address, and rebuilds it
 * byte for byte (SOFTWARE "test vector" padded with one space). */
static void
check_rfc5769_response (const char *hex, const ice_addr *want)
{
  size_t len;
  uint8_t *v = stun_hex_decode (hex, &len);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (v, len, &m), 0);
  ck_assert_uint_eq (m.method, ICE_STUN_METHOD_BINDING);
  ck_assert_uint_eq (m.cls, ICE_STUN_CLASS_SUCCESS);
  assert_string_attr (&m, ICE_STUN_ATTR_SOFTWARE, "test vector");
  ice_addr got;
  ck_assert_int_eq (
      ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &got),
      0);
  ck_assert (ice_addr_equal (&got, want));
  ck_assert_int_eq (ice_stun_msg_get_addr (&m, ICE_STUN_ATTR_MAPPED_ADDRESS,
                                           &got),
                    -ENOENT);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, RFC5769_PASSWORD,
                                                  strlen (RFC5769_PASSWORD)),
                    0);
  ck_assert_int_ge (m.fingerprint_idx, 0);

  uint8_t out[200];
  ice_stun_writer w;
  ice_stun_txid id = txid_of (v);
  ice_stun_writer_init (&w, out, sizeof out, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_SUCCESS, &id);
  ck_assert_int_eq (
      ice_stun_add_string (&w, ICE_STUN_ATTR_SOFTWARE, "test vector"), 0);
  out[w.len - 1] = 0x20;
  ck_assert_int_eq (
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, want), 0);
  ck_assert_int_eq (ice_stun_add_integrity (&w, RFC5769_PASSWORD,
                                            strlen (RFC5769_PASSWORD)),
                    0);
  ck_assert_int_eq (ice_stun_add_fingerprint (&w), 0);
  ck_assert_int_eq (ice_stun_writer_finish (&w), (int) len);
  ck_assert_mem_eq (out, v, len);
  free (v);
}

START_TEST (test_rfc5769_ipv4_response)
{
  ice_addr want = A ("192.0.2.1", 32853);
  check_rfc5769_response (rfc5769_ipv4_hex, &want);
}
END_TEST

START_TEST (test_rfc5769_ipv6_response)
{
  ice_addr want = A ("2001:db8:1234:5678:11:2233:4455:6677", 32853);
  check_rfc5769_response (rfc5769_ipv6_hex, &want);
}
END_TEST

START_TEST (test_rfc5769_long_term)
{
  size_t len;
  uint8_t *v = stun_hex_decode (rfc5769_long_term_hex, &len);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (v, len, &m), 0);
  assert_string_attr (&m, ICE_STUN_ATTR_USERNAME, RFC_LT_USERNAME);
  assert_string_attr (&m, ICE_STUN_ATTR_NONCE, RFC5769_NONCE);
  assert_string_attr (&m, ICE_STUN_ATTR_REALM, RFC_LT_REALM);
  ck_assert_int_eq (m.fingerprint_idx, -1);

  uint8_t key[ICE_STUN_KEY_MD5_LEN];
  ck_assert_int_eq (ice_stun_key_long_term_md5 (RFC_LT_USERNAME, RFC_LT_REALM,
                                                RFC_LT_PASSWORD, key),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, key, sizeof key), 0);
  uint8_t wrong[ICE_STUN_KEY_MD5_LEN];
  ck_assert_int_eq (ice_stun_key_long_term_md5 (RFC_LT_USERNAME, RFC_LT_REALM,
                                                "thematrix", wrong),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, wrong, sizeof wrong),
                    -EACCES);

  /* Zero padding here: the writer reproduces it exactly as is. */
  uint8_t out[200];
  ice_stun_writer w;
  ice_stun_txid id = txid_of (v);
  ice_stun_writer_init (&w, out, sizeof out, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, &id);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, RFC_LT_USERNAME);
  ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, RFC5769_NONCE);
  ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, RFC_LT_REALM);
  ice_stun_add_integrity (&w, key, sizeof key);
  ck_assert_int_eq (ice_stun_writer_finish (&w), (int) len);
  ck_assert_mem_eq (out, v, len);
  free (v);
}
END_TEST

START_TEST (test_rfc8489_sha256_userhash)
{
  size_t len;
  uint8_t *v = stun_hex_decode (rfc8489_sha256_hex, &len);
  ck_assert_uint_eq (len, 20 + 0x90);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (v, len, &m), 0);
  ck_assert_int_ge (m.integrity_sha256_idx, 0);
  ck_assert_int_eq (m.integrity_idx, -1);

  uint8_t hash[ICE_STUN_USERHASH_LEN];
  ck_assert_int_eq (ice_stun_userhash (RFC_LT_USERNAME, RFC_LT_REALM, hash),
                    0);
  const uint8_t *uh;
  size_t uhlen;
  ck_assert_int_eq (
      ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_USERHASH, &uh, &uhlen), 0);
  ck_assert_uint_eq (uhlen, sizeof hash);
  ck_assert_mem_eq (uh, hash, sizeof hash);
  assert_string_attr (&m, ICE_STUN_ATTR_NONCE, RFC8489_NONCE);
  assert_string_attr (&m, ICE_STUN_ATTR_REALM, RFC_LT_REALM);
  uint16_t alg = 0;
  ck_assert_int_eq (ice_stun_msg_get_password_algorithm (&m, &alg), 0);
  ck_assert_uint_eq (alg, ICE_STUN_PASSWORD_ALG_SHA256);

  uint8_t key[ICE_STUN_KEY_SHA256_LEN];
  ck_assert_int_eq (ice_stun_key_long_term_sha256 (
                        RFC_LT_USERNAME, RFC_LT_REALM, RFC_LT_PASSWORD, key),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_integrity_sha256 (&m, key, sizeof key),
                    0);
  ck_assert_int_eq (ice_stun_msg_check_auth (&m, key, sizeof key), 0);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, key, sizeof key),
                    -ENOENT);
  key[0] ^= 1;
  ck_assert_int_eq (ice_stun_msg_check_auth (&m, key, sizeof key), -EACCES);
  key[0] ^= 1;

  uint8_t out[256];
  ice_stun_writer w;
  ice_stun_txid id = txid_of (v);
  ice_stun_writer_init (&w, out, sizeof out, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, &id);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_USERHASH, hash, sizeof hash);
  ice_stun_add_string (&w, ICE_STUN_ATTR_NONCE, RFC8489_NONCE);
  ice_stun_add_string (&w, ICE_STUN_ATTR_REALM, RFC_LT_REALM);
  ice_stun_add_password_algorithm (&w, ICE_STUN_PASSWORD_ALG_SHA256);
  ice_stun_add_integrity_sha256 (&w, key, sizeof key);
  ck_assert_int_eq (ice_stun_writer_finish (&w), (int) len);
  ck_assert_mem_eq (out, v, len);
  free (v);
}
END_TEST

START_TEST (test_sha256_truncated)
{
  /* RFC 8489 14.6 lets MESSAGE-INTEGRITY-SHA256 be truncated to 16..32
   * bytes (multiples of 4).  Build one of 16 by hand: the header length
   * covers the 16-byte attribute, the HMAC is computed independently. */
  static const uint8_t zeros[32];
  uint8_t buf[128];
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, "user");
  size_t off = w.len;
  ck_assert_int_eq (ice_stun_add_bytes (&w,
                                        ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256,
                                        zeros, 16),
                    0);
  int n = ice_stun_writer_finish (&w);
  uint8_t mac[32];
  unsigned maclen = 0;
  ck_assert_ptr_nonnull (HMAC (EVP_sha256 (), "pw", 2, buf, off, mac,
                               &maclen));
  ck_assert_uint_eq (maclen, 32);
  memcpy (buf + off + 4, mac, 16);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), 0);
  ck_assert_int_eq (ice_stun_msg_check_integrity_sha256 (&m, "pw", 2), 0);
  ck_assert_int_eq (ice_stun_msg_check_integrity_sha256 (&m, "pX", 2),
                    -EACCES);

  /* 12 bytes is below the minimum: malformed */
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, zeros, 12);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), -EBADMSG);
}
END_TEST

/* ------------------------------------------------------- writer round trip */

START_TEST (test_type_encoding)
{
  static const uint16_t methods[] = { 0x001, 0x003, 0x004, 0x006,
                                      0x007, 0x008, 0x009, 0xFFF };
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    for (uint8_t c = 0; c < 4; c++)
      {
        uint16_t t = ice_stun_msg_type (methods[i], c);
        ck_assert_uint_eq (t & 0xC000, 0);
        ck_assert_uint_eq (ice_stun_type_method (t), methods[i]);
        ck_assert_uint_eq (ice_stun_type_class (t), c);
      }
  /* RFC 8656 message types */
  ck_assert_uint_eq (ice_stun_msg_type (ICE_STUN_METHOD_ALLOCATE,
                                        ICE_STUN_CLASS_SUCCESS),
                     0x0103);
  ck_assert_uint_eq (ice_stun_msg_type (ICE_STUN_METHOD_ALLOCATE,
                                        ICE_STUN_CLASS_ERROR),
                     0x0113);
  ck_assert_uint_eq (ice_stun_msg_type (ICE_STUN_METHOD_SEND,
                                        ICE_STUN_CLASS_INDICATION),
                     0x0016);
  ck_assert_uint_eq (ice_stun_msg_type (ICE_STUN_METHOD_DATA,
                                        ICE_STUN_CLASS_INDICATION),
                     0x0017);
  ck_assert_uint_eq (ice_stun_msg_type (ICE_STUN_METHOD_BINDING,
                                        ICE_STUN_CLASS_SUCCESS),
                     0x0101);
  ck_assert_str_eq (ice_stun_method_name (ICE_STUN_METHOD_CHANNEL_BIND),
                    "ChannelBind");
  ck_assert_str_eq (ice_stun_attr_name (ICE_STUN_ATTR_XOR_RELAYED_ADDRESS),
                    "XOR-RELAYED-ADDRESS");
  ck_assert_str_eq (ice_stun_error_reason (438), "Stale Nonce");
}
END_TEST

/* An Allocate success carrying most TURN attributes, signed with both
 * integrity attributes and a fingerprint. */
static int
build_turn_message (uint8_t *buf, size_t cap, const ice_stun_txid *id)
{
  static const uint8_t key[16] = "0123456789abcdef";
  static const uint8_t token[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  static const uint16_t algs[] = { ICE_STUN_PASSWORD_ALG_MD5,
                                   ICE_STUN_PASSWORD_ALG_SHA256 };
  ice_stun_writer w;
  ice_addr relay4 = A ("203.0.113.9", 50000);
  ice_addr relay6 = A ("2001:db8::42", 50001);
  ice_addr peer = A ("198.51.100.7", 4000);
  ice_addr alt = A ("2001:db8:ffff::1", 3478);
  ice_addr mapped = A ("192.0.2.200", 1);
  ice_stun_writer_init (&w, buf, cap, ICE_STUN_METHOD_ALLOCATE,
                        ICE_STUN_CLASS_SUCCESS, id);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &relay4);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &relay6);
  ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &peer);
  ice_stun_add_addr (&w, ICE_STUN_ATTR_ALTERNATE_SERVER, &alt);
  ice_stun_add_addr (&w, ICE_STUN_ATTR_MAPPED_ADDRESS, &mapped);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, 600);
  ice_stun_add_channel_number (&w, 0x4001);
  ice_stun_add_requested_transport (&w, ICE_STUN_TRANSPORT_UDP);
  ice_stun_add_address_family (&w, ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
                               AF_INET6);
  ice_stun_add_even_port (&w, true);
  ice_stun_add_empty (&w, ICE_STUN_ATTR_DONT_FRAGMENT);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_RESERVATION_TOKEN, token,
                      sizeof token);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_DATA, "hello", 5);
  ice_stun_add_error (&w, 438, NULL);
  ice_stun_add_password_algorithms (&w, algs, 2);
  ice_stun_add_string (&w, ICE_STUN_ATTR_SOFTWARE, "floe");
  ice_stun_add_empty (&w, ICE_STUN_ATTR_USE_CANDIDATE);
  ice_stun_add_u64 (&w, ICE_STUN_ATTR_ICE_CONTROLLING, 0x0102030405060708ull);
  ice_stun_add_integrity (&w, key, sizeof key);
  ice_stun_add_integrity_sha256 (&w, key, sizeof key);
  ice_stun_add_fingerprint (&w);
  return ice_stun_writer_finish (&w);
}

START_TEST (test_turn_round_trip)
{
  uint8_t buf[512];
  ice_stun_txid id;
  ck_assert_int_eq (ice_stun_txid_new (&id), 0);
  int n = build_turn_message (buf, sizeof buf, &id);
  ck_assert_int_gt (n, 0);
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), 0);
  ck_assert (ice_stun_txid_equal (&m.txid, &id));
  ck_assert_uint_eq (m.method, ICE_STUN_METHOD_ALLOCATE);
  ck_assert_uint_eq (m.cls, ICE_STUN_CLASS_SUCCESS);

  ice_addr a, want;
  ck_assert_int_eq (
      ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, &a), 0);
  want = A ("203.0.113.9", 50000);
  ck_assert (ice_addr_equal (&a, &want));
  ck_assert_int_eq (
      ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &a), 0);
  want = A ("2001:db8::42", 50001);
  ck_assert (ice_addr_equal (&a, &want));
  /* XOR really is applied: the raw value differs from the plain one */
  ck_assert_int_eq (
      ice_stun_msg_get_addr (&m, ICE_STUN_ATTR_XOR_PEER_ADDRESS, &a), 0);
  ck_assert (!ice_addr_equal (&a, &want));
  ck_assert_int_eq (
      ice_stun_msg_get_addr (&m, ICE_STUN_ATTR_ALTERNATE_SERVER, &a), 0);
  want = A ("2001:db8:ffff::1", 3478);
  ck_assert (ice_addr_equal (&a, &want));
  ck_assert_int_eq (ice_stun_msg_get_addr (&m, ICE_STUN_ATTR_MAPPED_ADDRESS,
                                           &a),
                    0);
  want = A ("192.0.2.200", 1);
  ck_assert (ice_addr_equal (&a, &want));

  uint32_t u;
  ck_assert_int_eq (ice_stun_msg_get_u32 (&m, ICE_STUN_ATTR_LIFETIME, &u), 0);
  ck_assert_uint_eq (u, 600);
  uint16_t ch;
  ck_assert_int_eq (ice_stun_msg_get_channel_number (&m, &ch), 0);
  ck_assert_uint_eq (ch, 0x4001);
  ck_assert_int_eq (
      ice_stun_msg_get_u32 (&m, ICE_STUN_ATTR_REQUESTED_TRANSPORT, &u), 0);
  ck_assert_uint_eq (u, 17u << 24);
  int fam;
  ck_assert_int_eq (ice_stun_msg_get_address_family (
                        &m, ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, &fam),
                    0);
  ck_assert_int_eq (fam, AF_INET6);
  const uint8_t *p;
  size_t plen;
  ck_assert_int_eq (
      ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_EVEN_PORT, &p, &plen), 0);
  ck_assert_uint_eq (plen, 1);
  ck_assert_uint_eq (p[0], 0x80);
  ck_assert (ice_stun_msg_has (&m, ICE_STUN_ATTR_DONT_FRAGMENT));
  ck_assert (ice_stun_msg_has (&m, ICE_STUN_ATTR_USE_CANDIDATE));
  ck_assert_int_eq (
      ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_RESERVATION_TOKEN, &p, &plen),
      0);
  ck_assert_uint_eq (plen, 8);
  ck_assert_int_eq (ice_stun_msg_get_bytes (&m, ICE_STUN_ATTR_DATA, &p, &plen),
                    0);
  ck_assert_uint_eq (plen, 5);
  ck_assert_mem_eq (p, "hello", 5);
  int code;
  char reason[64];
  ck_assert_int_eq (ice_stun_msg_get_error (&m, &code, reason, sizeof reason),
                    0);
  ck_assert_int_eq (code, 438);
  ck_assert_str_eq (reason, "Stale Nonce");
  uint16_t algs[4];
  ck_assert_int_eq (ice_stun_msg_get_password_algorithms (&m, algs, 4), 2);
  ck_assert_uint_eq (algs[0], ICE_STUN_PASSWORD_ALG_MD5);
  ck_assert_uint_eq (algs[1], ICE_STUN_PASSWORD_ALG_SHA256);
  uint64_t tie;
  ck_assert_int_eq (
      ice_stun_msg_get_u64 (&m, ICE_STUN_ATTR_ICE_CONTROLLING, &tie), 0);
  ck_assert_uint_eq (tie, 0x0102030405060708ull);
  assert_string_attr (&m, ICE_STUN_ATTR_SOFTWARE, "floe");

  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, "0123456789abcdef", 16),
                    0);
  ck_assert_int_eq (
      ice_stun_msg_check_integrity_sha256 (&m, "0123456789abcdef", 16), 0);
  ck_assert_int_eq (ice_stun_msg_check_auth (&m, "0123456789abcdeX", 16),
                    -EACCES);
  ck_assert_int_ge (m.fingerprint_idx, 0);
  ck_assert_int_eq (ice_stun_msg_unknown_required (&m, NULL, 0), 0);

  /* A flipped bit anywhere before FINGERPRINT breaks the fingerprint. */
  buf[30] ^= 0x01;
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), -EBADMSG);
}
END_TEST

START_TEST (test_writer_errors)
{
  uint8_t buf[64];
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, 19, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ck_assert_int_eq (ice_stun_writer_finish (&w), -ENOBUFS);

  ice_stun_writer_init (&w, buf, sizeof buf, 0x1000, ICE_STUN_CLASS_REQUEST,
                        NULL);
  ck_assert_int_eq (ice_stun_writer_finish (&w), -EINVAL);

  /* 20 + 8 fits, the next 4+40 does not; the error sticks */
  ice_stun_writer_init (&w, buf, 40, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ck_assert_int_eq (ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1), 0);
  ck_assert_int_eq (ice_stun_add_bytes (&w, ICE_STUN_ATTR_DATA, buf, 40),
                    -ENOBUFS);
  ck_assert_int_eq (ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1),
                    -ENOBUFS);
  ck_assert_int_eq (ice_stun_writer_finish (&w), -ENOBUFS);

  /* nothing after FINGERPRINT, nothing but the allowed ones after MI */
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ck_assert_int_eq (ice_stun_add_fingerprint (&w), 0);
  ck_assert_int_eq (ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1), -EINVAL);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ck_assert_int_eq (ice_stun_add_integrity (&w, "k", 1), 0);
  ck_assert_int_eq (ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 1), -EINVAL);

  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_ERROR, NULL);
  ck_assert_int_eq (ice_stun_add_error (&w, 299, NULL), -EINVAL);

  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_addr none;
  memset (&none, 0, sizeof none);
  ck_assert_int_eq (
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &none),
      -EINVAL);

  /* Random IDs differ and the writer exposes its own */
  ice_stun_txid a, b;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_writer_txid (&w, &a);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_writer_txid (&w, &b);
  ck_assert (!ice_stun_txid_equal (&a, &b));
}
END_TEST

/* ---------------------------------------------------------------- 420 path */

START_TEST (test_unknown_required_420)
{
  uint8_t req[128];
  ice_stun_writer w;
  ice_stun_writer_init (&w, req, sizeof req, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, 7);
  ice_stun_add_u32 (&w, 0x7F01, 1);   /* unknown, comprehension-required */
  ice_stun_add_u32 (&w, 0xC001, 1);   /* unknown, optional: ignored */
  ice_stun_add_u32 (&w, 0x0030, 2);   /* unknown, required */
  ice_stun_add_u32 (&w, 0x7F01, 3);   /* repeated: reported once */
  ice_stun_add_fingerprint (&w);
  int n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);

  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (req, (size_t) n, &m), 0);
  uint16_t unknown[8];
  int k = ice_stun_msg_unknown_required (&m, unknown, 8);
  ck_assert_int_eq (k, 2);
  ck_assert_uint_eq (unknown[0], 0x7F01);
  ck_assert_uint_eq (unknown[1], 0x0030);
  ck_assert_int_eq (ice_stun_msg_unknown_required (&m, unknown, 1), 2);

  uint8_t resp[128];
  ice_stun_writer_init_response (&w, resp, sizeof resp, &m,
                                 ICE_STUN_CLASS_ERROR);
  ck_assert_int_eq (ice_stun_add_error (&w, ICE_STUN_ERR_UNKNOWN_ATTRIBUTE,
                                        NULL),
                    0);
  ck_assert_int_eq (ice_stun_add_unknown_attrs (&w, unknown, (size_t) k), 0);
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);

  ice_stun_msg r;
  ck_assert_int_eq (ice_stun_msg_parse (resp, (size_t) n, &r), 0);
  ck_assert_uint_eq (r.cls, ICE_STUN_CLASS_ERROR);
  ck_assert_uint_eq (r.method, ICE_STUN_METHOD_BINDING);
  ck_assert (ice_stun_txid_equal (&r.txid, &m.txid));
  int code;
  char reason[64];
  ck_assert_int_eq (ice_stun_msg_get_error (&r, &code, reason, sizeof reason),
                    0);
  ck_assert_int_eq (code, 420);
  ck_assert_str_eq (reason, "Unknown Attribute");
  uint16_t got[8];
  ck_assert_int_eq (ice_stun_msg_get_unknown_attrs (&r, got, 8), 2);
  ck_assert_uint_eq (got[0], 0x7F01);
  ck_assert_uint_eq (got[1], 0x0030);

  /* every attribute type we name is known; 0x8000+ never counts */
  ck_assert (ice_stun_attr_is_known (ICE_STUN_ATTR_RESERVATION_TOKEN));
  ck_assert (!ice_stun_attr_is_known (0x7F01));
}
END_TEST

/* --------------------------------------------------------- malformed input */

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

START_TEST (test_parse_rejects)
{
  size_t len;
  uint8_t *v = stun_hex_decode (rfc5769_ipv4_hex, &len);
  ice_stun_msg m;
  uint8_t *c = malloc (len);

#define MUTATE(stmt)                                                          \
  do                                                                          \
    {                                                                         \
      memcpy (c, v, len);                                                     \
      stmt;                                                                   \
      ck_assert_int_eq (ice_stun_msg_parse (c, len, &m), -EBADMSG);           \
    }                                                                         \
  while (0)

  MUTATE (c[0] |= 0x80);                         /* top bits */
  MUTATE (c[4] ^= 0xFF);                         /* magic cookie */
  MUTATE (put16 (c + 2, (uint16_t) (len - 20 + 4))); /* length too long */
  MUTATE (put16 (c + 2, (uint16_t) (len - 20 - 4))); /* too short */
  MUTATE (put16 (c + 2, (uint16_t) (len - 20 - 2))); /* not a multiple of 4 */
  MUTATE (put16 (c + 22, 200));                  /* attribute overruns */
  MUTATE (put16 (c + 22, 13));                   /* padding overruns */
  MUTATE (c[len - 1] ^= 1);                      /* fingerprint */
  MUTATE (put16 (c + 42, 19));                   /* MESSAGE-INTEGRITY size */
#undef MUTATE
  ck_assert_int_eq (ice_stun_msg_parse (v, len, &m), 0);
  ck_assert_int_eq (ice_stun_msg_parse (v, 19, &m), -EBADMSG);
  ck_assert_int_eq (ice_stun_msg_parse (NULL, 0, &m), -EBADMSG);
  ck_assert (!ice_stun_is_message (v, len - 4));
  free (c);

  /* trailing bytes after a datagram's message are not accepted */
  c = malloc (len + 4);
  memcpy (c, v, len);
  memset (c + len, 0, 4);
  ck_assert_int_eq (ice_stun_msg_parse (c, len + 4, &m), -EBADMSG);
  free (c);

  /* a value whose declared family does not match its length */
  uint8_t buf[64];
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_SUCCESS, NULL);
  uint8_t bad[8] = { 0, 0x02, 0, 1, 1, 2, 3, 4 };
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, bad, 8);
  uint8_t badfam[8] = { 0, 0x03, 0, 1, 1, 2, 3, 4 };
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_MAPPED_ADDRESS, badfam, 8);
  uint8_t badcode[4] = { 0, 0, 7, 0 };
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_ERROR_CODE, badcode, 4);
  ice_stun_add_bytes (&w, ICE_STUN_ATTR_LIFETIME, "abc", 3);
  int n = ice_stun_writer_finish (&w);
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), 0);
  ice_addr a;
  uint32_t u;
  int code;
  ck_assert_int_eq (
      ice_stun_msg_get_xor_addr (&m, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &a),
      -EBADMSG);
  ck_assert_int_eq (ice_stun_msg_get_addr (&m, ICE_STUN_ATTR_MAPPED_ADDRESS,
                                           &a),
                    -EBADMSG);
  ck_assert_int_eq (ice_stun_msg_get_error (&m, &code, NULL, 0), -EBADMSG);
  ck_assert_int_eq (ice_stun_msg_get_u32 (&m, ICE_STUN_ATTR_LIFETIME, &u),
                    -EBADMSG);
  char small[3];
  ck_assert_int_eq (ice_stun_msg_get_string (&m, ICE_STUN_ATTR_LIFETIME, small,
                                             sizeof small),
                    -ENOBUFS);
  free (v);
}
END_TEST

START_TEST (test_after_integrity_ignored)
{
  /* DATA after MESSAGE-INTEGRITY is not indexed; integrity still checks
   * because it covers only what precedes it. */
  uint8_t buf[128];
  ice_stun_writer w;
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_ALLOCATE,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_LIFETIME, 0);
  ice_stun_add_integrity (&w, "k", 1);
  int n = ice_stun_writer_finish (&w);
  ck_assert_int_gt (n, 0);
  static const uint8_t extra[8] = { 0x00, 0x13, 0x00, 0x04, 1, 2, 3, 4 };
  memcpy (buf + n, extra, sizeof extra);
  n += 8;
  put16 (buf + 2, (uint16_t) (n - 20));
  ice_stun_msg m;
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), 0);
  ck_assert (!ice_stun_msg_has (&m, ICE_STUN_ATTR_DATA));
  ck_assert_uint_eq (m.n_attrs, 2);
  ck_assert_int_eq (ice_stun_msg_check_integrity (&m, "k", 1), 0);

  /* anything after FINGERPRINT: rejected */
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_fingerprint (&w);
  n = ice_stun_writer_finish (&w);
  memcpy (buf + n, extra, sizeof extra);
  n += 8;
  put16 (buf + 2, (uint16_t) (n - 20));
  ck_assert_int_eq (ice_stun_msg_parse (buf, (size_t) n, &m), -EBADMSG);

  /* more attributes than the index holds: rejected, not truncated */
  uint8_t big[20 + 4 * (ICE_STUN_MAX_ATTRS + 1)];
  ice_stun_writer_init (&w, big, sizeof big, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  for (int i = 0; i <= ICE_STUN_MAX_ATTRS; i++)
    ice_stun_add_empty (&w, ICE_STUN_ATTR_USE_CANDIDATE);
  n = ice_stun_writer_finish (&w);
  ck_assert_int_eq (n, (int) sizeof big);
  ck_assert_int_eq (ice_stun_msg_parse (big, (size_t) n, &m), -EBADMSG);
  ck_assert_int_eq (ice_stun_msg_parse (big, (size_t) n - 4, &m), -EBADMSG);
  put16 (big + 2, (uint16_t) (n - 24));
  ck_assert_int_eq (ice_stun_msg_parse (big, (size_t) n - 4, &m), 0);
  ck_assert_uint_eq (m.n_attrs, ICE_STUN_MAX_ATTRS);
}
END_TEST

START_TEST (test_demux_and_framing)
{
  size_t len;
  uint8_t *v = stun_hex_decode (rfc5769_request_hex, &len);
  ck_assert (ice_stun_is_message (v, len));
  ck_assert (!ice_stun_is_message (v, len - 1));
  ck_assert_int_eq (ice_stun_frame_length (v, 3), -EAGAIN);
  ck_assert_int_eq (ice_stun_frame_length (v, 4), (int) len);
  ck_assert_int_eq (ice_stun_frame_length (v, len), (int) len);
  static const uint8_t rtp[4] = { 0x80, 0x60, 0, 1 };
  ck_assert_int_eq (ice_stun_frame_length (rtp, 4), -EBADMSG);
  static const uint8_t channel[4] = { 0x40, 0x00, 0, 5 };
  ck_assert_int_eq (ice_stun_frame_length (channel, 4), -EBADMSG);
  uint8_t nocookie[8] = { 0, 1, 0, 0, 1, 2, 3, 4 };
  ck_assert_int_eq (ice_stun_frame_length (nocookie, 8), -EBADMSG);
  ck_assert (!ice_stun_is_message (rtp, 4));
  free (v);
}
END_TEST

/* ------------------------------------------------ truncation and mutation */

/* Exercises every reader on a parsed message and checks the index stays
 * inside the buffer.  Run on exactly-sized heap copies, so ASan reports any
 * read past the end. */
static void
exercise (const uint8_t *data, size_t len, const ice_stun_msg *m)
{
  ck_assert_ptr_eq (m->data, data);
  ck_assert_uint_eq (m->len, len);
  ck_assert_uint_le (m->n_attrs, ICE_STUN_MAX_ATTRS);
  for (size_t i = 0; i < m->n_attrs; i++)
    {
      const ice_stun_attr *a = &m->attrs[i];
      ck_assert_ptr_eq (a->value, data + a->offset + 4);
      ck_assert_uint_le ((size_t) a->offset + 4 + a->len, len);
      ice_addr addr;
      uint32_t u32;
      uint64_t u64;
      const uint8_t *p;
      size_t plen;
      char s[800];
      int fam;
      ice_stun_msg_get_addr (m, a->type, &addr);
      ice_stun_msg_get_xor_addr (m, a->type, &addr);
      ice_stun_msg_get_u32 (m, a->type, &u32);
      ice_stun_msg_get_u64 (m, a->type, &u64);
      ice_stun_msg_get_bytes (m, a->type, &p, &plen);
      ice_stun_msg_get_string (m, a->type, s, sizeof s);
      ice_stun_msg_get_address_family (m, a->type, &fam);
    }
  uint16_t list[8];
  int code;
  char reason[16];
  uint16_t ch, alg;
  ice_stun_msg_get_error (m, &code, reason, sizeof reason);
  ice_stun_msg_get_unknown_attrs (m, list, 8);
  ice_stun_msg_get_password_algorithms (m, list, 8);
  ice_stun_msg_get_password_algorithm (m, &alg);
  ice_stun_msg_get_channel_number (m, &ch);
  ice_stun_msg_unknown_required (m, list, 8);
  ice_stun_msg_check_integrity (m, "k", 1);
  ice_stun_msg_check_integrity_sha256 (m, "k", 1);
  ice_stun_msg_check_auth (m, RFC5769_PASSWORD, strlen (RFC5769_PASSWORD));
  if (m->fingerprint_idx >= 0)
    {
      /* parse verified it: recomputing must agree */
      const ice_stun_attr *fp = &m->attrs[m->fingerprint_idx];
      uint32_t want = ice_stun_fingerprint (data, fp->offset);
      uint32_t got = ((uint32_t) fp->value[0] << 24)
                     | ((uint32_t) fp->value[1] << 16)
                     | ((uint32_t) fp->value[2] << 8) | fp->value[3];
      ck_assert_uint_eq (want, got);
    }
}

/* Parses a heap copy of exactly len bytes; a success must be consistent
 * and parsing twice must give the same index. */
static int
parse_copy (const uint8_t *src, size_t len)
{
  uint8_t *c = malloc (len ? len : 1);
  if (len)
    memcpy (c, src, len);
  ice_stun_msg m, m2;
  int r = ice_stun_msg_parse (c, len, &m);
  ck_assert (r == 0 || r == -EBADMSG);
  ck_assert_int_eq (ice_stun_is_message (c, len) || r != 0, 1);
  if (r == 0)
    {
      exercise (c, len, &m);
      ck_assert_int_eq (ice_stun_msg_parse (c, len, &m2), 0);
      ck_assert_uint_eq (m.n_attrs, m2.n_attrs);
      ck_assert_mem_eq (m.attrs, m2.attrs, m.n_attrs * sizeof m.attrs[0]);
    }
  free (c);
  return r;
}

typedef struct
{
  uint8_t *data;
  size_t len;
} sample;

static size_t
load_samples (sample *s)
{
  const char *hex[] = { rfc5769_request_hex, rfc5769_ipv4_hex,
                        rfc5769_ipv6_hex, rfc5769_long_term_hex,
                        rfc8489_sha256_hex };
  size_t n = 0;
  for (size_t i = 0; i < sizeof hex / sizeof hex[0]; i++, n++)
    s[n].data = stun_hex_decode (hex[i], &s[n].len);
  uint8_t buf[512];
  ice_stun_txid id = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 } };
  int len = build_turn_message (buf, sizeof buf, &id);
  ck_assert_int_gt (len, 0);
  s[n].data = malloc ((size_t) len);
  memcpy (s[n].data, buf, (size_t) len);
  s[n].len = (size_t) len;
  return n + 1;
}

START_TEST (test_truncated)
{
  sample s[8];
  size_t n = load_samples (s);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_int_eq (parse_copy (s[i].data, s[i].len), 0);
      uint8_t *c = malloc (s[i].len);
      for (size_t cut = 0; cut < s[i].len; cut++)
        {
          /* as received: the header length no longer matches */
          ck_assert_int_eq (parse_copy (s[i].data, cut), -EBADMSG);
          /* with the header length fixed up so the attribute walk runs
           * into the cut */
          if (cut >= 20)
            {
              memcpy (c, s[i].data, cut);
              put16 (c + 2, (uint16_t) ((cut - 20) & ~3u));
              parse_copy (c, 20 + ((cut - 20) & ~3u));
            }
        }
      free (c);
      free (s[i].data);
    }
}
END_TEST

/* xorshift64*: deterministic, so a failure reproduces */
static uint64_t
next_rand (uint64_t *state)
{
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

START_TEST (test_mutated)
{
  sample s[8];
  size_t n = load_samples (s);
  uint64_t rng = 0x5EED5EED12345678ull;
  unsigned parsed = 0;
  for (int iter = 0; iter < 40000; iter++)
    {
      const sample *src = &s[iter % n];
      size_t len = src->len;
      uint8_t buf[600];
      memcpy (buf, src->data, len);
      switch (next_rand (&rng) % 4)
        {
        case 0: /* flip a few bits anywhere */
          for (int k = 0, m = 1 + (int) (next_rand (&rng) % 4); k < m; k++)
            buf[next_rand (&rng) % len] ^= (uint8_t) (1u << (next_rand (&rng)
                                                             % 8));
          break;
        case 1: /* overwrite an attribute length field */
          {
            size_t pos = 20;
            size_t target = next_rand (&rng) % 8;
            for (size_t k = 0; k < target && pos + 4 <= len; k++)
              pos += 4 + ((((size_t) buf[pos + 2] << 8 | buf[pos + 3]) + 3)
                          & ~(size_t) 3);
            if (pos + 4 <= len)
              put16 (buf + pos + 2, (uint16_t) next_rand (&rng));
            break;
          }
        case 2: /* random body with a valid header */
          {
            len = 20 + 4 * (next_rand (&rng) % 40);
            for (size_t k = 20; k < len; k++)
              buf[k] = (uint8_t) next_rand (&rng);
            /* small type numbers and lengths so TLVs chain */
            for (size_t k = 20; k + 4 <= len; k += 4 + 4 * (next_rand (&rng)
                                                            % 3))
              {
                static const uint16_t types[]
                    = { 0x0001, 0x0008, 0x0009, 0x000A, 0x001C, 0x0020,
                        0x8028, 0x001D, 0x8002, 0x7F00, 0x000C, 0x0017 };
                put16 (buf + k, types[next_rand (&rng) % 12]);
                put16 (buf + k + 2, (uint16_t) (next_rand (&rng) % 24));
              }
            put16 (buf + 2, (uint16_t) (len - 20));
            break;
          }
        default: /* cut and fix the length */
          len = 20 + ((next_rand (&rng) % (len - 19)) & ~(size_t) 3);
          put16 (buf + 2, (uint16_t) (len - 20));
          break;
        }
      if (parse_copy (buf, len) == 0)
        parsed++;
    }
  /* the mutations must reach the attribute walk, not only the header */
  ck_assert_uint_gt (parsed, 1000);
  for (size_t i = 0; i < n; i++)
    free (s[i].data);
}
END_TEST

static Suite *
stun_msg_suite (void)
{
  Suite *s = suite_create ("stun-msg");
  TCase *tc = tcase_create ("vectors");
  tcase_add_test (tc, test_rfc5769_request);
  tcase_add_test (tc, test_rfc5769_ipv4_response);
  tcase_add_test (tc, test_rfc5769_ipv6_response);
  tcase_add_test (tc, test_rfc5769_long_term);
  tcase_add_test (tc, test_rfc8489_sha256_userhash);
  tcase_add_test (tc, test_sha256_truncated);
  suite_add_tcase (s, tc);
  tc = tcase_create ("codec");
  tcase_add_test (tc, test_type_encoding);
  tcase_add_test (tc, test_turn_round_trip);
  tcase_add_test (tc, test_writer_errors);
  tcase_add_test (tc, test_unknown_required_420);
  tcase_add_test (tc, test_parse_rejects);
  tcase_add_test (tc, test_after_integrity_ignored);
  tcase_add_test (tc, test_demux_and_framing);
  suite_add_tcase (s, tc);
  tc = tcase_create ("robustness");
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_mutated);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return floe_check_run (stun_msg_suite ());
}
