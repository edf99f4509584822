/** The server's name and version, as sent in `Server` and used by `--version`. */
export const VERSION = "0.1.0";
export const SERVER_NAME = "webserv";
