// Minimal XML writing for EC2 responses: EC2 wraps lists in <xxxSet><item>.

export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export type XmlValue = string | number | boolean | undefined;

/** <name>value</name>; nothing at all when the value is undefined (AWS omits absent members). */
export function el(name: string, value: XmlValue): string {
  if (value === undefined) return "";
  return `<${name}>${esc(String(value))}</${name}>`;
}

/** <name>already-rendered children</name> */
export function node(name: string, ...children: string[]): string {
  return `<${name}>${children.join("")}</${name}>`;
}

/** <name><item>..</item>...</name> from already-rendered item bodies. */
export function set(name: string, items: readonly string[]): string {
  return `<${name}>${items.map((i) => `<item>${i}</item>`).join("")}</${name}>`;
}

export function tagSet(tags: ReadonlyMap<string, string>): string {
  return set(
    "tagSet",
    [...tags].map(([k, v]) => el("key", k) + el("value", v)),
  );
}

export const EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/";

export function responseXml(action: string, requestId: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">${el("requestId", requestId)}${body}</${action}Response>`;
}

export function errorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el("Code", code)}${el("Message", message)}</Error></Errors>${el("RequestID", requestId)}</Response>`;
}
