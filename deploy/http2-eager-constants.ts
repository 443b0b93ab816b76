// The node:http2 constants that bundled code reads while it LOADS, served by
// build-ipamd.ts's http2 stand-in without loading node:http2 itself: undici 8
// (used by @kubernetes/client-node) destructures these ten at the top of its
// HTTP/2 client (lib/dispatcher/client-h2.js), which ipamd, speaking HTTP/1.1
// to the API server, never uses. They are protocol values (RFC 9113 header
// names, nghttp2 error codes), the same in every Node;
// test/unit/deploy/http2-eager-constants.test.ts checks them against node:http2.
export const HTTP2_EAGER_CONSTANTS: Readonly<Record<string, string | number>> = {
  HTTP2_HEADER_AUTHORITY: ":authority",
  HTTP2_HEADER_METHOD: ":method",
  HTTP2_HEADER_PATH: ":path",
  HTTP2_HEADER_SCHEME: ":scheme",
  HTTP2_HEADER_CONTENT_LENGTH: "content-length",
  HTTP2_HEADER_EXPECT: "expect",
  HTTP2_HEADER_STATUS: ":status",
  HTTP2_HEADER_PROTOCOL: ":protocol",
  NGHTTP2_NO_ERROR: 0,
  NGHTTP2_REFUSED_STREAM: 7,
};
