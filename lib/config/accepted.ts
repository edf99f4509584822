/**
 * nginx directives that webserv accepts and that do nothing here, each with the reason: a
 * configuration written for nginx loads unchanged, and start-up (and `-t`) says once per
 * directive what is not done (`[notice] file:line: "sendfile" has no effect: …`).
 */
import type { Context, Directive } from "./directive.ts";

type Where = "main" | "events" | "http";

const CONTEXTS: Record<Where, readonly Context[]> = {
  main: ["main"],
  events: ["events"],
  http: ["main", "http", "server", "location"],
};

/** Directive → where nginx allows it (as far as it matters here) and why it does nothing. */
const ACCEPTED: ReadonlyArray<[name: string, where: Where, reason: string]> = [
  ["user", "main", "webserv runs as the user that starts it (systemd: User=)"],
  ["daemon", "main", "webserv stays in the foreground (run it under systemd)"],
  [
    "master_process",
    "main",
    "with worker_processes above 1 the process started supervises the workers",
  ],
  [
    "worker_rlimit_nofile",
    "main",
    "Deno cannot raise its own limits: set ulimit -n or LimitNOFILE",
  ],
  ["worker_rlimit_core", "main", "Deno cannot change its own limits"],
  ["worker_cpu_affinity", "main", "pin the process with taskset or systemd's CPUAffinity="],
  ["worker_priority", "main", "set the priority with nice or systemd's Nice="],
  [
    "worker_shutdown_timeout",
    "main",
    "-s quit lets requests finish without a time limit, -s stop cuts them after 1 s",
  ],
  ["working_directory", "main", "webserv keeps the directory it was started in"],
  ["pcre_jit", "main", "regular expressions are JavaScript's"],
  ["thread_pool", "main", "file reads never block the event loop in webserv"],
  ["timer_resolution", "main", "webserv reads the clock when it needs it"],
  ["lock_file", "main", "workers share ports through SO_REUSEPORT: there is no accept lock"],
  ["env", "main", "CGI scripts get only the variables of RFC 3875"],
  ["load_module", "main", "webserv has no dynamic modules"],
  [
    "acme_shared_zone",
    "http",
    "certificates and challenges are kept in the process and state_path",
  ],
  ["use", "events", "Deno chooses the event mechanism"],
  ["multi_accept", "events", "each listener accepts connections as fast as they come"],
  ["accept_mutex", "events", "the kernel spreads connections among the workers (SO_REUSEPORT)"],
  [
    "accept_mutex_delay",
    "events",
    "the kernel spreads connections among the workers (SO_REUSEPORT)",
  ],
  ["worker_aio_requests", "events", "webserv does not use AIO"],
  ["sendfile", "http", "Deno has no sendfile: files go through a pooled 256 KiB buffer"],
  ["sendfile_max_chunk", "http", "Deno has no sendfile"],
  ["tcp_nopush", "http", "a response's head and small body go out in one write anyway"],
  ["tcp_nodelay", "http", "Nagle is always off on client connections"],
  ["aio", "http", "file reads never block the event loop in webserv"],
  ["directio", "http", "webserv reads files through the page cache"],
  ["output_buffers", "http", "webserv sizes its own buffers"],
  ["postpone_output", "http", "webserv sends a response as soon as it has it"],
  ["client_body_buffer_size", "http", "request bodies stream to their handler"],
  ["client_header_buffer_size", "http", "see large_client_header_buffers"],
  ["client_body_temp_path", "http", "uploads use a temporary file inside upload_store"],
  ["ssl_protocols", "http", "rustls' defaults apply: TLS 1.2 and 1.3"],
  ["ssl_ciphers", "http", "rustls' defaults apply: modern AEAD ciphers only"],
  ["ssl_prefer_server_ciphers", "http", "rustls' defaults apply"],
  ["ssl_ecdh_curve", "http", "rustls' defaults apply (X25519, P-256, P-384)"],
  ["ssl_dhparam", "http", "rustls has no finite-field Diffie-Hellman"],
  ["ssl_session_cache", "http", "rustls keeps its own session cache"],
  ["ssl_session_timeout", "http", "rustls keeps its own session cache"],
  ["ssl_session_tickets", "http", "rustls' defaults apply"],
  ["ssl_buffer_size", "http", "rustls sizes its own records"],
  ["ssl_stapling", "http", "webserv does not staple OCSP responses"],
  ["ssl_stapling_verify", "http", "webserv does not staple OCSP responses"],
  ["ssl_early_data", "http", "0-RTT is off"],
  ["gzip_buffers", "http", "compression streams through webserv's own buffers"],
  ["brotli_buffers", "http", "compression streams through webserv's own buffers"],
  ["brotli_window", "http", "brotli's window is 512 KiB (ngx_brotli's default)"],
  ["proxy_temp_path", "http", "request bodies are spooled to unlinked temporary files"],
  ["proxy_buffer_size", "http", "upstream answers stream through webserv's own buffers"],
  ["proxy_buffers", "http", "upstream answers stream through webserv's own buffers"],
  ["proxy_busy_buffers_size", "http", "upstream answers stream through webserv's own buffers"],
  ["proxy_max_temp_file_size", "http", "upstream answers stream and are never written to disk"],
  ["proxy_temp_file_write_size", "http", "upstream answers are never written to disk"],
  [
    "proxy_request_buffering",
    "http",
    "a request body is always read first, so a retry can resend it",
  ],
  ["proxy_headers_hash_max_size", "http", "webserv needs no hash tuning"],
  ["proxy_headers_hash_bucket_size", "http", "webserv needs no hash tuning"],
  ["proxy_socket_keepalive", "http", "upstream connections use the system's TCP settings"],
  ["fastcgi_temp_path", "http", "webserv has no FastCGI"],
  ["uwsgi_temp_path", "http", "webserv has no uwsgi"],
  ["scgi_temp_path", "http", "webserv has no SCGI"],
  ["types_hash_max_size", "http", "webserv needs no hash tuning"],
  ["types_hash_bucket_size", "http", "webserv needs no hash tuning"],
  ["server_names_hash_max_size", "http", "webserv needs no hash tuning"],
  ["server_names_hash_bucket_size", "http", "webserv needs no hash tuning"],
  ["variables_hash_max_size", "http", "webserv needs no hash tuning"],
  ["variables_hash_bucket_size", "http", "webserv needs no hash tuning"],
  ["open_file_cache", "http", "webserv keeps its own cache of small files (1 s)"],
  ["open_file_cache_valid", "http", "webserv keeps its own cache of small files (1 s)"],
  ["open_file_cache_min_uses", "http", "webserv keeps its own cache of small files (1 s)"],
  ["open_file_cache_errors", "http", "webserv keeps its own cache of small files (1 s)"],
  ["reset_timedout_connection", "http", "a timed-out connection is closed"],
  ["lingering_close", "http", "webserv always lingers after an answer that ends a connection"],
  ["lingering_time", "http", "webserv lingers up to 2 s or 1 MiB"],
  ["lingering_timeout", "http", "webserv lingers up to 2 s or 1 MiB"],
  ["log_not_found", "http", "a missing file is never logged as an error"],
  ["server_name_in_redirect", "http", "redirects keep the path only"],
  ["port_in_redirect", "http", "redirects keep the path only"],
  ["absolute_redirect", "http", "redirects keep the path only"],
  ["msie_padding", "http", "not needed by any browser still in use"],
  ["msie_refresh", "http", "not needed by any browser still in use"],
];

/** A table entry for each accepted directive: any arguments, repeatable, a notice when used. */
export const ACCEPTED_DIRECTIVES: Directive[] = ACCEPTED.map(([name, where, reason]) => ({
  name,
  contexts: CONTEXTS[where],
  arity: [0, Infinity],
  repeatable: true,
  apply: (_scope, _args, env) => env.notice(`"${name}" has no effect: ${reason}`),
}));

/** The names, for the README's list and tests. */
export const ACCEPTED_NAMES: readonly string[] = ACCEPTED.map(([name]) => name);
