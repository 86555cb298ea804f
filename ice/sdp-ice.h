/* The ICE lines of SDP (RFC 8839, RFC 6544 for TCP candidates): formatting
 * and strict parsing. A line is given with or without its "a=" prefix and
 * its trailing CRLF ("a=ice-ufrag:abcd", "ice-ufrag:abcd\r\n"); parsers take
 * a length and never read past it. On error they return a negative errno
 * code and, when err is not NULL, a sentence naming the line. Error texts
 * never quote the value of a=ice-pwd. */
#pragma once

#include "cand.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICE_UFRAG_MAX 256 /* RFC 8839 §5.4: 4..256 ice-chars */
#define ICE_PWD_MAX 256   /* 22..256 ice-chars */
#define ICE_SDP_ERR_MAX 160
#define ICE_SDP_MAX_REMOTE 4 /* remote-candidates: one per component we use */

typedef struct
{
  char msg[ICE_SDP_ERR_MAX];
} ice_sdp_error;

enum
{
  ICE_OPT_TRICKLE = 1 << 0,
  ICE_OPT_ICE2 = 1 << 1,
};

/* One entry of a=remote-candidates: component, address, port. */
typedef struct
{
  uint16_t component;
  ice_addr addr;
} ice_sdp_remote_cand;

/* Everything the ICE lines of one media section (or the session level)
 * say, accumulated by ice_sdp_parse_line. Candidates are not collected here:
 * the caller hands each parsed candidate to the agent (trickle-friendly). */
typedef struct
{
  char ufrag[ICE_UFRAG_MAX + 1]; /* "" when absent */
  char pwd[ICE_PWD_MAX + 1];
  unsigned options;              /* ICE_OPT_* */
  bool lite;
  bool mismatch;
  bool end_of_candidates;
  ice_sdp_remote_cand remote[ICE_SDP_MAX_REMOTE];
  size_t n_remote;               /* > 0 when a=remote-candidates was seen */
} ice_sdp_ice;

/* "candidate:<foundation> <comp> <transport> <prio> <addr> <port> typ <type>
 * [raddr <a> rport <p>] [tcptype <t>]" without "a=" or CRLF. Returns the
 * length written (excluding NUL) or -ENOBUFS / -EINVAL. */
int ice_sdp_format_candidate (const ice_cand *c, char *buf, size_t size);

/* Parses an a=candidate line. Candidates with TCP transport (RFC 6544),
 * an FQDN address or an unknown type/transport parse successfully with
 * c->unsupported set. Returns 0, or -EBADMSG for a malformed line. */
int ice_sdp_parse_candidate (const char *line, size_t len, ice_cand *c, ice_sdp_error *err);

/* Recognises any ICE attribute line (candidate excluded: use the function
 * above) and records it into *ice. Returns 1 when the line was an ICE line
 * and was recorded, 0 when it is not an ICE attribute (ignore it), or
 * -EBADMSG when it is an ICE attribute with a bad value. Handles ice-ufrag,
 * ice-pwd, ice-options, ice-lite, ice-mismatch, remote-candidates,
 * end-of-candidates. */
int ice_sdp_parse_line (const char *line, size_t len, ice_sdp_ice *ice, ice_sdp_error *err);

/* Formats the non-candidate lines of *ice, each "a=...\r\n", in RFC 8839
 * order (ice-lite, ice-options, ice-ufrag, ice-pwd, ice-mismatch,
 * remote-candidates, end-of-candidates). Returns length or -ENOBUFS. */
int ice_sdp_format_lines (const ice_sdp_ice *ice, char *buf, size_t size);

/* "remote-candidates:1 192.0.2.3 45664 2 192.0.2.3 45665" (no "a="). */
int ice_sdp_format_remote_candidates (const ice_sdp_remote_cand *r, size_t n,
                                      char *buf, size_t size);

/* True when s (length len) is 1*max ice-chars (ALPHA / DIGIT / "+" / "/"). */
bool ice_sdp_is_ice_chars (const char *s, size_t len, size_t min, size_t max);
