/**
 * nginx's ngx_http_acme_module directives: `acme_issuer name { … }` with its directives, and
 * `acme_certificate issuer [names…] [key=alg]` in a server; and the rules that join them when
 * the file is merged. What webserv cannot do is refused with the reason (never ignored), so a
 * certificate is never silently obtained differently from what the file says.
 */
import { resolve } from "node:path";
import { ConfigError } from "./config_error.ts";
import { type Apply, type BlockDirective, issuerOf, type Scope, serverOf } from "./directive.ts";
import type { MainDraft, ServerDraft } from "./draft.ts";
import type { AcmeCertificateSettings, AcmeIssuerSettings, Config } from "./types.ts";

/** The only key type the ACME client makes and signs with (ES256). */
const KEY_TYPE = "ecdsa:256";
const KEY_TYPES = /^(ecdsa:(256|384|521)|rsa:(2048|3072|4096)|ecdsa|rsa)$/;
/** `ecdsa` alone means its default size, 256. */
const isOurKeyType = (text: string) => text === KEY_TYPE || text === "ecdsa";

/** `acme_issuer name { … }`: the CA; its state directory defaults to `acme_<name>`. */
export const acmeIssuerBlock: BlockDirective["open"] = (scope, [name = ""], env): Scope => {
  if (scope.main.acmeIssuers.has(name)) throw env.error(`duplicate acme_issuer "${name}"`);
  const issuer: AcmeIssuerSettings = {
    name,
    uri: null,
    contact: [],
    statePath: resolve(env.dir, `acme_${name}`),
    accountKeyFile: null,
    acceptTermsOfService: false,
    sslTrustedCertificate: null,
    externalAccountKey: null,
    pos: { file: env.file, line: env.line },
  };
  scope.main.acmeIssuers.set(name, issuer);
  return { ...scope, context: "acme_issuer", issuer };
};

/** `uri URL;`: the directory URL, http(s) only. */
export const issuerUri: Apply = (scope, [text = ""], env) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw env.error(`invalid URL "${text}" in "${env.name}" directive`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw env.error(`invalid URL "${text}" in "${env.name}" directive: http or https only`);
  }
  issuerOf(scope).uri = text;
};

/** `contact url;` (repeatable): `mailto:` is assumed for a bare address, as nginx does. */
export const issuerContact: Apply = (scope, [text = ""], env) => {
  if (text === "") throw env.error(`empty "${env.name}"`);
  issuerOf(scope).contact.push(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `mailto:${text}`);
};

/** `accept_terms_of_service;` */
export const issuerAcceptTerms: Apply = (scope) => {
  issuerOf(scope).acceptTermsOfService = true;
};

/** `account_key ecdsa:256 | file;` */
export const issuerAccountKey: Apply = (scope, [text = ""], env) => {
  if (isOurKeyType(text)) issuerOf(scope).accountKeyFile = null;
  else if (KEY_TYPES.test(text)) throw env.error(unsupportedKey(text));
  else issuerOf(scope).accountKeyFile = resolve(env.dir, text);
};

function unsupportedKey(text: string): string {
  return `key type "${text}" is not supported by webserv: only "${KEY_TYPE}"`;
}

/** `ssl_verify on|off;`: webserv always verifies the CA's certificate. */
export const issuerSslVerify: Apply = (_scope, [text = ""], env) => {
  if (text === "on") return;
  if (text === "off") {
    throw env.error(
      `"ssl_verify off" is not supported by webserv: name the CA's root with "ssl_trusted_certificate"`,
    );
  }
  throw env.error(`invalid value "${text}" in "${env.name}" directive, it must be "on" or "off"`);
};

/** `challenge http-01|tls-alpn-01;`: http-01 only. */
export const issuerChallenge: Apply = (_scope, [text = ""], env) => {
  const value = text.toLowerCase();
  if (value === "http-01" || value === "http") return;
  if (value === "tls-alpn-01" || value === "tls-alpn") {
    throw env.error(`challenge "${text}" is not supported by webserv: only "http-01"`);
  }
  throw env.error(`unsupported challenge "${text}"`);
};

/** `external_account_key kid file|data:key;` */
export const issuerExternalAccountKey: Apply = (scope, [kid = "", key = ""], env) => {
  if (kid === "" || key === "") throw env.error(`invalid "${env.name}"`);
  issuerOf(scope).externalAccountKey = {
    kid,
    key: key.startsWith("data:") ? key : resolve(env.dir, key),
  };
};

/** `acme_certificate issuer [names…] [key=ecdsa:256];` */
export const acmeCertificate: Apply = (scope, [issuer = "", ...rest], env) => {
  const names: string[] = [];
  for (const arg of rest) {
    if (arg.startsWith("key=")) {
      const key = arg.slice(4);
      if (!isOurKeyType(key)) throw env.error(unsupportedKey(key));
      continue;
    }
    if (arg.startsWith("~") || arg.includes("*")) {
      throw env.error(`"${arg}" cannot be a certificate name: no wildcards or expressions`);
    }
    names.push(arg.toLowerCase());
  }
  serverOf(scope).acme = { issuer, names, pos: { file: env.file, line: env.line } };
};

/**
 * Joins what the file says once it is read: every issuer has a `uri`; every `acme_certificate`
 * names an issuer and has names (its own, else the server's `server_name`s that can be
 * certificate names); `$acme_certificate` is used only where the server has one.
 */
export function mergeAcme(draft: MainDraft, server: ServerDraft): AcmeCertificateSettings | null {
  const acme = server.acme;
  if (acme === null) return null;
  const { file, line } = acme.pos;
  if (!draft.acmeIssuers.has(acme.issuer)) {
    throw new ConfigError(file, line, `unknown acme_issuer "${acme.issuer}"`);
  }
  const names = acme.names.length > 0 ? acme.names : server.serverNames.filter(certificateName);
  if (names.length === 0) {
    throw new ConfigError(
      file,
      line,
      `no names for "acme_certificate": give them, or a "server_name" without wildcards`,
    );
  }
  return { issuer: acme.issuer, names: [...new Set(names)], pos: acme.pos };
}

/** Whether a server_name can be a certificate's name (not a regex, a wildcard, "" or "_"). */
function certificateName(name: string): boolean {
  if (name === "" || name === "_") return false;
  return !name.startsWith("~") && !name.includes("*") && !name.startsWith(".");
}

/**
 * Every issuer has its `uri`; `ssl_certificate $acme_certificate` needs the server's
 * `acme_certificate`.
 */
export function checkAcme(config: Config): void {
  for (const issuer of config.acmeIssuers.values()) {
    if (issuer.uri === null) {
      throw new ConfigError(issuer.pos.file, issuer.pos.line, `"uri" is missing in acme_issuer`);
    }
  }
  for (const server of config.servers) {
    for (const source of [server.sslCertificate, server.sslCertificateKey]) {
      if (source?.kind === "acme" && server.acme === null) {
        throw new ConfigError(
          source.pos.file,
          source.pos.line,
          `$acme_certificate needs an "acme_certificate" in the same server`,
        );
      }
    }
  }
}
