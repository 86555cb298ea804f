/* STUN test vectors: RFC 5769 sections 2.1-2.4 and RFC 8489 Appendix B.1
 * (with erratum 6268), as hex.  The integrity and fingerprint checks in
 * test-stun-msg.c prove the bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* RFC 5769 2.1: Binding request, short-term credentials, FINGERPRINT.
 * USERNAME padding is three 0x20 bytes in the RFC. */
static const char rfc5769_request_hex[]
    = "000100582112a442b7e7a701bc34d686fa87dfae"
      "80220010" "5354554e207465737420636c69656e74"
      "00240004" "6e0001ff"
      "80290008" "932ff9b151263b36"
      "00060009" "6576746a3a68367659202020"
      "00080014" "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
      "80280004" "e57a3bcf";

/* RFC 5769 2.2: Binding success, XOR-MAPPED-ADDRESS 192.0.2.1:32853.
 * SOFTWARE padding is one 0x20 byte. */
static const char rfc5769_ipv4_hex[]
    = "0101003c2112a442b7e7a701bc34d686fa87dfae"
      "8022000b" "7465737420766563746f7220"
      "00200008" "0001a147e112a643"
      "00080014" "2b91f599fd9e90c38c7489f92af9ba53f06be7d7"
      "80280004" "c07d4c96";

/* RFC 5769 2.3: Binding success, XOR-MAPPED-ADDRESS
 * [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const char rfc5769_ipv6_hex[]
    = "010100482112a442b7e7a701bc34d686fa87dfae"
      "8022000b" "7465737420766563746f7220"
      "00200014" "0002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
      "00080014" "a382954e4be67bf11784c97c8292c275bfe3ed41"
      "80280004" "c8fb0b4c";

/* RFC 5769 2.4: Binding request, long-term credentials (MD5 key). */
static const char rfc5769_long_term_hex[]
    = "000100602112a44278ad3433c6ad72c029da412e"
      "00060012" "e3839ee38388e383aae38383e382afe382b90000"
      "0015001c" "662f2f3439396b39353464364f4c33346f4c394653547679363473"
      "41"
      "0014000b" "6578616d706c652e6f726700"
      "00080014" "f67024656dd64a3e02b8e0712e85c9a28ca89666";

/* RFC 8489 B.1 (erratum 6268): USERHASH, NONCE, REALM, PASSWORD-ALGORITHM
 * SHA-256, MESSAGE-INTEGRITY-SHA256. */
static const char rfc8489_sha256_hex[]
    = "000100902112a44278ad3433c6ad72c029da412e"
      "001e0020" "4a3cf38fef6992bda952c6780417da0f24819415569e60b205c46e41"
      "407f1704"
      "00150029" "6f624d61744a6f733241414143662f2f3439396b39353464364f4c33"
      "346f4c39465354767936347341000000"
      "0014000b" "6578616d706c652e6f726700"
      "001d0004" "00020000"
      "001c0020" "b5c7bf005b6c52a21c51c5e892f81924136296cb927c4314"
      "9309278cc6518e65";

#define RFC5769_PASSWORD "VOkJxbRl1RmTxUk/WvJxBt"
/* "マトリックス" in UTF-8 (RFC 5769 2.4 and RFC 8489 B.1). */
#define RFC_LT_USERNAME                                                       \
  "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9"
#define RFC_LT_REALM "example.org"
#define RFC_LT_PASSWORD "TheMatrIX" /* SASLprep of "TheMªtrⅨ" */
#define RFC5769_NONCE "f//499k954d6OL34oL9FSTvy64sA"
#define RFC8489_NONCE "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"

/* Decodes hex (spaces ignored) into a malloc'd buffer of exactly the
 * decoded length, so ASan sees any read past it. */
static inline uint8_t *
stun_hex_decode (const char *hex, size_t *len)
{
  size_t n = 0;
  for (const char *p = hex; *p; p++)
    if (*p != ' ')
      n++;
  uint8_t *out = malloc (n / 2 ? n / 2 : 1);
  size_t k = 0;
  int hi = -1;
  for (const char *p = hex; *p; p++)
    {
      int v;
      if (*p >= '0' && *p <= '9')
        v = *p - '0';
      else if (*p >= 'a' && *p <= 'f')
        v = *p - 'a' + 10;
      else if (*p >= 'A' && *p <= 'F')
        v = *p - 'A' + 10;
      else
        continue;
      if (hi < 0)
        hi = v;
      else
        {
          out[k++] = (uint8_t) (hi << 4 | v);
          hi = -1;
        }
    }
  *len = k;
  return out;
}
