/**
 * Certificates for the TLS tests, made by `openssl` at test time: a test CA, and leaf
 * certificates it signs for the names asked (each a fresh P-256 key). A TLS client trusts the CA.
 */
import { join } from "node:path";
import tls from "node:tls";

export interface TestCa {
  dir: string;
  /** The CA's certificate (PEM), for clients. */
  caPem: string;
  /** A leaf certificate for `names` signed by the CA: the paths of its PEM files. */
  issue(file: string, names: string[]): Promise<{ cert: string; key: string }>;
  close(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A new CA in a temporary directory. */
export async function testCa(): Promise<TestCa> {
  const dir = await Deno.makeTempDir({ prefix: "webserv-tls-" });
  await openssl(
    [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=webserv test CA",
    ],
    dir,
  );
  let serial = 1;
  return {
    dir,
    caPem: await Deno.readTextFile(join(dir, "ca.crt")),
    async issue(file, names) {
      const ext = `subjectAltName=${
        names.map((n) => `DNS:${n}`).join(",")
      }\nbasicConstraints=CA:FALSE\n`;
      await Deno.writeTextFile(join(dir, `${file}.ext`), ext);
      await openssl(
        ["req", ...EC, "-keyout", `${file}.key`, "-out", `${file}.csr`, "-subj", `/CN=${names[0]}`],
        dir,
      );
      await openssl([
        "x509",
        "-req",
        "-in",
        `${file}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        String(serial++),
        "-days",
        "2",
        "-out",
        `${file}.crt`,
        "-extfile",
        `${file}.ext`,
      ], dir);
      return { cert: join(dir, `${file}.crt`), key: join(dir, `${file}.key`) };
    },
    close: () => Deno.remove(dir, { recursive: true }),
  };
}

/** What a TLS client saw: the certificate's subject name and serial, and the bytes it read. */
export interface TlsExchange {
  subject: string;
  serial: string;
  alpn: string | false;
  text: string;
}

/**
 * Connects to 127.0.0.1:`port` asking for `servername` (SNI), verifies the chain against `ca`,
 * sends `request` and reads until the server closes.
 */
export function tlsExchange(
  port: number,
  servername: string,
  ca: string,
  request: string | Uint8Array,
): Promise<TlsExchange> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      servername,
      ca,
      ALPNProtocols: ["http/1.1"],
    });
    const chunks: Uint8Array[] = [];
    let subject = "";
    let serial = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error("TLS exchange timed out")));
    socket.on("secureConnect", () => {
      const peer = socket.getPeerCertificate();
      subject = String(peer?.subject?.CN ?? "");
      serial = String(peer?.serialNumber ?? "");
      socket.write(request);
    });
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      resolve({
        subject,
        serial,
        alpn: socket.alpnProtocol ?? false,
        text: new TextDecoder().decode(Buffer.concat(chunks)),
      });
    });
  });
}
