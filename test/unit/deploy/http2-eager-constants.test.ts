// build-ipamd.ts's http2 stand-in answers these without loading node:http2:
// they must be exactly what node:http2 would have answered.
import { constants } from "node:http2";
import { describe, expect, it } from "vitest";
import { HTTP2_EAGER_CONSTANTS } from "../../../deploy/http2-eager-constants.ts";

describe("HTTP2_EAGER_CONSTANTS", () => {
  it.each(Object.entries(HTTP2_EAGER_CONSTANTS))("%s is node:http2's value", (name, value) => {
    expect((constants as Record<string, unknown>)[name]).toBe(value);
  });
});
