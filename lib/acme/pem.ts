/**
 * PEM (RFC 7468) armour: DER bytes in base64 between `-----BEGIN <label>-----` and
 * `-----END <label>-----` lines.
 *
 * - `encodePem(label, der)`: one block, base64 wrapped at 64 columns, ending with a newline.
 * - `decodePemBlocks(text)`: every block of a text, in order, as `{ label, der }`; text between
 *   blocks (openssl's "Bag Attributes", comments) is ignored; a BEGIN without its END, a mismatched
 *   label or a body that is not base64 is a SyntaxError.
 * - `decodePem(text, label)`: the DER of the first block with that label (SyntaxError if none).
 */

/** One PEM block: its label (e.g. "CERTIFICATE", "PRIVATE KEY") and its DER bytes. */
export interface PemBlock {
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `der` armoured as a PEM block labelled `label`, 64 base64 characters a line. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = der.toBase64();
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Every PEM block of `text`, in order. */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let end = 0;
  for (const match of text.matchAll(BLOCK)) {
    const [, label = "", body = "", endLabel] = match;
    if (label !== endLabel) {
      throw new SyntaxError(`PEM: "BEGIN ${label}" ends with "END ${endLabel}"`);
    }
    if (text.slice(end, match.index).includes("-----BEGIN ")) {
      throw new SyntaxError("PEM: a BEGIN line without its END line");
    }
    const base64 = body.replace(/\s+/g, "");
    if (!BASE64.test(base64) || base64.length % 4 !== 0) {
      throw new SyntaxError(`PEM: the body of "${label}" is not base64`);
    }
    blocks.push({ label, der: Uint8Array.fromBase64(base64) });
    end = match.index + match[0].length;
  }
  if (text.slice(end).includes("-----BEGIN ")) {
    throw new SyntaxError("PEM: a BEGIN line without its END line");
  }
  return blocks;
}

/** The DER of the first block labelled `label` in `text`. */
export function decodePem(text: string, label: string): Uint8Array<ArrayBuffer> {
  const block = decodePemBlocks(text).find((b) => b.label === label);
  if (block === undefined) throw new SyntaxError(`PEM: no "${label}" block`);
  return block.der;
}
