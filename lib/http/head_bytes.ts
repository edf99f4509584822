/**
 * The bytes of a message head. Field values read from the wire are held one byte per character
 * (latin1), so a byte above 0x7f must go out as that one byte again, not as UTF-8: an upstream's
 * `X-Name: caf\xe9` reaches the client unchanged. A character above 0xff can only come from the
 * configuration or the server itself, and is written as UTF-8.
 */
const encoder = new TextEncoder();

export function headBytes(text: string): Uint8Array {
  // As many bytes as UTF-16 units only when every char is ASCII (any other takes two or more):
  // the common case costs the encode alone, without a scan before it.
  const utf8 = encoder.encode(text);
  if (utf8.length === text.length) return utf8;
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x100) out.push(c);
    else out.push(...encoder.encode(ch));
  }
  return Uint8Array.from(out);
}
