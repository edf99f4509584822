/** `ssl_certificate` and `ssl_certificate_key`: PEM files, or what ACME obtained. */
import { resolve } from "node:path";
import { type Apply, innermost } from "./directive.ts";

/** `ssl_certificate file | $acme_certificate;` and the key's twin. */
export function pemFile(field: "sslCertificate" | "sslCertificateKey"): Apply {
  const acme = field === "sslCertificate" ? "$acme_certificate" : "$acme_certificate_key";
  return (scope, [value = ""], env) => {
    const pos = { file: env.file, line: env.line };
    if (value.includes("$") && value !== acme) {
      throw env.error(`"${env.name}" takes a file or "${acme}", not "${value}"`);
    }
    innermost(scope).settings[field] = value === acme
      ? { kind: "acme", pos }
      : { kind: "file", path: resolve(env.dir, value), pos };
  };
}
